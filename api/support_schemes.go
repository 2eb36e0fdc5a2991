package api

import (
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

func (s *Server) supportSchemeRoutes(g *echo.Group, write ...echo.MiddlewareFunc) {
	g.GET("/support-schemes", s.listSupportSchemes)
	g.POST("/support-schemes", s.createSupportScheme, append(write, requireJSON)...)
	g.GET("/support-schemes/:id", s.getSupportScheme)
	g.PUT("/support-schemes/:id", s.replaceSupportScheme, append(write, requireJSON)...)
	g.PATCH("/support-schemes/:id", s.patchSupportScheme, append(write, requireJSON)...)
	g.DELETE("/support-schemes/:id", s.deleteSupportScheme, write...)
}

// listSupportSchemes godoc
//
//	@ID				listSupportSchemes
//	@Summary		List support schemes
//	@Description	Every live support scheme (schemes have no editorial state), paginated by cursor. `department_code` and `region_code` select the schemes whose territory overlaps them: a scheme offered in a région is offered in its départements, one offered in a département concerns its région. Structure filters match published structures only for anonymous callers, who never see an operator or beneficiaries that are unpublished structures.
//	@Tags			support-schemes
//	@Produce		json,application/problem+json
//	@Param			limit						query		int			false	"page size"	minimum(1)	maximum(100)	default(20)
//	@Param			cursor						query		string		false	"next_cursor of the previous page"
//	@Param			include_total				query		bool		false	"count every match in meta.total"
//	@Param			sort						query		string		false	"order"	Enums(name, -updated_at)	default(name)
//	@Param			target_audience				query		[]string	false	"target audience codes"	collectionFormat(multi)
//	@Param			department_code				query		[]string	false	"département codes the territory overlaps"	collectionFormat(multi)
//	@Param			region_code					query		[]string	false	"région codes the territory overlaps"	collectionFormat(multi)
//	@Param			operator_structure_id		query		[]string	false	"operator structure ids"	collectionFormat(multi)
//	@Param			beneficiary_structure_id	query		[]string	false	"beneficiary structure ids"	collectionFormat(multi)
//	@Param			collectivity_id				query		[]string	false	"funder collectivity ids"	collectionFormat(multi)
//	@Param			updated_since				query		string		false	"RFC 3339 timestamp or date (a date is that day in Europe/Paris)"
//	@Success		200							{object}	SupportSchemeList
//	@Header			200							{string}	Link	"<...>; rel=\"next\" when there is a next page"
//	@Failure		400							{object}	Problem	"bad parameter"
//	@Failure		401							{object}	Problem	"invalid token"
//	@Failure		429							{object}	Problem
//	@Failure		503							{object}	Problem
//	@Failure		500							{object}	Problem	"internal error, logged with the request id"
//	@Router			/v1/support-schemes [get]
func (s *Server) listSupportSchemes(c echo.Context) error {
	q := newQuery(c, append(listParamNames, "target_audience", "department_code", "region_code",
		"operator_structure_id", "beneficiary_structure_id", "collectivity_id", "updated_since")...)
	all := canSeeUnpublished(c)
	f := essdir.SupportSchemeFilter{
		TargetAudiences:         codes[essdir.TargetAudience](q, "target_audience", essdir.TargetAudiences),
		DepartmentCodes:         q.matching("department_code", essdir.ValidDepartmentCode, "a département code"),
		RegionCodes:             q.matching("region_code", essdir.ValidRegionCode, "a région code"),
		OperatorStructureIDs:    q.uuids("operator_structure_id"),
		BeneficiaryStructureIDs: q.uuids("beneficiary_structure_id"),
		CollectivityIDs:         q.uuids("collectivity_id"),
		UpdatedSince:            q.timestamp("updated_since"),
		PublishedStructuresOnly: !all,
		List:                    listParams(q, essdir.SupportSchemeSorts),
	}
	if err := q.err(); err != nil {
		return err
	}
	page, err := s.supportSchemes.FindSupportSchemes(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return writeList(c, page, func(sc *essdir.SupportScheme) SupportScheme { return toSupportScheme(sc, all) },
		func(data []SupportScheme, meta ListMeta) any { return SupportSchemeList{Data: data, Meta: meta} })
}

// getSupportScheme godoc
//
//	@ID				getSupportScheme
//	@Summary		Get a support scheme
//	@Description	Anonymous callers do not see an operator or beneficiaries that are unpublished structures. `If-None-Match` answers 304 when the copy is current.
//	@Tags			support-schemes
//	@Produce		json,application/problem+json
//	@Param			id				path		string	true	"support scheme id"	format(uuid)
//	@Param			If-None-Match	header		string	false	"ETag of the copy the client holds"
//	@Success		200				{object}	SupportScheme
//	@Header			200				{string}	ETag	"strong entity tag"
//	@Success		304				"not modified"
//	@Failure		400				{object}	Problem	"the id is not a UUID, or an unknown parameter"
//	@Failure		401				{object}	Problem	"invalid token"
//	@Failure		404				{object}	Problem
//	@Failure		429				{object}	Problem
//	@Failure		503				{object}	Problem
//	@Failure		500				{object}	Problem	"internal error, logged with the request id"
//	@Router			/v1/support-schemes/{id} [get]
func (s *Server) getSupportScheme(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := newQuery(c).err(); err != nil {
		return err
	}
	sc, err := s.supportSchemes.FindSupportSchemeByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return writeRecord(c, http.StatusOK, &sc.Record, toSupportScheme(sc, canSeeUnpublished(c)))
}

// createSupportScheme godoc
//
//	@ID				createSupportScheme
//	@Summary		Create a support scheme
//	@Description	The operator, the funders that are collectivities and the beneficiaries must be live records of the directory. Steps are numbered 1..n: leave every `position` out to take the array's order, or give each step its own. Territory codes must exist in the official geography.
//	@Tags			support-schemes
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Param			Idempotency-Key	header		string	false	"makes a retry safe: the first answer is replayed"
//	@Param			scheme	body		SupportSchemeInput	true	"the support scheme"
//	@Success		201		{object}	SupportScheme
//	@Header			201		{string}	Location	"URL of the new support scheme"
//	@Header			201		{string}	ETag		"strong entity tag"
//	@Failure		400		{object}	Problem		"malformed JSON, unknown field or wrong JSON type"
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem
//	@Failure		409			{object}	Problem	"the Idempotency-Key is in use by a request still running"
//	@Failure		413		{object}	Problem
//	@Failure		415		{object}	Problem
//	@Failure		422		{object}	Problem	"invalid fields or unknown references, one entry each"
//	@Failure		429		{object}	Problem
//	@Failure		503		{object}	Problem
//	@Failure		500		{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/support-schemes [post]
func (s *Server) createSupportScheme(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	in, err := decodeInput[essdir.SupportScheme, SupportSchemeInput](body)
	if err != nil {
		return err
	}
	sc, echoed, err := in.toDomain()
	if err != nil {
		return err
	}
	if err := s.supportSchemes.CreateSupportScheme(c.Request().Context(), sc, echoed); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/support-schemes/"+sc.ID.String())
	return writeRecord(c, http.StatusCreated, &sc.Record, toSupportScheme(sc, true))
}

// replaceSupportScheme godoc
//
//	@ID				replaceSupportScheme
//	@Summary		Replace a support scheme
//	@Description	PUT replaces the whole record: an omitted optional field is cleared, an omitted status is kept. A body made from a GET may be sent back as is; sending the stored record again changes nothing (same version).
//	@Tags			support-schemes
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Param			id			path		string		true	"support scheme id"	format(uuid)
//	@Param			If-Match	header		string		false	"ETag the change is based on"
//	@Param			scheme		body		SupportSchemeInput	true	"the whole support scheme"
//	@Success		200			{object}	SupportScheme
//	@Header			200			{string}	ETag	"strong entity tag"
//	@Failure		400			{object}	Problem	"malformed JSON, unknown field, or body id ≠ path id"
//	@Failure		401			{object}	Problem
//	@Failure		403			{object}	Problem
//	@Failure		404			{object}	Problem
//	@Failure		409			{object}	Problem	"stale version in the body"
//	@Failure		412			{object}	Problem	"If-Match does not match"
//	@Failure		413			{object}	Problem
//	@Failure		415			{object}	Problem
//	@Failure		422			{object}	Problem
//	@Failure		429			{object}	Problem
//	@Failure		503			{object}	Problem
//	@Failure		500			{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/support-schemes/{id} [put]
func (s *Server) replaceSupportScheme(c echo.Context) error {
	id, body, err := pathIDAndBody(c)
	if err != nil {
		return err
	}
	change, err := replaceChange[essdir.SupportScheme, *essdir.SupportScheme, SupportSchemeInput](c, body)
	if err != nil {
		return err
	}
	return s.updateSupportScheme(c, id, change)
}

// updateSupportScheme stores a change and answers the editor's view.
func (s *Server) updateSupportScheme(c echo.Context, id uuid.UUID, change essdir.Change[essdir.SupportScheme]) error {
	updated, err := s.supportSchemes.UpdateSupportScheme(c.Request().Context(), id, change)
	if err != nil {
		return err
	}
	return writeRecord(c, http.StatusOK, &updated.Record, toSupportScheme(updated, true))
}

// patchSupportScheme godoc
//
//	@ID				patchSupportScheme
//	@Summary		Patch a support scheme
//	@Description	JSON Merge Patch (RFC 7396): members set replace, `null` removes, objects merge, lists (funders, steps, beneficiaries) are replaced whole. The result is checked like a PUT.
//	@Tags			support-schemes
//	@Accept			json
//	@Accept			application/merge-patch+json
//	@Produce		json,application/problem+json
//	@Param			id			path		string	true	"support scheme id"	format(uuid)
//	@Param			If-Match	header		string	false	"ETag the change is based on"
//	@Param			patch		body		object	true	"the members of SupportScheme to change (null removes)"
//	@Success		200			{object}	SupportScheme
//	@Header			200			{string}	ETag	"strong entity tag"
//	@Failure		400			{object}	Problem
//	@Failure		401			{object}	Problem
//	@Failure		403			{object}	Problem
//	@Failure		404			{object}	Problem
//	@Failure		409			{object}	Problem
//	@Failure		412			{object}	Problem
//	@Failure		413			{object}	Problem
//	@Failure		415			{object}	Problem
//	@Failure		422			{object}	Problem
//	@Failure		429			{object}	Problem
//	@Failure		503			{object}	Problem
//	@Failure		500			{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/support-schemes/{id} [patch]
func (s *Server) patchSupportScheme(c echo.Context) error {
	id, body, err := pathIDAndBody(c)
	if err != nil {
		return err
	}
	load := func() (*essdir.SupportScheme, error) {
		return s.supportSchemes.FindSupportSchemeByID(c.Request().Context(), id)
	}
	view := func(sc *essdir.SupportScheme) any { return toSupportScheme(sc, true) }
	change, err := patchChange[essdir.SupportScheme, *essdir.SupportScheme, SupportSchemeInput](c, body, load, view)
	if err != nil {
		return err
	}
	return s.updateSupportScheme(c, id, change)
}

// deleteSupportScheme godoc
//
//	@ID				deleteSupportScheme
//	@Summary		Delete a support scheme
//	@Description	Soft delete. A support scheme that a live collectivity link still names cannot be deleted (409 naming the links).
//	@Tags			support-schemes
//	@Produce		json,application/problem+json
//	@Param			id			path	string	true	"support scheme id"	format(uuid)
//	@Param			If-Match	header	string	false	"ETag the deletion is based on"
//	@Success		204			"deleted"
//	@Failure		400			{object}	Problem
//	@Failure		401			{object}	Problem
//	@Failure		403			{object}	Problem
//	@Failure		404			{object}	Problem
//	@Failure		409			{object}	Problem	"still named by collectivity links"
//	@Failure		412			{object}	Problem
//	@Failure		429			{object}	Problem
//	@Failure		503			{object}	Problem
//	@Failure		500			{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/support-schemes/{id} [delete]
func (s *Server) deleteSupportScheme(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.supportSchemes.DeleteSupportScheme(c.Request().Context(), id, ifMatchCheck[essdir.SupportScheme](c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
