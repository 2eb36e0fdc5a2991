package api

import (
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

func (s *Server) activityRoutes(g *echo.Group, write ...echo.MiddlewareFunc) {
	g.GET("/activities", s.listActivities)
	g.GET("/structures/:id/activities", s.listStructureActivities)
	g.POST("/structures/:id/activities", s.createActivity, append(write, requireJSON)...)
	g.GET("/activities/:id", s.getActivity)
	g.PUT("/activities/:id", s.replaceActivity, append(write, requireJSON)...)
	g.PATCH("/activities/:id", s.patchActivity, append(write, requireJSON)...)
	g.DELETE("/activities/:id", s.deleteActivity, write...)
}

// listActivities godoc
//
//	@ID				listActivities
//	@Summary		Search activities across structures
//	@Description	The activities of published structures (editors may ask for other statuses), filtered by their own sector, audience and update time, and by every filter of their structure. Paginated by cursor.
//	@Tags			activities
//	@Produce		json,application/problem+json
//	@Param			limit			query		int			false	"page size"	minimum(1)	maximum(100)	default(20)
//	@Param			cursor			query		string		false	"next_cursor of the previous page"
//	@Param			include_total	query		bool		false	"count every match in meta.total"
//	@Param			sort			query		string		false	"order"	Enums(name, -updated_at)	default(name)
//	@Param			sector			query		[]string	false	"sector codes of the activity"	collectionFormat(multi)
//	@Param			audience		query		[]string	false	"audience codes of the activity"	collectionFormat(multi)
//	@Param			updated_since	query		string		false	"RFC 3339 timestamp or date (a date is that day in Europe/Paris)"
//	@Param			legal_form		query		[]string	false	"legal form codes of the structure"	collectionFormat(multi)
//	@Param			label			query		[]string	false	"label codes of the structure"	collectionFormat(multi)
//	@Param			department_code	query		[]string	false	"département codes of the structure"	collectionFormat(multi)
//	@Param			region_code		query		[]string	false	"région codes of the structure"	collectionFormat(multi)
//	@Param			insee_code		query		[]string	false	"commune INSEE codes of the structure"	collectionFormat(multi)
//	@Param			postal_code		query		[]string	false	"postal codes of the structure"	collectionFormat(multi)
//	@Param			city			query		[]string	false	"cities of the structure (case-insensitive)"	collectionFormat(multi)
//	@Param			network			query		[]string	false	"networks of the structure"	collectionFormat(multi)
//	@Param			source			query		[]string	false	"sources of the structure"	collectionFormat(multi)
//	@Param			status			query		[]string	false	"statuses of the structure (editors only; default published)"	collectionFormat(multi)
//	@Param			collectivity_id		query	[]string	false	"collectivities that support the structure through a link"	collectionFormat(multi)
//	@Param			support_scheme_id	query	[]string	false	"support schemes the structure operates or benefited from"	collectionFormat(multi)
//	@Param			q				query		string		false	"French full-text search of the structure (as in the structure list; activity names included)"	maxLength(200)
//	@Param			near			query		string		false	"lat,lon: structures within radius_km of this point"
//	@Param			radius_km		query		number		false	"radius around near, in km"	maximum(200)	default(10)
//	@Param			bbox			query		string		false	"min_lon,min_lat,max_lon,max_lat of the structure"
//	@Param			If-None-Match	header		string		false	"ETag of the page the client holds"
//	@Success		200				{object}	ActivityList
//	@Header			200				{string}	ETag	"strong entity tag of the page"
//	@Success		304				"not modified"
//	@Header			200				{string}	Link	"<...>; rel=\"next\" when there is a next page"
//	@Failure		400				{object}	Problem	"bad parameter"
//	@Failure		401				{object}	Problem	"invalid token, or status filter without one"
//	@Failure		403				{object}	Problem	"a partner listing unpublished records outside its source"
//	@Failure		429				{object}	Problem
//	@Failure		503				{object}	Problem
//	@Failure		500				{object}	Problem	"internal error, logged with the request id"
//	@Router			/v1/activities [get]
func (s *Server) listActivities(c echo.Context) error {
	q := newQuery(c, append(listParamNames, structureFilterParams...)...)
	f := essdir.ActivityFilter{Structure: structureFilter(c, q)}
	f.Audiences, f.Structure.Audiences = f.Structure.Audiences, nil
	return s.findActivities(c, q, f)
}

// listStructureActivities godoc
//
//	@ID				listStructureActivities
//	@Summary		List a structure's activities
//	@Tags			activities
//	@Produce		json,application/problem+json
//	@Param			id				path		string		true	"structure id"	format(uuid)
//	@Param			limit			query		int			false	"page size"	minimum(1)	maximum(100)	default(20)
//	@Param			cursor			query		string		false	"next_cursor of the previous page"
//	@Param			include_total	query		bool		false	"count every match in meta.total"
//	@Param			sort			query		string		false	"order"	Enums(name, -updated_at)	default(name)
//	@Param			sector			query		[]string	false	"sector codes"	collectionFormat(multi)
//	@Param			audience		query		[]string	false	"audience codes"	collectionFormat(multi)
//	@Param			updated_since	query		string		false	"RFC 3339 timestamp or date"
//	@Param			If-None-Match	header		string		false	"ETag of the page the client holds"
//	@Success		200				{object}	ActivityList
//	@Header			200				{string}	ETag	"strong entity tag of the page"
//	@Success		304				"not modified"
//	@Header			200				{string}	Link	"<...>; rel=\"next\" when there is a next page"
//	@Failure		400				{object}	Problem	"bad parameter"
//	@Failure		401				{object}	Problem	"invalid token"
//	@Failure		404				{object}	Problem	"no such structure, or not published"
//	@Failure		429				{object}	Problem
//	@Failure		503				{object}	Problem
//	@Failure		500				{object}	Problem	"internal error, logged with the request id"
//	@Router			/v1/structures/{id}/activities [get]
func (s *Server) listStructureActivities(c echo.Context) error {
	st, err := s.visibleStructure(c)
	if err != nil {
		return err
	}
	q := newQuery(c, append(listParamNames, "sector", "audience", "updated_since")...)
	f := essdir.ActivityFilter{StructureIDs: []uuid.UUID{st.ID}, Structure: essdir.StructureFilter{Statuses: []essdir.Status{st.Status}}}
	f.Audiences = codes[essdir.Audience](q, "audience", essdir.Audiences)
	return s.findActivities(c, q, f)
}

// findActivities completes f with the parameters every activity list takes
// and answers the page.
func (s *Server) findActivities(c echo.Context, q *query, f essdir.ActivityFilter) error {
	f.Sectors = codes[essdir.Sector](q, "sector", essdir.Sectors)
	f.UpdatedSince = q.timestamp("updated_since")
	f.List = listParams(q, essdir.ActivitySorts)
	if err := q.err(); err != nil {
		return err
	}
	page, err := s.activities.FindActivities(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return writeList(c, page, toActivity, func(data []Activity, meta ListMeta) any { return ActivityList{Data: data, Meta: meta} })
}

// visibleStructure reads the structure of the {id} path parameter, as a
// missing one (404) when the caller may not see it.
func (s *Server) visibleStructure(c echo.Context) (*essdir.Structure, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	st, err := s.structures.FindStructureByID(c.Request().Context(), id)
	if err != nil {
		return nil, err
	}
	return st, visible(c, st.Status, st.Source, "structure")
}

// throughStructure answers 404 for a record the caller reaches only through
// a structure it may not see (an activity or a link of a draft).
func (s *Server) throughStructure(c echo.Context, structureID uuid.UUID, kind string) error {
	if canSeeUnpublished(c) {
		return nil
	}
	st, err := s.structures.FindStructureByID(c.Request().Context(), structureID)
	if err != nil || !canSee(c, st.Status, st.Source) {
		return essdir.Errorf(essdir.ENOTFOUND, "%s not found", kind)
	}
	return nil
}

// getActivity godoc
//
//	@ID				getActivity
//	@Summary		Get an activity
//	@Description	Anonymous callers see the activities of published structures only.
//	@Tags			activities
//	@Produce		json,application/problem+json
//	@Param			id				path		string	true	"activity id"	format(uuid)
//	@Param			If-None-Match	header		string	false	"ETag of the copy the client holds"
//	@Success		200				{object}	Activity
//	@Header			200				{string}	ETag	"strong entity tag"
//	@Success		304				"not modified"
//	@Failure		400				{object}	Problem	"the id is not a UUID, or an unknown parameter"
//	@Failure		401				{object}	Problem	"invalid token"
//	@Failure		404				{object}	Problem
//	@Failure		429				{object}	Problem
//	@Failure		503				{object}	Problem
//	@Failure		500				{object}	Problem	"internal error, logged with the request id"
//	@Router			/v1/activities/{id} [get]
func (s *Server) getActivity(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := newQuery(c).err(); err != nil {
		return err
	}
	a, err := s.activities.FindActivityByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if err := s.throughStructure(c, a.StructureID, "activity"); err != nil {
		return err
	}
	return writeRecord(c, http.StatusOK, &a.Record, toActivity(a))
}

// createActivity godoc
//
//	@ID				createActivity
//	@Summary		Add an activity to a structure
//	@Description	The structure is the one of the path; a body structure_id, if any, must be the same.
//	@Tags			activities
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Param			id			path		string			true	"structure id"	format(uuid)
//	@Param			Idempotency-Key	header		string	false	"makes a retry safe: the first answer is replayed"
//	@Param			activity	body		ActivityInput	true	"the activity"
//	@Success		201			{object}	Activity
//	@Header			201			{string}	Location	"URL of the new activity"
//	@Header			201			{string}	ETag		"strong entity tag"
//	@Failure		400			{object}	Problem		"malformed JSON, unknown field, or body structure_id ≠ path id"
//	@Failure		401			{object}	Problem
//	@Failure		403			{object}	Problem
//	@Failure		404			{object}	Problem	"no such structure"
//	@Failure		413			{object}	Problem
//	@Failure		415			{object}	Problem
//	@Failure		409			{object}	Problem	"the Idempotency-Key is in use"
//	@Failure		422			{object}	Problem	"invalid fields, one entry each"
//	@Failure		429			{object}	Problem
//	@Failure		503			{object}	Problem
//	@Failure		500			{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/structures/{id}/activities [post]
func (s *Server) createActivity(c echo.Context) error {
	structureID, body, err := pathIDAndBody(c)
	if err != nil {
		return err
	}
	in, err := decodeInput[essdir.Activity, ActivityInput](body)
	if err != nil {
		return err
	}
	if in.StructureID != nil && *in.StructureID != structureID {
		return malformed("structure_id", "the body structure_id differs from the structure in the path")
	}
	if _, err := s.structures.FindStructureByID(c.Request().Context(), structureID); err != nil {
		return err
	}
	a, echoed, err := in.toDomain()
	if err != nil {
		return err
	}
	a.StructureID = structureID
	if err := s.activities.CreateActivity(c.Request().Context(), a, echoed); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/activities/"+a.ID.String())
	return writeRecord(c, http.StatusCreated, &a.Record, toActivity(a))
}

// replaceActivity godoc
//
//	@ID				replaceActivity
//	@Summary		Replace an activity
//	@Description	PUT replaces the whole record (an omitted structure_id keeps the stored one). A GET body may be sent back as is.
//	@Tags			activities
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Param			id			path		string			true	"activity id"	format(uuid)
//	@Param			If-Match	header		string			false	"ETag the change is based on"
//	@Param			activity	body		ActivityInput	true	"the whole activity"
//	@Success		200			{object}	Activity
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
//	@Router			/v1/activities/{id} [put]
func (s *Server) replaceActivity(c echo.Context) error {
	id, body, err := pathIDAndBody(c)
	if err != nil {
		return err
	}
	change, err := replaceChange[essdir.Activity, *essdir.Activity, ActivityInput](c, body)
	if err != nil {
		return err
	}
	return s.updateActivity(c, id, change)
}

func (s *Server) updateActivity(c echo.Context, id uuid.UUID, change essdir.Change[essdir.Activity]) error {
	updated, err := s.activities.UpdateActivity(c.Request().Context(), id, change)
	if err != nil {
		return err
	}
	return writeRecord(c, http.StatusOK, &updated.Record, toActivity(updated))
}

// patchActivity godoc
//
//	@ID				patchActivity
//	@Summary		Patch an activity
//	@Description	JSON Merge Patch (RFC 7396): members set replace, `null` removes. The result is checked like a PUT.
//	@Tags			activities
//	@Accept			json
//	@Accept			application/merge-patch+json
//	@Produce		json,application/problem+json
//	@Param			id			path		string	true	"activity id"	format(uuid)
//	@Param			If-Match	header		string	false	"ETag the change is based on"
//	@Param			patch		body		object	true	"the members of Activity to change (null removes)"
//	@Success		200			{object}	Activity
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
//	@Router			/v1/activities/{id} [patch]
func (s *Server) patchActivity(c echo.Context) error {
	id, body, err := pathIDAndBody(c)
	if err != nil {
		return err
	}
	load := func() (*essdir.Activity, error) { return s.activities.FindActivityByID(c.Request().Context(), id) }
	view := func(a *essdir.Activity) any { return toActivity(a) }
	change, err := patchChange[essdir.Activity, *essdir.Activity, ActivityInput](c, body, load, view)
	if err != nil {
		return err
	}
	return s.updateActivity(c, id, change)
}

// deleteActivity godoc
//
//	@ID				deleteActivity
//	@Summary		Delete an activity
//	@Tags			activities
//	@Produce		json,application/problem+json
//	@Param			id			path	string	true	"activity id"	format(uuid)
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
//	@Router			/v1/activities/{id} [delete]
func (s *Server) deleteActivity(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.activities.DeleteActivity(c.Request().Context(), id, ifMatchCheck[essdir.Activity](c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
