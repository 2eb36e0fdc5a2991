package api_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/essdir/essdir/internal/essdir"
)

// parseCalendar reads an answer back with a real iCalendar parser, after
// checking the framing RFC 5545 requires: CRLF lines of at most 75 octets.
func parseCalendar(t *testing.T, r *resp) *ics.Calendar {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != "text/calendar; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if !bytes.HasSuffix(r.body, []byte("END:VCALENDAR\r\n")) {
		t.Errorf("the calendar does not end with END:VCALENDAR CRLF")
	}
	for _, line := range strings.Split(strings.TrimSuffix(string(r.body), "\r\n"), "\r\n") {
		if len(line) > 75 || strings.Contains(line, "\n") {
			t.Errorf("line of %d octets or with a bare LF: %q", len(line), line)
		}
	}
	cal, err := ics.ParseCalendar(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("unparsable calendar: %v\n%s", err, r.body)
	}
	return cal
}

func prop(c interface {
	GetProperty(ics.ComponentProperty) *ics.IANAProperty
}, name ics.ComponentProperty) string {
	if p := c.GetProperty(name); p != nil {
		return p.Value
	}
	return ""
}

func TestEventICS(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	in := forumEvent(newSource("evics"))
	in["description"] = strings.Repeat("Tables rondes, ateliers; stands. ", 10)
	ev := e.createEvent(editor, in)
	path := "/v1/events/" + ev["id"].(string)

	r := e.do(req{method: "GET", path: path + ".ics"})
	if !bytes.Contains(r.body, []byte("\r\nDTSTART;TZID=Europe/Paris:20241128T140000\r\n")) ||
		!bytes.Contains(r.body, []byte("\r\nDTEND;TZID=Europe/Paris:20241128T180000\r\n")) {
		t.Errorf("DTSTART/DTEND not in Paris local time:\n%s", r.body)
	}
	cal := parseCalendar(t, r)
	if got := cal.CalendarProperties; len(got) == 0 || !bytes.Contains(r.body, []byte("VERSION:2.0\r\n")) ||
		!bytes.Contains(r.body, []byte("CALSCALE:GREGORIAN\r\n")) || !bytes.Contains(r.body, []byte("PRODID:")) {
		t.Errorf("calendar header missing:\n%s", r.body)
	}
	events := cal.Events()
	if len(events) != 1 {
		t.Fatalf("%d VEVENTs, want 1", len(events))
	}
	v := events[0]
	uid := v.Id()
	if uid != ev["id"].(string)+"@essdir" {
		t.Errorf("UID = %q", uid)
	}
	start, err := v.GetStartAt()
	if err != nil || !start.Equal(time.Date(2024, 11, 28, 13, 0, 0, 0, time.UTC)) {
		t.Errorf("DTSTART = %v (%v)", start, err)
	}
	for name, want := range map[ics.ComponentProperty]string{
		ics.ComponentPropertySequence:    "0",
		ics.ComponentPropertyStatus:      "CONFIRMED",
		ics.ComponentPropertySummary:     "Forum ESS et collectivités",
		ics.ComponentPropertyDescription: strings.TrimSpace(in["description"].(string)),
		ics.ComponentPropertyLocation:    "Maison des associations, 2 rue des Corroyeurs, 21000 Dijon",
		ics.ComponentPropertyGeo:         "47.3167;5.0167",
		ics.ComponentPropertyUrl:         "https://www.example.org/forum",
	} {
		got := prop(v, name)
		if name == ics.ComponentPropertyDescription || name == ics.ComponentPropertyLocation || name == ics.ComponentPropertySummary {
			got = ics.FromText(got)
		}
		if got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	for _, name := range []ics.ComponentProperty{ics.ComponentPropertyDtstamp, ics.ComponentPropertyCreated, ics.ComponentPropertyLastModified} {
		if !strings.HasSuffix(prop(v, name), "Z") {
			t.Errorf("%s = %q, want a UTC time", name, prop(v, name))
		}
	}
	tzs := cal.Timezones()
	if len(tzs) != 1 || prop(tzs[0], ics.ComponentPropertyTzid) != "Europe/Paris" {
		t.Fatalf("VTIMEZONE missing: %s", r.body)
	}
	for _, want := range []string{
		"BEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nEND:DAYLIGHT",
		"BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nEND:STANDARD",
	} {
		if !bytes.Contains(r.body, []byte(want)) {
			t.Errorf("VTIMEZONE lacks %q:\n%s", want, r.body)
		}
	}

	t.Run("UIDStableSequenceBumpedCancelledKept", func(t *testing.T) {
		r := e.do(req{method: "PATCH", path: path, token: editor, body: `{"status": "cancelled", "title": "Forum (annulé)"}`})
		wantStatus(t, r, http.StatusOK)
		v := parseCalendar(t, e.do(req{method: "GET", path: path + ".ics"})).Events()[0]
		if v.Id() != uid || prop(v, ics.ComponentPropertySequence) != "1" || prop(v, ics.ComponentPropertyStatus) != "CANCELLED" {
			t.Errorf("UID %q SEQUENCE %q STATUS %q", v.Id(), prop(v, ics.ComponentPropertySequence), prop(v, ics.ComponentPropertyStatus))
		}
		feed := parseCalendar(t, e.do(req{method: "GET", path: "/v1/events.ics?from=2024-11-01&source=" + in["source"].(string)}))
		if evs := feed.Events(); len(evs) != 1 || evs[0].Id() != uid || prop(evs[0], ics.ComponentPropertyStatus) != "CANCELLED" {
			t.Errorf("the feed does not keep the cancelled event")
		}
	})
	t.Run("PostponedIsTentative", func(t *testing.T) {
		in := forumEvent(newSource("evics"))
		in["status"] = "postponed"
		ev := e.createEvent(editor, in)
		v := parseCalendar(t, e.do(req{method: "GET", path: "/v1/events/" + ev["id"].(string) + ".ics"})).Events()[0]
		if prop(v, ics.ComponentPropertyStatus) != "TENTATIVE" {
			t.Errorf("STATUS = %q", prop(v, ics.ComponentPropertyStatus))
		}
	})
	t.Run("Errors", func(t *testing.T) {
		wantStatus(t, e.do(req{method: "GET", path: "/v1/events/nope.ics"}), http.StatusBadRequest)
		wantStatus(t, e.do(req{method: "GET", path: "/v1/events/0190f0f0-0000-7000-8000-000000000009.ics"}), http.StatusNotFound)
		wantStatus(t, e.do(req{method: "GET", path: "/v1/events.ics?limit=5"}), http.StatusBadRequest)
		wantStatus(t, e.do(req{method: "GET", path: "/v1/events.ics?from=soon"}), http.StatusBadRequest)
	})
}

// TestEventsICSFeed: the feed takes the list's filters, one VTIMEZONE per
// zone used, and by default leaves out events that ended over three years ago.
func TestEventsICSFeed(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := newSource("evfeed")
	soon := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
	for _, tc := range []struct{ zone, start string }{
		{"Europe/Paris", soon.Format(time.RFC3339)},
		{"America/Cayenne", soon.Add(time.Hour).Format(time.RFC3339)},
		{"Europe/Paris", "2020-01-10T10:00:00+01:00"}, // ended long ago
	} {
		in := forumEvent(source)
		in["timezone"], in["starts_at"] = tc.zone, tc.start
		start, _ := time.Parse(time.RFC3339, tc.start)
		in["ends_at"] = start.Add(2 * time.Hour).Format(time.RFC3339)
		e.createEvent(editor, in)
	}
	cal := parseCalendar(t, e.do(req{method: "GET", path: "/v1/events.ics?source=" + source}))
	if n := len(cal.Events()); n != 2 {
		t.Errorf("%d events in the default feed, want 2", n)
	}
	zones := map[string]bool{}
	for _, tz := range cal.Timezones() {
		zones[prop(tz, ics.ComponentPropertyTzid)] = true
	}
	if len(zones) != 2 || !zones["Europe/Paris"] || !zones["America/Cayenne"] {
		t.Errorf("VTIMEZONEs = %v", zones)
	}
	cal = parseCalendar(t, e.do(req{method: "GET", path: "/v1/events.ics?source=" + source + "&from=2020-01-10&to=2020-01-10"}))
	if n := len(cal.Events()); n != 1 {
		t.Errorf("%d events on 2020-01-10, want 1", n)
	}
}

// TestCalendarNotModified: a calendar application polling the feed gets a
// 304 while nothing changed.
func TestCalendarNotModified(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := newSource("ics304")
	id := e.createEvent(editor, forumEvent(source))["id"].(string)
	for _, path := range []string{"/v1/events/" + id + ".ics", "/v1/events.ics?source=" + source} {
		first := e.do(req{method: "GET", path: path})
		etag := first.header.Get("ETag")
		if etag == "" {
			t.Fatalf("%s has no ETag", path)
		}
		wantStatus(t, e.do(req{method: "GET", path: path, headers: map[string]string{"If-None-Match": etag}}), http.StatusNotModified)
	}
}
