package api

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

// The calendar feed is bounded: by default it starts three years ago (a subscriber sees recent history, such as the demo forum), and it
// holds at most maxCalendarEvents events (the soonest first); narrow it with
// from and to.
const (
	maxCalendarEvents   = 1000
	calendarDefaultPast = 3 * 365 * 24 * time.Hour
	mimeCalendar        = "text/calendar; charset=utf-8"
)

// getEventICS godoc
//
//	@ID				getEventICS
//	@Summary		Get an event as iCalendar
//	@Description	The event as an RFC 5545 calendar: one VEVENT with a stable UID (`<id>@essdir`), SEQUENCE bumped on each change, DTSTART/DTEND in the event's time zone (with its VTIMEZONE) and STATUS (CONFIRMED, TENTATIVE when postponed, CANCELLED).
//	@Tags			events
//	@Produce		text/calendar,application/problem+json
//	@Param			id	path		string	true	"event id"	format(uuid)
//	@Param			If-None-Match	header	string	false	"ETag of the copy the client holds"
//	@Success		200	{string}	string	"the iCalendar document"
//	@Header			200	{string}	ETag	"strong entity tag"
//	@Success		304	"not modified"
//	@Failure		400	{object}	Problem	"the id is not a UUID"
//	@Failure		401	{object}	Problem	"invalid token"
//	@Failure		404	{object}	Problem
//	@Failure		429	{object}	Problem
//	@Failure		503	{object}	Problem
//	@Failure		500	{object}	Problem	"internal error, logged with the request id"
//	@Router			/v1/events/{id}.ics [get]
func (s *Server) getEventICS(c echo.Context) error {
	id, err := parseID(strings.TrimSuffix(c.Param("id"), ".ics"))
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
	return writeCalendar(c, []*essdir.Event{ev})
}

// listEventsICS godoc
//
//	@ID				listEventsICS
//	@Summary		Events as an iCalendar feed
//	@Description	A calendar to subscribe to, with the filters of the list: every matching event as a VEVENT (cancelled ones kept, with STATUS:CANCELLED, so that subscribers learn of the cancellation). Without `from`, the feed starts three years ago; it holds at most 1000 events, the soonest first: narrow it with `from` and `to`.
//	@Tags			events
//	@Produce		text/calendar,application/problem+json
//	@Param			from			query		string		false	"RFC 3339 timestamp or date: events ending at or after it (default: three years ago)"
//	@Param			to				query		string		false	"RFC 3339 timestamp or date (its whole day): events starting before its end"
//	@Param			department_code	query		[]string	false	"département codes of the venue"	collectionFormat(multi)
//	@Param			campaign		query		[]string	false	"campaign names (case-insensitive)"	collectionFormat(multi)
//	@Param			status			query		[]string	false	"event statuses (default all)"	collectionFormat(multi)
//	@Param			updated_since	query		string		false	"RFC 3339 timestamp or date"
//	@Param			source			query		[]string	false	"sources"	collectionFormat(multi)
//	@Param			If-None-Match	header		string		false	"ETag of the copy the client holds"
//	@Success		200				{string}	string	"the iCalendar document"
//	@Header			200				{string}	ETag	"strong entity tag"
//	@Success		304				"not modified"
//	@Failure		400				{object}	Problem	"bad parameter"
//	@Failure		401				{object}	Problem	"invalid token"
//	@Failure		429				{object}	Problem
//	@Failure		503				{object}	Problem
//	@Failure		500				{object}	Problem	"internal error, logged with the request id"
//	@Router			/v1/events.ics [get]
func (s *Server) listEventsICS(c echo.Context) error {
	q := newQuery(c, eventFilterParams...)
	f := eventFilter(q)
	if err := q.err(); err != nil {
		return err
	}
	if f.From == nil {
		from := time.Now().Add(-calendarDefaultPast)
		f.From = &from
	}
	f.List = essdir.List{Sort: essdir.SortStartsAt, Limit: essdir.MaxLimit}
	var all []*essdir.Event
	for len(all) < maxCalendarEvents {
		page, err := s.events.FindEvents(c.Request().Context(), f)
		if err != nil {
			return err
		}
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			break
		}
		f.Cursor = page.NextCursor
	}
	return writeCalendar(c, all[:min(len(all), maxCalendarEvents)])
}

// writeCalendar answers events as one iCalendar document (CRLF lines folded
// at 75 octets, by the library).
func writeCalendar(c echo.Context, events []*essdir.Event) error {
	cal := ics.NewCalendar()
	cal.SetProductId("-//essdir//essdir API//FR")
	cal.SetCalscale("GREGORIAN")
	cal.SetMethod(ics.MethodPublish)
	zones := map[string]bool{}
	for _, ev := range events {
		if !zones[ev.Timezone] {
			zones[ev.Timezone] = true
			if err := addTimezone(cal, ev.Timezone, ev.StartsAt.Year()); err != nil {
				return err
			}
		}
		addEvent(cal, ev)
	}
	var b strings.Builder
	if err := cal.SerializeTo(&b, ics.WithNewLineWindows); err != nil {
		return essdir.Internal(err)
	}
	body := []byte(b.String())
	return writeTagged(c, http.StatusOK, `"`+bodyHash(body)+`"`, "no-cache", mimeCalendar, body)
}

const icsLocal = "20060102T150405"

// addEvent writes one VEVENT. Its UID never changes and its SEQUENCE grows
// with each version, so that calendar clients update their copy.
func addEvent(cal *ics.Calendar, ev *essdir.Event) {
	zone, err := essdir.Zone(ev.Timezone)
	if err != nil {
		zone = time.UTC
	}
	v := cal.AddEvent(ev.ID.String() + "@essdir")
	v.SetDtStampTime(ev.UpdatedAt)
	v.SetCreatedTime(ev.CreatedAt)
	v.SetModifiedAt(ev.UpdatedAt)
	v.SetSequence(ev.Version - 1)
	v.SetProperty(ics.ComponentPropertyDtStart, ev.StartsAt.In(zone).Format(icsLocal), ics.WithTZID(ev.Timezone))
	v.SetProperty(ics.ComponentPropertyDtEnd, ev.EndsAt.In(zone).Format(icsLocal), ics.WithTZID(ev.Timezone))
	v.SetSummary(ev.Title)
	if ev.Description != "" {
		v.SetDescription(strings.ReplaceAll(ev.Description, "\r\n", "\n"))
	}
	if loc := venueText(ev.Venue); loc != "" {
		v.SetLocation(loc)
	}
	if l := ev.Venue.Location; l != nil {
		v.SetGeo(l.Lat, l.Lon)
	}
	if ev.RegistrationURL != "" {
		v.SetURL(ev.RegistrationURL)
	}
	switch ev.Status {
	case essdir.EventCancelled:
		v.SetStatus(ics.ObjectStatusCancelled)
	case essdir.EventPostponed:
		v.SetStatus(ics.ObjectStatusTentative)
	default:
		v.SetStatus(ics.ObjectStatusConfirmed)
	}
}

// venueText is the venue on one line: "Maison des associations, 2 rue des
// Corroyeurs, 21000 Dijon".
func venueText(v essdir.Venue) string {
	var parts []string
	for _, p := range []string{v.Name, v.Street, strings.TrimSpace(v.PostalCode + " " + v.City)} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}

// addTimezone writes the VTIMEZONE of an IANA zone, built from Go's tz
// data: its rule of the given year as yearly RRULEs (Europe/Paris: CEST
// from the last Sunday of March, CET from the last Sunday of October), or a
// single STANDARD part for a zone without daylight saving time.
func addTimezone(cal *ics.Calendar, name string, year int) error {
	zone, err := essdir.Zone(name)
	if err != nil {
		return essdir.Internal(err)
	}
	tz := cal.AddTimezone(name)
	jan := time.Date(year, time.January, 1, 0, 0, 0, 0, zone)
	_, first := jan.ZoneBounds()
	_, second := first.ZoneBounds()
	if first.IsZero() || second.IsZero() || first.Year() != year || second.Year() != year {
		abbr, offset := jan.Zone()
		part := ics.NewStandard()
		part.SetProperty(ics.ComponentPropertyDtStart, "19700101T000000")
		setOffsets(&part.ComponentBase, abbr, offset, offset)
		tz.Components = append(tz.Components, part)
		return nil
	}
	// A southern zone starts the year in daylight time: the first change
	// is then to standard time.
	for _, change := range []time.Time{first, second} {
		before := change.Add(-time.Second)
		_, from := before.Zone()
		abbr, to := change.Zone()
		var part *ics.ComponentBase
		if to > from {
			d := &ics.Daylight{}
			tz.Components, part = append(tz.Components, d), &d.ComponentBase
		} else {
			s := ics.NewStandard()
			tz.Components, part = append(tz.Components, s), &s.ComponentBase
		}
		// The change as the clock read it just before, and the same rule
		// in 1970 as the first occurrence.
		wall := change.In(time.FixedZone("", from))
		n := (wall.Day()-1)/7 + 1
		if wall.Day()+7 > daysIn(wall.Month(), wall.Year()) {
			n = -1
		}
		day := nthWeekday(1970, wall.Month(), wall.Weekday(), n)
		start := time.Date(1970, wall.Month(), day, wall.Hour(), wall.Minute(), wall.Second(), 0, time.UTC)
		part.SetProperty(ics.ComponentPropertyDtStart, start.Format(icsLocal))
		part.SetProperty(ics.ComponentPropertyRrule, fmt.Sprintf("FREQ=YEARLY;BYMONTH=%d;BYDAY=%d%s",
			int(wall.Month()), n, strings.ToUpper(wall.Weekday().String()[:2])))
		setOffsets(part, abbr, from, to)
	}
	return nil
}

func setOffsets(part *ics.ComponentBase, abbr string, from, to int) {
	part.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom), utcOffset(from))
	part.SetProperty(ics.ComponentProperty(ics.PropertyTzoffsetto), utcOffset(to))
	if abbr != "" {
		part.SetProperty(ics.ComponentProperty(ics.PropertyTzname), abbr)
	}
}

// utcOffset writes seconds east of UTC as RFC 5545 does: +0100, -0330.
func utcOffset(seconds int) string {
	sign := "+"
	if seconds < 0 {
		sign, seconds = "-", -seconds
	}
	s := fmt.Sprintf("%s%02d%02d", sign, seconds/3600, seconds%3600/60)
	if seconds%60 != 0 {
		s += fmt.Sprintf("%02d", seconds%60)
	}
	return s
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// nthWeekday is the day of the month of its n-th weekday (n = -1: the last).
func nthWeekday(year int, m time.Month, wd time.Weekday, n int) int {
	if n < 0 {
		last := daysIn(m, year)
		back := (int(time.Date(year, m, last, 0, 0, 0, 0, time.UTC).Weekday()) - int(wd) + 7) % 7
		return last - back
	}
	ahead := (int(wd) - int(time.Date(year, m, 1, 0, 0, 0, 0, time.UTC).Weekday()) + 7) % 7
	return 1 + ahead + 7*(n-1)
}
