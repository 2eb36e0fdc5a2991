package api

import (
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

// eventRoutes registers the events. Echo cannot tell /events/:id from
// /events/:id.ics (a parameter runs to the next slash), so one GET route
// serves both and getEvent hands a ".ics" id to getEventICS; the spec
// documents them as two paths.
func (s *Server) eventRoutes(g *echo.Group, write ...echo.MiddlewareFunc) {
	g.GET("/events", s.listEvents)
	g.GET("/events.ics", s.listEventsICS)
	g.POST("/events", s.createEvent, append(write, requireJSON)...)
	g.GET("/events/:id", s.getEvent)
	g.PUT("/events/:id", s.replaceEvent, append(write, requireJSON)...)
	g.PATCH("/events/:id", s.patchEvent, append(write, requireJSON)...)
	g.DELETE("/events/:id", s.deleteEvent, write...)
}

// eventFilterParams are the filters of event lists and of the calendar feed.
var eventFilterParams = []string{"from", "to", "department_code", "campaign", "status", "updated_since", "source"}

// eventFilter reads the filters shared by the list and the calendar feed.
func eventFilter(q *query) essdir.EventFilter {
	from, _ := q.period("from")
	_, to := q.period("to")
	f := essdir.EventFilter{
		From: from, To: to,
		DepartmentCodes: q.matching("department_code", essdir.ValidDepartmentCode, "a département code"),
		Campaigns:       q.texts("campaign"),
		Sources:         q.texts("source"),
		UpdatedSince:    q.timestamp("updated_since"),
	}
	for _, st := range q.list("status") {
		if !essdir.EventStatus(st).Valid() {
			q.errs.Add("status", "%q is not one of scheduled, cancelled, postponed", st)
			continue
		}
		f.Statuses = append(f.Statuses, essdir.EventStatus(st))
	}
	if from != nil && to != nil && !to.After(*from) {
		q.errs.Add("to", "must be after from (a date means its whole day)")
	}
	return f
}

// listEvents godoc
//
//	@ID				listEvents
//	@Summary		List events
//	@Description	Every live event, cancelled and postponed ones included (events have no editorial state), paginated by cursor. `from` and `to` select the events that overlap the interval: those ending after `from` and starting before `to` (an event ending exactly at `from`, or starting exactly at `to`, does not overlap; one of no duration counts at its instant); a date means its whole day in Europe/Paris (`from=2024-11-28&to=2024-11-28` is that day). Anonymous callers do not see organizers and participants that are unpublished structures.
//	@Tags			events
//	@Produce		json,application/problem+json
//	@Param			limit			query		int			false	"page size"	minimum(1)	maximum(100)	default(20)
//	@Param			cursor			query		string		false	"next_cursor of the previous page"
//	@Param			include_total	query		bool		false	"count every match in meta.total"
//	@Param			sort			query		string		false	"order"	Enums(starts_at, -updated_at)	default(starts_at)
//	@Param			from			query		string		false	"RFC 3339 timestamp or date: events ending at or after it"
//	@Param			to				query		string		false	"RFC 3339 timestamp or date (its whole day): events starting before its end"
//	@Param			department_code	query		[]string	false	"département codes of the venue"	collectionFormat(multi)
//	@Param			campaign		query		[]string	false	"campaign names (case-insensitive)"	collectionFormat(multi)
//	@Param			status			query		[]string	false	"event statuses (default all)"	collectionFormat(multi)
//	@Param			updated_since	query		string		false	"RFC 3339 timestamp or date"
//	@Param			source			query		[]string	false	"sources"	collectionFormat(multi)
//	@Param			If-None-Match	header		string		false	"ETag of the page the client holds"
//	@Success		200				{object}	EventList
//	@Header			200				{string}	ETag	"strong entity tag of the page"
//	@Success		304				"not modified"
//	@Header			200				{string}	Link	"<...>; rel=\"next\" when there is a next page"
//	@Failure		400				{object}	Problem	"bad parameter"
//	@Failure		401				{object}	Problem	"invalid token"
//	@Failure		429				{object}	Problem
//	@Failure		503				{object}	Problem
//	@Failure		500				{object}	Problem	"internal error, logged with the request id"
//	@Router			/v1/events [get]
func (s *Server) listEvents(c echo.Context) error {
	q := newQuery(c, append(listParamNames, eventFilterParams...)...)
	f := eventFilter(q)
	f.List = listParams(q, essdir.EventSorts)
	if err := q.err(); err != nil {
		return err
	}
	page, err := s.events.FindEvents(c.Request().Context(), f)
	if err != nil {
		return err
	}
	all := canSeeUnpublished(c)
	return writeList(c, page, func(e *essdir.Event) Event { return toEvent(e, all) },
		func(data []Event, meta ListMeta) any { return EventList{Data: data, Meta: meta} })
}

// getEvent godoc
//
//	@ID				getEvent
//	@Summary		Get an event
//	@Description	Anonymous callers do not see organizers and participants that are unpublished structures. `If-None-Match` answers 304 when the copy is current.
//	@Tags			events
//	@Produce		json,application/problem+json
//	@Param			id				path		string	true	"event id"	format(uuid)
//	@Param			If-None-Match	header		string	false	"ETag of the copy the client holds"
//	@Success		200				{object}	Event
//	@Header			200				{string}	ETag	"strong entity tag"
//	@Success		304				"not modified"
//	@Failure		400				{object}	Problem	"the id is not a UUID"
//	@Failure		401				{object}	Problem	"invalid token"
//	@Failure		404				{object}	Problem
//	@Failure		429				{object}	Problem
//	@Failure		503				{object}	Problem
//	@Failure		500				{object}	Problem	"internal error, logged with the request id"
//	@Router			/v1/events/{id} [get]
func (s *Server) getEvent(c echo.Context) error {
	if strings.HasSuffix(c.Param("id"), ".ics") {
		return s.getEventICS(c)
	}
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := newQuery(c).err(); err != nil {
		return err
	}
	ev, err := s.events.FindEventByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return writeRecord(c, http.StatusOK, &ev.Record, toEvent(ev, canSeeUnpublished(c)))
}

// createEvent godoc
//
//	@ID				createEvent
//	@Summary		Create an event
//	@Description	The server chooses the id and derives the venue's département and région. `timezone` defaults to Europe/Paris, `status` to scheduled. `price_eur` is a decimal string ("12.50"). Organizers and participants must be live records of the directory. Roles: editor, admin, partner (an event of a partner always carries its source; a body naming another source is a 403, nothing written).
//	@Tags			events
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Param			Idempotency-Key	header		string	false	"makes a retry safe: the first answer is replayed"
//	@Param			event	body		EventInput	true	"the event"
//	@Success		201		{object}	Event
//	@Header			201		{string}	Location	"URL of the new event"
//	@Header			201		{string}	ETag		"strong entity tag"
//	@Failure		400		{object}	Problem		"malformed JSON, unknown field or wrong JSON type"
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem
//	@Failure		409		{object}	Problem	"duplicate external id, or the Idempotency-Key is in use"
//	@Failure		413		{object}	Problem
//	@Failure		415		{object}	Problem
//	@Failure		422		{object}	Problem	"invalid fields, one entry each"
//	@Failure		429		{object}	Problem
//	@Failure		503		{object}	Problem
//	@Failure		500		{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/events [post]
func (s *Server) createEvent(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	in, err := decodeInput[essdir.Event, EventInput](body)
	if err != nil {
		return err
	}
	ev, echoed, err := in.toDomain()
	if err != nil {
		return err
	}
	if err := s.authorizeCreate(c, ev); err != nil {
		return err
	}
	if err := s.events.CreateEvent(c.Request().Context(), ev, echoed); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/events/"+ev.ID.String())
	return writeRecord(c, http.StatusCreated, &ev.Record, toEvent(ev, true))
}

// replaceEvent godoc
//
//	@ID				replaceEvent
//	@Summary		Replace an event
//	@Description	PUT replaces the whole record: an omitted optional field is cleared, an omitted status is kept. A body made from a GET may be sent back as is; sending the stored record again changes nothing (same version). Roles: editor, admin, partner (its own source only, 403 otherwise).
//	@Tags			events
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Param			id			path		string		true	"event id"	format(uuid)
//	@Param			If-Match	header		string		false	"ETag the change is based on"
//	@Param			event		body		EventInput	true	"the whole event"
//	@Success		200			{object}	Event
//	@Header			200			{string}	ETag	"strong entity tag"
//	@Failure		400			{object}	Problem	"malformed JSON, unknown field, or body id ≠ path id"
//	@Failure		401			{object}	Problem
//	@Failure		403			{object}	Problem
//	@Failure		404			{object}	Problem
//	@Failure		409			{object}	Problem	"duplicate, or stale version in the body"
//	@Failure		412			{object}	Problem	"If-Match does not match"
//	@Failure		413			{object}	Problem
//	@Failure		415			{object}	Problem
//	@Failure		422			{object}	Problem
//	@Failure		429			{object}	Problem
//	@Failure		503			{object}	Problem
//	@Failure		500			{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/events/{id} [put]
func (s *Server) replaceEvent(c echo.Context) error {
	id, body, err := pathIDAndBody(c)
	if err != nil {
		return err
	}
	change, err := replaceChange[essdir.Event, *essdir.Event, EventInput](c, body)
	if err != nil {
		return err
	}
	return s.updateEvent(c, id, change)
}

// updateEvent stores a change and answers the editor's view.
func (s *Server) updateEvent(c echo.Context, id uuid.UUID, change essdir.Change[essdir.Event]) error {
	change, err := authorizeChange[essdir.Event](s, c, change)
	if err != nil {
		return err
	}
	updated, err := s.events.UpdateEvent(c.Request().Context(), id, change)
	if err != nil {
		return err
	}
	return writeRecord(c, http.StatusOK, &updated.Record, toEvent(updated, true))
}

// patchEvent godoc
//
//	@ID				patchEvent
//	@Summary		Patch an event
//	@Description	JSON Merge Patch (RFC 7396): members set replace, `null` removes, objects merge, lists (organizers, participants) are replaced whole. The result is checked like a PUT. Roles: editor, admin, partner (its own source only, 403 otherwise).
//	@Tags			events
//	@Accept			json
//	@Accept			application/merge-patch+json
//	@Produce		json,application/problem+json
//	@Param			id			path		string	true	"event id"	format(uuid)
//	@Param			If-Match	header		string	false	"ETag the change is based on"
//	@Param			patch		body		object	true	"the members of Event to change (null removes)"
//	@Success		200			{object}	Event
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
//	@Router			/v1/events/{id} [patch]
func (s *Server) patchEvent(c echo.Context) error {
	id, body, err := pathIDAndBody(c)
	if err != nil {
		return err
	}
	load := func() (*essdir.Event, error) { return s.events.FindEventByID(c.Request().Context(), id) }
	view := func(ev *essdir.Event) any { return toEvent(ev, true) }
	change, err := patchChange[essdir.Event, *essdir.Event, EventInput](c, body, load, view)
	if err != nil {
		return err
	}
	return s.updateEvent(c, id, change)
}

// deleteEvent godoc
//
//	@ID				deleteEvent
//	@Summary		Delete an event
//	@Description	Soft delete: the event disappears from every read and from the calendar feeds (to tell calendars of a cancellation, set `status` to cancelled instead). Roles: editor, admin, partner (its own source only, 403 otherwise).
//	@Tags			events
//	@Produce		json,application/problem+json
//	@Param			id			path	string	true	"event id"	format(uuid)
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
//	@Router			/v1/events/{id} [delete]
func (s *Server) deleteEvent(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	check, err := authorizeDelete[essdir.Event](s, c, ifMatchCheck[essdir.Event](c))
	if err != nil {
		return err
	}
	if err := s.events.DeleteEvent(c.Request().Context(), id, check); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
