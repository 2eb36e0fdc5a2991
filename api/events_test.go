package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/essdir/essdir/internal/essdir"
)

// forumEvent is the Forum ESS et collectivités of the report (28 November
// 2024, 14:00–18:00 in Dijon), in a source unique to the test.
func forumEvent(source string) map[string]any {
	return map[string]any{
		"title":       "Forum ESS et collectivités",
		"description": "Tables rondes, ateliers et stands; entrée libre.",
		"starts_at":   "2024-11-28T14:00:00+01:00",
		"ends_at":     "2024-11-28T18:00:00+01:00",
		"venue": map[string]any{"name": "Maison des associations", "street": "2 rue des Corroyeurs",
			"postal_code": "21000", "city": "Dijon", "insee_code": "21231",
			"location": map[string]any{"lat": 47.3167, "lon": 5.0167}},
		"is_free":          true,
		"audiences":        []string{"local_officials", "ess_actors"},
		"formats":          []string{"forum", "round_table", "stands"},
		"campaign":         "Mois de l'ESS",
		"edition":          3,
		"registration_url": "https://www.example.org/forum",
		"source":           source,
	}
}

func (e *env) createEvent(token string, body map[string]any) map[string]any {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/v1/events", token: token, body: body})
	wantStatus(e.t, r, http.StatusCreated)
	return r.json(e.t)
}

func TestEventCRUD(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	in := forumEvent(newSource("evcrud"))
	in["timezone"] = ""
	r := e.do(req{method: "POST", path: "/v1/events", token: editor, body: in})
	wantStatus(t, r, http.StatusCreated)
	ev := r.json(t)
	path := "/v1/events/" + ev["id"].(string)
	if r.header.Get("Location") != path || r.header.Get("ETag") == "" {
		t.Errorf("Location %q ETag %q", r.header.Get("Location"), r.header.Get("ETag"))
	}
	for field, want := range map[string]any{
		"starts_at": "2024-11-28T14:00:00+01:00", "ends_at": "2024-11-28T18:00:00+01:00",
		"timezone": "Europe/Paris", "status": "scheduled", "version": float64(1),
	} {
		if ev[field] != want {
			t.Errorf("%s = %v, want %v", field, ev[field], want)
		}
	}
	if v := ev["venue"].(map[string]any); v["department_code"] != "21" || v["region_code"] != "27" {
		t.Errorf("venue = %v", v)
	}

	t.Run("GetAnonymously", func(t *testing.T) {
		r := e.do(req{method: "GET", path: path})
		wantStatus(t, r, http.StatusOK)
		wantStatus(t, e.do(req{method: "GET", path: path, headers: map[string]string{"If-None-Match": r.header.Get("ETag")}}), http.StatusNotModified)
	})
	t.Run("PutOfGetBodyChangesNothing", func(t *testing.T) {
		got := e.do(req{method: "GET", path: path, token: editor})
		r := e.do(req{method: "PUT", path: path, token: editor, body: got.body})
		wantStatus(t, r, http.StatusOK)
		if r.json(t)["version"] != float64(1) || r.header.Get("ETag") != got.header.Get("ETag") {
			t.Errorf("a PUT of the GET body changed the record: %s", r.body)
		}
	})
	t.Run("PatchKeepsStatusAndIfMatch", func(t *testing.T) {
		etag := e.do(req{method: "GET", path: path}).header.Get("ETag")
		r := e.do(req{method: "PATCH", path: path, token: editor, contentType: "application/merge-patch+json",
			headers: map[string]string{"If-Match": etag}, body: `{"status": "cancelled"}`})
		wantStatus(t, r, http.StatusOK)
		r = e.do(req{method: "PATCH", path: path, token: editor, headers: map[string]string{"If-Match": etag}, body: `{"title": "x"}`})
		wantStatus(t, r, http.StatusPreconditionFailed)
		// A PUT without status keeps it (and, the same otherwise, changes nothing).
		body := forumEvent(in["source"].(string))
		r = e.do(req{method: "PUT", path: path, token: editor, body: body})
		wantStatus(t, r, http.StatusOK)
		if got := r.json(t); got["status"] != "cancelled" || got["version"] != float64(2) {
			t.Errorf("after the PUT: %s", r.body)
		}
		for _, tc := range []struct{ method, body string }{
			{"PATCH", `{"status": null}`},
			{"PUT", `{"title": "x", "starts_at": "2024-11-28T14:00:00+01:00", "ends_at": "2024-11-28T18:00:00+01:00", "status": null}`},
		} {
			r := e.do(req{method: tc.method, path: path, token: editor, body: tc.body})
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantFields(t, r, "status")
		}
	})
	t.Run("WritesNeedAnEditor", func(t *testing.T) {
		wantStatus(t, e.do(req{method: "POST", path: "/v1/events", body: forumEvent("x")}), http.StatusUnauthorized)
		wantStatus(t, e.do(req{method: "DELETE", path: path}), http.StatusUnauthorized)
	})
	t.Run("Delete", func(t *testing.T) {
		wantStatus(t, e.do(req{method: "DELETE", path: path, token: editor}), http.StatusNoContent)
		wantStatus(t, e.do(req{method: "GET", path: path}), http.StatusNotFound)
		wantStatus(t, e.do(req{method: "GET", path: path + ".ics"}), http.StatusNotFound)
		wantStatus(t, e.do(req{method: "DELETE", path: path, token: editor}), http.StatusNotFound)
	})
}

// TestEventShownInItsZone: instants are stored as such and shown with the
// offset of the event's zone on that date.
func TestEventShownInItsZone(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	in := forumEvent(newSource("evzone"))
	in["starts_at"], in["ends_at"] = "2024-07-01T08:00:00Z", "2024-07-01T09:30:00Z"
	ev := e.createEvent(editor, in)
	if ev["starts_at"] != "2024-07-01T10:00:00+02:00" || ev["ends_at"] != "2024-07-01T11:30:00+02:00" {
		t.Errorf("Paris summer time: %v – %v", ev["starts_at"], ev["ends_at"])
	}
	in["timezone"] = "America/Cayenne"
	ev = e.createEvent(editor, in)
	if ev["starts_at"] != "2024-07-01T05:00:00-03:00" {
		t.Errorf("Cayenne: %v", ev["starts_at"])
	}
}

func TestEventInvalid(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	draft := e.create(editor, map[string]any{"name": "Brouillon " + randomSuffix(), "status": "draft"})
	for _, tc := range []struct {
		name   string
		edit   func(map[string]any)
		status int
		fields []string
	}{
		{"ErrEndsBeforeStarts", func(m map[string]any) { m["ends_at"] = "2024-11-28T13:00:00+01:00" }, 422, []string{"ends_at"}},
		{"ErrBadTimezone", func(m map[string]any) { m["timezone"] = "Europe/Dijon" }, 422, []string{"timezone"}},
		{"ErrLocalTimezone", func(m map[string]any) { m["timezone"] = "Local" }, 422, []string{"timezone"}},
		{"ErrDateWithoutTime", func(m map[string]any) { m["starts_at"] = "2024-11-28" }, 400, nil},
		{"ErrTimeWithoutOffset", func(m map[string]any) { m["starts_at"] = "2024-11-28T14:00:00" }, 400, nil},
		{"ErrStartsMissing", func(m map[string]any) { delete(m, "starts_at") }, 422, []string{"starts_at"}},
		{"ErrNilUUIDIsNoReference", func(m map[string]any) {
			m["organizers"] = []any{map[string]any{"structure_id": "00000000-0000-0000-0000-000000000000", "collectivity_id": "00000000-0000-0000-0000-000000000000"}}
		}, 422, []string{"organizers[0].structure_id", "organizers[0].collectivity_id"}},
		{"ErrAudience", func(m map[string]any) { m["audiences"] = []string{"martians"} }, 422, []string{"audiences[0]"}},
		{"ErrFormat", func(m map[string]any) { m["formats"] = []string{"forum", "rave"} }, 422, []string{"formats[1]"}},
		{"ErrPriceNumber", func(m map[string]any) { m["price_eur"] = 12.5 }, 400, []string{"price_eur"}},
		{"ErrPriceThreeDecimals", func(m map[string]any) { m["is_free"], m["price_eur"] = false, "12.505" }, 422, []string{"price_eur"}},
		{"ErrPriceNegative", func(m map[string]any) { m["is_free"], m["price_eur"] = false, "-1" }, 422, []string{"price_eur"}},
		{"ErrFreeWithPrice", func(m map[string]any) { m["price_eur"] = "5.00" }, 422, []string{"price_eur"}},
		{"ErrEditionZero", func(m map[string]any) { m["edition"] = 0 }, 422, []string{"edition"}},
		{"ErrEditionFraction", func(m map[string]any) { m["edition"] = 2.5 }, 400, []string{"edition"}},
		{"ErrStatus", func(m map[string]any) { m["status"] = "published" }, 422, []string{"status"}},
		{"ErrUnknownField", func(m map[string]any) { m["price"] = "1" }, 400, []string{"price"}},
		{"ErrOrganizerBoth", func(m map[string]any) {
			m["organizers"] = []any{map[string]any{"structure_id": draft["id"], "collectivity_id": draft["id"]}}
		}, 422, []string{"organizers[0]"}},
		{"ErrOrganizerNeither", func(m map[string]any) { m["organizers"] = []any{map[string]any{}} }, 422, []string{"organizers[0]"}},
		{"ErrUnknownReferences", func(m map[string]any) {
			m["organizers"] = []any{map[string]any{"structure_id": draft["id"]}, map[string]any{"collectivity_id": "0190f0f0-0000-7000-8000-000000000001"}}
			m["participants"] = []any{map[string]any{"structure_id": "0190f0f0-0000-7000-8000-000000000002", "role": "speaker"}}
		}, 422, []string{"organizers[1].collectivity_id", "participants[0].structure_id"}},
		{"ErrParticipantRole", func(m map[string]any) {
			m["participants"] = []any{map[string]any{"structure_id": draft["id"], "role": "dj"}}
		}, 422, []string{"participants[0].role"}},
		{"ErrParticipantTwice", func(m map[string]any) {
			p := map[string]any{"structure_id": draft["id"], "role": "speaker"}
			m["participants"] = []any{p, p}
		}, 422, []string{"participants[1]"}},
		{"ErrDerivedDepartment", func(m map[string]any) { m["venue"].(map[string]any)["department_code"] = "75" }, 422, []string{"venue.department_code"}},
		{"ErrIDOnCreate", func(m map[string]any) { m["id"] = draft["id"] }, 422, []string{"id"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := forumEvent(newSource("evbad"))
			tc.edit(in)
			r := e.do(req{method: "POST", path: "/v1/events", token: editor, body: in})
			wantStatus(t, r, tc.status)
			if tc.fields != nil {
				wantFields(t, r, tc.fields...)
			}
		})
	}
	t.Run("PriceCanonical", func(t *testing.T) {
		in := forumEvent(newSource("evprice"))
		in["is_free"], in["price_eur"] = false, "012.5"
		if got := e.createEvent(editor, in)["price_eur"]; got != "12.50" {
			t.Errorf("price_eur = %v, want 12.50", got)
		}
	})
}

// TestEventFiltersOverlap: a date means its whole day in Europe/Paris, and
// from/to select the events overlapping the interval.
func TestEventFiltersOverlap(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := newSource("evfilter")
	forum := e.createEvent(editor, forumEvent(source))
	late := forumEvent(source)
	late["title"], late["starts_at"], late["ends_at"] = "Soirée", "2024-11-28T23:30:00+01:00", "2024-11-29T01:00:00+01:00"
	soiree := e.createEvent(editor, late)
	cancelled := forumEvent(source)
	cancelled["title"], cancelled["status"], cancelled["venue"] = "Annulé", "cancelled", map[string]any{"postal_code": "75011"}
	cancelled["starts_at"], cancelled["ends_at"] = "2024-12-02T10:00:00+01:00", "2024-12-02T12:00:00+01:00"
	annule := e.createEvent(editor, cancelled)

	ids := func(query string) []string {
		t.Helper()
		r := e.do(req{method: "GET", path: "/v1/events?source=" + source + "&" + query})
		wantStatus(t, r, http.StatusOK)
		var out []string
		for _, x := range r.json(t)["data"].([]any) {
			out = append(out, x.(map[string]any)["id"].(string))
		}
		return out
	}
	for _, tc := range []struct {
		query string
		want  []map[string]any
	}{
		{"from=2024-11-28&to=2024-11-28", []map[string]any{forum, soiree}},
		{"from=2024-11-29", []map[string]any{soiree, annule}}, // the soirée ends on the 29th
		{"from=2024-11-29T00:00:00%2B01:00&to=2024-11-30", []map[string]any{soiree}},
		{"to=2024-11-27", nil},
		{"from=2024-11-28T17:59:00%2B01:00&to=2024-11-28T18:30:00%2B01:00", []map[string]any{forum}},
		// The bounds read alike: ending at from or starting at to is no overlap.
		{"from=2024-11-28T18:00:00%2B01:00&to=2024-11-28T23:30:00%2B01:00", nil},
		{"from=2024-11-28T17:59:59%2B01:00&to=2024-11-28T23:30:01%2B01:00", []map[string]any{forum, soiree}},
		{"from=2024-12-02T12:00:00%2B01:00", nil},
		{"to=2024-11-28T14:00:00%2B01:00", nil},
		{"status=cancelled", []map[string]any{annule}},
		{"department_code=75", []map[string]any{annule}},
		{"department_code=21&campaign=MOIS%20DE%20L'ESS", []map[string]any{forum, soiree}},
		{"sort=-updated_at", []map[string]any{annule, soiree, forum}},
	} {
		t.Run(tc.query, func(t *testing.T) {
			got := ids(tc.query)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d events, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if got[i] != tc.want[i]["id"] {
					t.Errorf("event %d is %s, want %s (%s)", i, got[i], tc.want[i]["id"], tc.want[i]["title"])
				}
			}
		})
	}
	for _, q := range []string{"from=28/11/2024", "to=tomorrow", "status=published", "department_code=99",
		"sort=title", "limit=0", "form=2024-11-28", "from=2024-11-29&to=2024-11-28"} {
		t.Run("Err400/"+q, func(t *testing.T) {
			wantStatus(t, e.do(req{method: "GET", path: "/v1/events?" + q}), http.StatusBadRequest)
		})
	}
}

// TestEventKeysetWalk walks the list one event a page under each sort.
func TestEventKeysetWalk(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := newSource("evwalk")
	for i := range 4 {
		in := forumEvent(source)
		in["starts_at"] = []string{"2025-01-10T09:00:00Z", "2025-01-10T09:00:00Z", "2025-01-09T09:00:00Z", "2025-01-11T09:00:00Z"}[i]
		in["ends_at"] = "2025-01-12T09:00:00Z"
		e.createEvent(editor, in)
	}
	for _, sort := range []string{"starts_at", "-updated_at"} {
		t.Run(sort, func(t *testing.T) {
			seen := map[string]bool{}
			var last string
			path := "/v1/events?limit=1&include_total=true&source=" + source + "&sort=" + sort
			for range 10 {
				r := e.do(req{method: "GET", path: path})
				wantStatus(t, r, http.StatusOK)
				page := r.json(t)
				meta := page["meta"].(map[string]any)
				if meta["total"] != float64(4) {
					t.Fatalf("total = %v", meta["total"])
				}
				for _, x := range page["data"].([]any) {
					ev := x.(map[string]any)
					seen[ev["id"].(string)] = true
					if sort == "starts_at" && ev["starts_at"].(string) < last {
						t.Errorf("out of order: %s after %s", ev["starts_at"], last)
					}
					last = ev["starts_at"].(string)
				}
				next, _ := meta["next_cursor"].(string)
				if next == "" {
					break
				}
				path = "/v1/events?limit=1&include_total=true&source=" + source + "&sort=" + sort + "&cursor=" + url.QueryEscape(next)
			}
			if len(seen) != 4 {
				t.Errorf("walked %d events, want 4", len(seen))
			}
		})
	}
}

// TestEventVisibility: anonymous callers never reach a draft structure
// through an event; editors see every live reference.
func TestEventVisibility(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := newSource("evvis")
	published := e.create(editor, champ(source))
	draft := e.create(editor, map[string]any{"name": "Projet " + randomSuffix(), "status": "draft", "source": source})
	in := forumEvent(source)
	in["organizers"] = []any{map[string]any{"structure_id": draft["id"]}, map[string]any{"structure_id": published["id"]}}
	in["participants"] = []any{
		map[string]any{"structure_id": draft["id"], "role": "speaker"},
		map[string]any{"structure_id": published["id"], "role": "exhibitor"},
	}
	ev := e.createEvent(editor, in)
	path := "/v1/events/" + ev["id"].(string)

	count := func(token string) (orgs, parts int, ids string) {
		for _, r := range []*resp{e.do(req{method: "GET", path: path, token: token}),
			e.do(req{method: "GET", path: "/v1/events?source=" + source, token: token})} {
			wantStatus(t, r, http.StatusOK)
			ids += string(r.body)
		}
		one := e.do(req{method: "GET", path: path, token: token}).json(t)
		return len(one["organizers"].([]any)), len(one["participants"].([]any)), ids
	}
	orgs, parts, bodies := count("")
	if orgs != 1 || parts != 1 || strings.Contains(bodies, draft["id"].(string)) {
		t.Errorf("anonymous callers see %d organizers, %d participants; draft named: %v", orgs, parts, strings.Contains(bodies, draft["id"].(string)))
	}
	if orgs, parts, _ := count(editor); orgs != 2 || parts != 2 {
		t.Errorf("editors see %d organizers, %d participants, want 2 and 2", orgs, parts)
	}
	// A PUT of the editor's GET body is still a no-op.
	got := e.do(req{method: "GET", path: path, token: editor})
	r := e.do(req{method: "PUT", path: path, token: editor, body: got.body})
	if r.json(t)["version"] != float64(1) {
		t.Errorf("PUT of the GET body changed the event: %s", r.body)
	}
	// Once published, the structure appears to everyone.
	e.do(req{method: "PATCH", path: "/v1/structures/" + draft["id"].(string), token: editor, body: `{"status": "published"}`})
	if orgs, parts, _ := count(""); orgs != 2 || parts != 2 {
		t.Errorf("after publication anonymous callers see %d organizers, %d participants", orgs, parts)
	}
	// Deleted, it disappears for everyone.
	wantStatus(t, e.do(req{method: "DELETE", path: "/v1/structures/" + draft["id"].(string), token: editor}), http.StatusNoContent)
	if orgs, parts, _ := count(editor); orgs != 1 || parts != 1 {
		t.Errorf("after deletion editors see %d organizers, %d participants", orgs, parts)
	}
}
