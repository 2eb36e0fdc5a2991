package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/essdir/essdir/internal/essdir"
)

// TestDraftsReachNoAnonymousPath attaches a draft structure to every kind of
// record (an activity, a collectivity link, a support scheme as operator and
// beneficiary, an event as organizer and participant) and walks every path
// an anonymous caller has: none answers the draft's id or name.
func TestDraftsReachNoAnonymousPath(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := newSource("walk")
	pub := e.create(editor, champ(source))["id"].(string)
	in := champ(source)
	in["status"], in["name"] = "draft", "Brouillon "+source
	draft := e.create(editor, in)["id"].(string)
	post := func(path string, body map[string]any) string {
		r := e.do(req{method: "POST", path: path, token: editor, body: body})
		wantStatus(t, r, http.StatusCreated)
		return r.json(t)["id"].(string)
	}
	activity := post("/v1/structures/"+draft+"/activities", map[string]any{"name": "Atelier secret"})
	coll := post("/v1/collectivities", map[string]any{"name": "Service " + source, "kind": "other", "source": source})
	link := post("/v1/collectivity-links", map[string]any{"structure_id": draft, "collectivity_id": coll, "support_kinds": []string{"land"}})
	post("/v1/collectivity-links", map[string]any{"structure_id": pub, "collectivity_id": coll, "support_kinds": []string{"land"}})
	scheme := post("/v1/support-schemes", map[string]any{"name": "Dispositif " + source, "operator_structure_id": draft,
		"beneficiary_structure_ids": []string{draft, pub}})
	ev := forumEvent(source)
	ev["organizers"] = []map[string]any{{"structure_id": draft}, {"structure_id": pub}}
	ev["participants"] = []map[string]any{{"structure_id": draft, "role": "speaker"}, {"structure_id": pub, "role": "speaker"}}
	event := e.createEvent(editor, ev)["id"].(string)

	notFound := []string{
		"/v1/structures/" + draft,
		"/v1/structures/" + draft + "?include=activities,collectivity_links,support_schemes,events",
		"/v1/structures/" + draft + "/activities",
		"/v1/structures/" + draft + "/collectivity-links",
		"/v1/activities/" + activity,
		"/v1/collectivity-links/" + link,
	}
	for _, path := range notFound {
		for _, method := range []string{"GET", "HEAD"} {
			if r := e.do(req{method: method, path: path}); r.status != http.StatusNotFound {
				t.Errorf("%s %s = %d, want 404", method, path, r.status)
			}
		}
	}
	readable := []string{
		"/v1/structures?source=" + source,
		"/v1/structures?source=" + source + "&collectivity_id=" + coll,
		"/v1/structures?source=" + source + "&support_scheme_id=" + scheme,
		"/v1/structures/" + pub + "?include=activities,collectivity_links,support_schemes,events",
		"/v1/structures?source=" + source + "&include=activities,collectivity_links,support_schemes,events",
		"/v1/activities?source=" + source,
		"/v1/collectivities/" + coll + "/collectivity-links",
		"/v1/collectivity-links?collectivity_id=" + coll,
		"/v1/support-schemes/" + scheme,
		"/v1/support-schemes?operator_structure_id=" + draft,
		"/v1/support-schemes?beneficiary_structure_id=" + draft,
		"/v1/events/" + event,
		"/v1/events?source=" + source,
		"/v1/events/" + event + ".ics",
		"/v1/events.ics?source=" + source,
	}
	for _, path := range readable {
		r := e.do(req{method: "GET", path: path})
		wantStatus(t, r, http.StatusOK)
		if body := string(r.body); strings.Contains(body, draft) || strings.Contains(body, "Brouillon") || strings.Contains(body, "Atelier secret") {
			t.Errorf("GET %s shows the draft to an anonymous caller:\n%s", path, body)
		}
	}
	// Editors see it all.
	full := e.do(req{method: "GET", path: "/v1/events/" + event, token: editor})
	if !strings.Contains(string(full.body), draft) {
		t.Errorf("an editor does not see the draft participant: %s", full.body)
	}
}
