package api

import (
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

func (s *Server) collectivityRoutes(g *echo.Group, write ...echo.MiddlewareFunc) {
	g.GET("/collectivities", s.listCollectivities)
	g.POST("/collectivities", s.createCollectivity, append(write, requireJSON)...)
	g.GET("/collectivities/:id", s.getCollectivity)
	g.PUT("/collectivities/:id", s.replaceCollectivity, append(write, requireJSON)...)
	g.PATCH("/collectivities/:id", s.patchCollectivity, append(write, requireJSON)...)
	g.DELETE("/collectivities/:id", s.deleteCollectivity, write...)
}

// listCollectivities godoc
//
//	@ID				listCollectivities
//	@Summary		List collectivities
//	@Description	Local authorities and public bodies, filtered and paginated by cursor.
//	@Tags			collectivities
//	@Produce		json,application/problem+json
//	@Param			limit			query		int			false	"page size"	minimum(1)	maximum(100)	default(20)
//	@Param			cursor			query		string		false	"next_cursor of the previous page"
//	@Param			include_total	query		bool		false	"count every match in meta.total"
//	@Param			sort			query		string		false	"order"	Enums(name, -updated_at)	default(name)
//	@Param			kind			query		[]string	false	"kinds (commune, epci, departement, region…)"	collectionFormat(multi)
//	@Param			department_code	query		[]string	false	"département codes"	collectionFormat(multi)
//	@Param			region_code		query		[]string	false	"région codes"	collectionFormat(multi)
//	@Param			insee_code		query		[]string	false	"official territory codes"	collectionFormat(multi)
//	@Param			siren			query		[]string	false	"SIRENs"	collectionFormat(multi)
//	@Param			source			query		[]string	false	"sources"	collectionFormat(multi)
//	@Param			updated_since	query		string		false	"RFC 3339 timestamp or date (a date is that day in Europe/Paris)"
//	@Param			If-None-Match	header		string		false	"ETag of the page the client holds"
//	@Success		200				{object}	CollectivityList
//	@Header			200				{string}	ETag	"strong entity tag of the page"
//	@Success		304				"not modified"
//	@Header			200				{string}	Link	"<...>; rel=\"next\" when there is a next page"
//	@Failure		400				{object}	Problem	"bad parameter"
//	@Failure		401				{object}	Problem	"invalid token"
//	@Failure		429				{object}	Problem
//	@Failure		503				{object}	Problem
//	@Failure		500				{object}	Problem	"internal error, logged with the request id"
//	@Router			/v1/collectivities [get]
func (s *Server) listCollectivities(c echo.Context) error {
	q := newQuery(c, append(listParamNames, "kind", "department_code", "region_code", "insee_code", "siren", "source", "updated_since")...)
	f := essdir.CollectivityFilter{
		Kinds:           codes[essdir.CollectivityKind](q, "kind", essdir.CollectivityKinds),
		DepartmentCodes: q.matching("department_code", essdir.ValidDepartmentCode, "a département code"),
		RegionCodes:     q.matching("region_code", essdir.ValidRegionCode, "a région code"),
		INSEECodes:      q.list("insee_code"),
		SIRENs:          q.matching("siren", essdir.ValidSIREN, "a SIREN"),
		Sources:         q.texts("source"),
		UpdatedSince:    q.timestamp("updated_since"),
		List:            listParams(q, essdir.CollectivitySorts),
	}
	if err := q.err(); err != nil {
		return err
	}
	page, err := s.collectivities.FindCollectivities(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return writeList(c, page, toCollectivity, func(data []Collectivity, meta ListMeta) any { return CollectivityList{Data: data, Meta: meta} })
}

// getCollectivity godoc
//
//	@ID				getCollectivity
//	@Summary		Get an collectivity
//	@Tags			collectivities
//	@Produce		json,application/problem+json
//	@Param			id				path		string	true	"collectivity id"	format(uuid)
//	@Param			If-None-Match	header		string	false	"ETag of the copy the client holds"
//	@Success		200				{object}	Collectivity
//	@Header			200				{string}	ETag	"strong entity tag"
//	@Success		304				"not modified"
//	@Failure		400				{object}	Problem	"the id is not a UUID, or an unknown parameter"
//	@Failure		401				{object}	Problem	"invalid token"
//	@Failure		404				{object}	Problem
//	@Failure		429				{object}	Problem
//	@Failure		503				{object}	Problem
//	@Failure		500				{object}	Problem	"internal error, logged with the request id"
//	@Router			/v1/collectivities/{id} [get]
func (s *Server) getCollectivity(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := newQuery(c).err(); err != nil {
		return err
	}
	rec, err := s.collectivities.FindCollectivityByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return writeRecord(c, http.StatusOK, &rec.Record, toCollectivity(rec))
}

// createCollectivity godoc
//
//	@ID				createCollectivity
//	@Summary		Create a collectivity
//	@Description	The official code is checked against the geography (a commune's INSEE code, a département's or a région's code; an EPCI's SIREN) and gives the département and the région. Codes are unique per kind.
//	@Tags			collectivities
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Param			Idempotency-Key	header		string	false	"makes a retry safe: the first answer is replayed"
//	@Param			collectivity	body		CollectivityInput	true	"the collectivity"
//	@Success		201				{object}	Collectivity
//	@Header			201				{string}	Location	"URL of the new collectivity"
//	@Header			201				{string}	ETag		"strong entity tag"
//	@Failure		400				{object}	Problem		"malformed JSON or unknown field"
//	@Failure		401				{object}	Problem
//	@Failure		403				{object}	Problem
//	@Failure		409				{object}	Problem	"a collectivity of this kind with this code exists, or the Idempotency-Key is in use"
//	@Failure		413				{object}	Problem
//	@Failure		415				{object}	Problem
//	@Failure		422				{object}	Problem	"invalid fields, one entry each"
//	@Failure		429				{object}	Problem
//	@Failure		503				{object}	Problem
//	@Failure		500				{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/collectivities [post]
func (s *Server) createCollectivity(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	in, err := decodeInput[essdir.Collectivity, CollectivityInput](body)
	if err != nil {
		return err
	}
	rec, echoed, err := in.toDomain()
	if err != nil {
		return err
	}
	if err := s.collectivities.CreateCollectivity(c.Request().Context(), rec, echoed); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/collectivities/"+rec.ID.String())
	return writeRecord(c, http.StatusCreated, &rec.Record, toCollectivity(rec))
}

// replaceCollectivity godoc
//
//	@ID				replaceCollectivity
//	@Summary		Replace an collectivity
//	@Description	PUT replaces the whole record. A GET body may be sent back as is.
//	@Tags			collectivities
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Param			id			path		string			true	"collectivity id"	format(uuid)
//	@Param			If-Match	header		string			false	"ETag the change is based on"
//	@Param			collectivity	body		CollectivityInput	true	"the whole collectivity"
//	@Success		200			{object}	Collectivity
//	@Header			200			{string}	ETag	"strong entity tag"
//	@Failure		400			{object}	Problem	"malformed JSON, unknown field, or body id ≠ path id"
//	@Failure		401			{object}	Problem
//	@Failure		403			{object}	Problem
//	@Failure		404			{object}	Problem
//	@Failure		409			{object}	Problem	"duplicate code, or stale version in the body"
//	@Failure		412			{object}	Problem	"If-Match does not match"
//	@Failure		413			{object}	Problem
//	@Failure		415			{object}	Problem
//	@Failure		422			{object}	Problem
//	@Failure		429			{object}	Problem
//	@Failure		503			{object}	Problem
//	@Failure		500			{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/collectivities/{id} [put]
func (s *Server) replaceCollectivity(c echo.Context) error {
	id, body, err := pathIDAndBody(c)
	if err != nil {
		return err
	}
	change, err := replaceChange[essdir.Collectivity, *essdir.Collectivity, CollectivityInput](c, body)
	if err != nil {
		return err
	}
	return s.updateCollectivity(c, id, change)
}

func (s *Server) updateCollectivity(c echo.Context, id uuid.UUID, change essdir.Change[essdir.Collectivity]) error {
	updated, err := s.collectivities.UpdateCollectivity(c.Request().Context(), id, change)
	if err != nil {
		return err
	}
	return writeRecord(c, http.StatusOK, &updated.Record, toCollectivity(updated))
}

// patchCollectivity godoc
//
//	@ID				patchCollectivity
//	@Summary		Patch an collectivity
//	@Description	JSON Merge Patch (RFC 7396): members set replace, `null` removes. The result is checked like a PUT.
//	@Tags			collectivities
//	@Accept			json
//	@Accept			application/merge-patch+json
//	@Produce		json,application/problem+json
//	@Param			id			path		string	true	"collectivity id"	format(uuid)
//	@Param			If-Match	header		string	false	"ETag the change is based on"
//	@Param			patch		body		object	true	"the members of Collectivity to change (null removes)"
//	@Success		200			{object}	Collectivity
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
//	@Router			/v1/collectivities/{id} [patch]
func (s *Server) patchCollectivity(c echo.Context) error {
	id, body, err := pathIDAndBody(c)
	if err != nil {
		return err
	}
	load := func() (*essdir.Collectivity, error) {
		return s.collectivities.FindCollectivityByID(c.Request().Context(), id)
	}
	view := func(rec *essdir.Collectivity) any { return toCollectivity(rec) }
	change, err := patchChange[essdir.Collectivity, *essdir.Collectivity, CollectivityInput](c, body, load, view)
	if err != nil {
		return err
	}
	return s.updateCollectivity(c, id, change)
}

// deleteCollectivity godoc
//
//	@ID				deleteCollectivity
//	@Summary		Delete an collectivity
//	@Tags			collectivities
//	@Produce		json,application/problem+json
//	@Param			id			path	string	true	"collectivity id"	format(uuid)
//	@Param			If-Match	header	string	false	"ETag the deletion is based on"
//	@Success		204			"deleted"
//	@Failure		400			{object}	Problem
//	@Failure		401			{object}	Problem
//	@Failure		403			{object}	Problem
//	@Failure		404			{object}	Problem
//	@Failure		409			{object}	Problem	"still referenced"
//	@Failure		412			{object}	Problem
//	@Failure		429			{object}	Problem
//	@Failure		503			{object}	Problem
//	@Failure		500			{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/collectivities/{id} [delete]
func (s *Server) deleteCollectivity(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.collectivities.DeleteCollectivity(c.Request().Context(), id, ifMatchCheck[essdir.Collectivity](c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
