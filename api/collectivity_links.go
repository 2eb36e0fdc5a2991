package api

import (
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

func (s *Server) collectivityLinkRoutes(g *echo.Group, write ...echo.MiddlewareFunc) {
	g.GET("/collectivity-links", s.listCollectivityLinks)
	g.GET("/structures/:id/collectivity-links", s.listStructureCollectivityLinks)
	g.GET("/collectivities/:id/collectivity-links", s.listCollectivityCollectivityLinks)
	g.POST("/collectivity-links", s.createCollectivityLink, append(write, requireJSON)...)
	g.GET("/collectivity-links/:id", s.getCollectivityLink)
	g.PUT("/collectivity-links/:id", s.replaceCollectivityLink, append(write, requireJSON)...)
	g.PATCH("/collectivity-links/:id", s.patchCollectivityLink, append(write, requireJSON)...)
	g.DELETE("/collectivity-links/:id", s.deleteCollectivityLink, write...)
}

// listCollectivityLinks godoc
//
//	@ID				listCollectivityLinks
//	@Summary		List collectivity links
//	@Description	The support collectivities give structures, newest change first (the only order: a link has no name and its dates are often unknown). Anonymous callers see the links of published structures only. Several values of one filter are alternatives.
//	@Tags			collectivity-links
//	@Produce		json,application/problem+json
//	@Param			limit				query		int			false	"page size"	minimum(1)	maximum(100)	default(20)
//	@Param			cursor				query		string		false	"next_cursor of the previous page"
//	@Param			include_total		query		bool		false	"count every match in meta.total"
//	@Param			sort				query		string		false	"order"	Enums(-updated_at)	default(-updated_at)
//	@Param			structure_id		query		[]string	false	"structure ids"	collectionFormat(multi)
//	@Param			collectivity_id		query		[]string	false	"collectivity ids"	collectionFormat(multi)
//	@Param			support_scheme_id	query		[]string	false	"support scheme ids"	collectionFormat(multi)
//	@Param			support_kind		query		[]string	false	"support kind codes"	collectionFormat(multi)
//	@Param			updated_since		query		string		false	"RFC 3339 timestamp or date (a date is that day in Europe/Paris)"
//	@Success		200					{object}	CollectivityLinkList
//	@Header			200					{string}	Link	"<...>; rel=\"next\" when there is a next page"
//	@Failure		400					{object}	Problem	"bad parameter"
//	@Failure		401					{object}	Problem	"invalid token"
//	@Failure		429					{object}	Problem
//	@Failure		503					{object}	Problem
//	@Failure		500					{object}	Problem	"internal error, logged with the request id"
//	@Router			/v1/collectivity-links [get]
func (s *Server) listCollectivityLinks(c echo.Context) error {
	q := newQuery(c, append(listParamNames, "structure_id", "collectivity_id", "support_scheme_id", "support_kind", "updated_since")...)
	f := essdir.CollectivityLinkFilter{StructureIDs: q.uuids("structure_id"), CollectivityIDs: q.uuids("collectivity_id")}
	return s.findCollectivityLinks(c, q, f)
}

// listStructureCollectivityLinks godoc
//
//	@ID				listStructureCollectivityLinks
//	@Summary		List the support a structure receives
//	@Tags			collectivity-links
//	@Produce		json,application/problem+json
//	@Param			id					path		string		true	"structure id"	format(uuid)
//	@Param			limit				query		int			false	"page size"	minimum(1)	maximum(100)	default(20)
//	@Param			cursor				query		string		false	"next_cursor of the previous page"
//	@Param			include_total		query		bool		false	"count every match in meta.total"
//	@Param			sort				query		string		false	"order"	Enums(-updated_at)	default(-updated_at)
//	@Param			collectivity_id		query		[]string	false	"collectivity ids"	collectionFormat(multi)
//	@Param			support_scheme_id	query		[]string	false	"support scheme ids"	collectionFormat(multi)
//	@Param			support_kind		query		[]string	false	"support kind codes"	collectionFormat(multi)
//	@Param			updated_since		query		string		false	"RFC 3339 timestamp or date"
//	@Success		200					{object}	CollectivityLinkList
//	@Header			200					{string}	Link	"<...>; rel=\"next\" when there is a next page"
//	@Failure		400					{object}	Problem	"bad parameter"
//	@Failure		401					{object}	Problem	"invalid token"
//	@Failure		404					{object}	Problem	"no such structure, or not published"
//	@Failure		429					{object}	Problem
//	@Failure		503					{object}	Problem
//	@Failure		500					{object}	Problem	"internal error, logged with the request id"
//	@Router			/v1/structures/{id}/collectivity-links [get]
func (s *Server) listStructureCollectivityLinks(c echo.Context) error {
	st, err := s.visibleStructure(c)
	if err != nil {
		return err
	}
	q := newQuery(c, append(listParamNames, "collectivity_id", "support_scheme_id", "support_kind", "updated_since")...)
	f := essdir.CollectivityLinkFilter{StructureIDs: []uuid.UUID{st.ID}, CollectivityIDs: q.uuids("collectivity_id")}
	return s.findCollectivityLinks(c, q, f)
}

// listCollectivityCollectivityLinks godoc
//
//	@ID				listCollectivityCollectivityLinks
//	@Summary		List the support a collectivity gives
//	@Description	Anonymous callers see the links to published structures only.
//	@Tags			collectivity-links
//	@Produce		json,application/problem+json
//	@Param			id					path		string		true	"collectivity id"	format(uuid)
//	@Param			limit				query		int			false	"page size"	minimum(1)	maximum(100)	default(20)
//	@Param			cursor				query		string		false	"next_cursor of the previous page"
//	@Param			include_total		query		bool		false	"count every match in meta.total"
//	@Param			sort				query		string		false	"order"	Enums(-updated_at)	default(-updated_at)
//	@Param			structure_id		query		[]string	false	"structure ids"	collectionFormat(multi)
//	@Param			support_scheme_id	query		[]string	false	"support scheme ids"	collectionFormat(multi)
//	@Param			support_kind		query		[]string	false	"support kind codes"	collectionFormat(multi)
//	@Param			updated_since		query		string		false	"RFC 3339 timestamp or date"
//	@Success		200					{object}	CollectivityLinkList
//	@Header			200					{string}	Link	"<...>; rel=\"next\" when there is a next page"
//	@Failure		400					{object}	Problem	"bad parameter"
//	@Failure		401					{object}	Problem	"invalid token"
//	@Failure		404					{object}	Problem	"no such collectivity"
//	@Failure		429					{object}	Problem
//	@Failure		503					{object}	Problem
//	@Failure		500					{object}	Problem	"internal error, logged with the request id"
//	@Router			/v1/collectivities/{id}/collectivity-links [get]
func (s *Server) listCollectivityCollectivityLinks(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if _, err := s.collectivities.FindCollectivityByID(c.Request().Context(), id); err != nil {
		return err
	}
	q := newQuery(c, append(listParamNames, "structure_id", "support_scheme_id", "support_kind", "updated_since")...)
	f := essdir.CollectivityLinkFilter{CollectivityIDs: []uuid.UUID{id}, StructureIDs: q.uuids("structure_id")}
	return s.findCollectivityLinks(c, q, f)
}

// findCollectivityLinks completes f with the parameters every link list
// takes and the caller's visibility, and answers the page.
func (s *Server) findCollectivityLinks(c echo.Context, q *query, f essdir.CollectivityLinkFilter) error {
	f.SupportSchemeIDs = q.uuids("support_scheme_id")
	f.SupportKinds = codes[essdir.SupportKind](q, "support_kind", essdir.SupportKinds)
	f.UpdatedSince = q.timestamp("updated_since")
	f.List = listParams(q, essdir.CollectivityLinkSorts)
	if err := q.err(); err != nil {
		return err
	}
	if !canSeeUnpublished(c) {
		f.StructureStatuses = []essdir.Status{essdir.StatusPublished}
	}
	page, err := s.collectivityLinks.FindCollectivityLinks(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return writeList(c, page, toCollectivityLink,
		func(data []CollectivityLink, meta ListMeta) any { return CollectivityLinkList{Data: data, Meta: meta} })
}

// getCollectivityLink godoc
//
//	@ID				getCollectivityLink
//	@Summary		Get a collectivity link
//	@Description	Anonymous callers see the links of published structures only. `If-None-Match` answers 304 when the copy is current.
//	@Tags			collectivity-links
//	@Produce		json,application/problem+json
//	@Param			id				path		string	true	"collectivity link id"	format(uuid)
//	@Param			If-None-Match	header		string	false	"ETag of the copy the client holds"
//	@Success		200				{object}	CollectivityLink
//	@Header			200				{string}	ETag	"strong entity tag"
//	@Success		304				"not modified"
//	@Failure		400				{object}	Problem	"the id is not a UUID, or an unknown parameter"
//	@Failure		401				{object}	Problem	"invalid token"
//	@Failure		404				{object}	Problem
//	@Failure		429				{object}	Problem
//	@Failure		503				{object}	Problem
//	@Failure		500				{object}	Problem	"internal error, logged with the request id"
//	@Router			/v1/collectivity-links/{id} [get]
func (s *Server) getCollectivityLink(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := newQuery(c).err(); err != nil {
		return err
	}
	l, err := s.collectivityLinks.FindCollectivityLinkByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if err := s.throughStructure(c, l.StructureID, "collectivity link"); err != nil {
		return err
	}
	return writeRecord(c, http.StatusOK, &l.Record, toCollectivityLink(l))
}

// createCollectivityLink godoc
//
//	@ID				createCollectivityLink
//	@Summary		Create a collectivity link
//	@Description	The structure, the collectivity and the support scheme (optional) must be live records of the directory. `amount_eur` is a decimal string ("15000.00"), `start_date` and `end_date` dates (`2024-11-28`), the end not before the start.
//	@Tags			collectivity-links
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Param			Idempotency-Key	header		string	false	"makes a retry safe: the first answer is replayed"
//	@Param			link	body		CollectivityLinkInput	true	"the link"
//	@Success		201		{object}	CollectivityLink
//	@Header			201		{string}	Location	"URL of the new link"
//	@Header			201		{string}	ETag		"strong entity tag"
//	@Failure		400		{object}	Problem		"malformed JSON, unknown field or wrong JSON type (an amount as a number)"
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
//	@Router			/v1/collectivity-links [post]
func (s *Server) createCollectivityLink(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	in, err := decodeInput[essdir.CollectivityLink, CollectivityLinkInput](body)
	if err != nil {
		return err
	}
	l, echoed, err := in.toDomain()
	if err != nil {
		return err
	}
	if err := s.collectivityLinks.CreateCollectivityLink(c.Request().Context(), l, echoed); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/collectivity-links/"+l.ID.String())
	return writeRecord(c, http.StatusCreated, &l.Record, toCollectivityLink(l))
}

// replaceCollectivityLink godoc
//
//	@ID				replaceCollectivityLink
//	@Summary		Replace a collectivity link
//	@Description	PUT replaces the whole record: an omitted optional field is cleared. A GET body may be sent back as is; sending the stored record again changes nothing (same version).
//	@Tags			collectivity-links
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Param			id			path		string					true	"collectivity link id"	format(uuid)
//	@Param			If-Match	header		string					false	"ETag the change is based on"
//	@Param			link		body		CollectivityLinkInput	true	"the whole link"
//	@Success		200			{object}	CollectivityLink
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
//	@Router			/v1/collectivity-links/{id} [put]
func (s *Server) replaceCollectivityLink(c echo.Context) error {
	id, body, err := pathIDAndBody(c)
	if err != nil {
		return err
	}
	change, err := replaceChange[essdir.CollectivityLink, *essdir.CollectivityLink, CollectivityLinkInput](c, body)
	if err != nil {
		return err
	}
	return s.updateCollectivityLink(c, id, change)
}

func (s *Server) updateCollectivityLink(c echo.Context, id uuid.UUID, change essdir.Change[essdir.CollectivityLink]) error {
	updated, err := s.collectivityLinks.UpdateCollectivityLink(c.Request().Context(), id, change)
	if err != nil {
		return err
	}
	return writeRecord(c, http.StatusOK, &updated.Record, toCollectivityLink(updated))
}

// patchCollectivityLink godoc
//
//	@ID				patchCollectivityLink
//	@Summary		Patch a collectivity link
//	@Description	JSON Merge Patch (RFC 7396): members set replace, `null` removes, lists are replaced whole. The result is checked like a PUT.
//	@Tags			collectivity-links
//	@Accept			json
//	@Accept			application/merge-patch+json
//	@Produce		json,application/problem+json
//	@Param			id			path		string	true	"collectivity link id"	format(uuid)
//	@Param			If-Match	header		string	false	"ETag the change is based on"
//	@Param			patch		body		object	true	"the members of CollectivityLink to change (null removes)"
//	@Success		200			{object}	CollectivityLink
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
//	@Router			/v1/collectivity-links/{id} [patch]
func (s *Server) patchCollectivityLink(c echo.Context) error {
	id, body, err := pathIDAndBody(c)
	if err != nil {
		return err
	}
	load := func() (*essdir.CollectivityLink, error) {
		return s.collectivityLinks.FindCollectivityLinkByID(c.Request().Context(), id)
	}
	view := func(l *essdir.CollectivityLink) any { return toCollectivityLink(l) }
	change, err := patchChange[essdir.CollectivityLink, *essdir.CollectivityLink, CollectivityLinkInput](c, body, load, view)
	if err != nil {
		return err
	}
	return s.updateCollectivityLink(c, id, change)
}

// deleteCollectivityLink godoc
//
//	@ID				deleteCollectivityLink
//	@Summary		Delete a collectivity link
//	@Tags			collectivity-links
//	@Produce		json,application/problem+json
//	@Param			id			path	string	true	"collectivity link id"	format(uuid)
//	@Param			If-Match	header	string	false	"ETag the deletion is based on"
//	@Success		204			"deleted"
//	@Failure		400			{object}	Problem
//	@Failure		401			{object}	Problem
//	@Failure		403			{object}	Problem
//	@Failure		404			{object}	Problem
//	@Failure		412			{object}	Problem
//	@Failure		429			{object}	Problem
//	@Failure		503			{object}	Problem
//	@Failure		500			{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/collectivity-links/{id} [delete]
func (s *Server) deleteCollectivityLink(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	check := ifMatchCheck[essdir.CollectivityLink](c)
	if err := s.collectivityLinks.DeleteCollectivityLink(c.Request().Context(), id, check); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
