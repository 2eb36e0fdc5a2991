package api_test

import (
	"net/http"
	"testing"

	"github.com/essdir/essdir/internal/essdir"
)

// TestIncludeWithoutNPlusOne: include= embeds related records, and a page
// costs the same number of statements whether its structures have one
// related record or many.
func TestIncludeWithoutNPlusOne(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := newSource("include")
	small := e.create(editor, champ(source))["id"].(string)
	var bigs []string
	for range 4 {
		bigs = append(bigs, e.create(editor, champ(source))["id"].(string))
	}
	addActivity := func(sid, name string) {
		r := e.do(req{method: "POST", path: "/v1/structures/" + sid + "/activities", token: editor, body: map[string]any{"name": name}})
		wantStatus(t, r, http.StatusCreated)
	}
	addEvent := func(sid string) {
		ev := forumEvent(source)
		ev["participants"] = []map[string]any{{"structure_id": sid, "role": "exhibitor"}}
		ev["organizers"] = []map[string]any{{"structure_id": sid}}
		e.createEvent(editor, ev)
	}
	coll := e.do(req{method: "POST", path: "/v1/collectivities", token: editor,
		body: map[string]any{"name": "Service " + source, "kind": "other", "source": source}}).json(t)["id"]
	addLink := func(sid string) {
		r := e.do(req{method: "POST", path: "/v1/collectivity-links", token: editor,
			body: map[string]any{"structure_id": sid, "collectivity_id": coll, "support_kinds": []string{"premises"}}})
		wantStatus(t, r, http.StatusCreated)
	}
	addScheme := func(sid string) {
		r := e.do(req{method: "POST", path: "/v1/support-schemes", token: editor,
			body: map[string]any{"name": "Dispositif " + randomSuffix(), "beneficiary_structure_ids": []string{sid}}})
		wantStatus(t, r, http.StatusCreated)
	}
	addActivity(small, "Atelier")
	addEvent(small)
	addLink(small)
	addScheme(small)
	for _, sid := range bigs {
		for _, name := range []string{"Bouquets", "Semis", "Abonnements"} {
			addActivity(sid, name)
		}
		addEvent(sid)
		addEvent(sid)
		addLink(sid)
		addLink(sid)
		addScheme(sid)
		addScheme(sid)
	}

	cost := func(path string) (int64, *resp) {
		before := e.store.Statements()
		r := e.do(req{method: "GET", path: path})
		wantStatus(t, r, http.StatusOK)
		return e.store.Statements() - before, r
	}
	const all = "?include=activities,collectivity_links,support_schemes,events"
	one, r := cost("/v1/structures/" + small + all)
	got := r.json(t)
	if n := len(got["activities"].([]any)); n != 1 {
		t.Errorf("%d activities embedded, want 1", n)
	}
	for _, rel := range []string{"events", "collectivity_links", "support_schemes"} {
		if n := len(got[rel].([]any)); n != 1 {
			t.Errorf("%d %s embedded, want 1", n, rel)
		}
	}
	many, r := cost("/v1/structures/" + bigs[0] + all)
	if got := r.json(t); len(got["activities"].([]any)) != 3 || len(got["events"].([]any)) != 2 ||
		len(got["collectivity_links"].([]any)) != 2 || len(got["support_schemes"].([]any)) != 2 {
		t.Errorf("big structure: %s", r.body)
	}
	if one < 3 { // the structure, its activities, its events and their rows
		t.Fatalf("only %d statements counted: the counter misses queries", one)
	}
	if one != many {
		t.Errorf("a structure with 1 related record cost %d statements, one with 5 cost %d", one, many)
	}

	pageOf1, _ := cost("/v1/structures?limit=1&include=activities,collectivity_links,support_schemes,events&source=" + source)
	pageOf5, r := cost("/v1/structures?limit=5&include=activities,collectivity_links,support_schemes,events&source=" + source)
	if pageOf1 != pageOf5 {
		t.Errorf("a page of 1 cost %d statements, a page of 5 cost %d", pageOf1, pageOf5)
	}
	for _, item := range r.json(t)["data"].([]any) {
		if _, ok := item.(map[string]any)["activities"]; !ok {
			t.Errorf("a listed structure lacks its activities: %v", item)
		}
	}
	plain := e.do(req{method: "GET", path: "/v1/structures/" + small}).json(t)
	if _, ok := plain["activities"]; ok {
		t.Error("activities embedded without include")
	}
	r = e.do(req{method: "GET", path: "/v1/structures/" + small + "?include=bogus"})
	wantStatus(t, r, http.StatusBadRequest)
	wantFields(t, r, "include")
}

// TestIncludedEventsHideDrafts: an included event never shows an anonymous
// caller a structure that is not published.
func TestIncludedEventsHideDrafts(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := newSource("incdraft")
	pub := e.create(editor, champ(source))["id"].(string)
	in := champ(source)
	in["status"] = "draft"
	draft := e.create(editor, in)["id"].(string)
	ev := forumEvent(source)
	ev["participants"] = []map[string]any{{"structure_id": pub, "role": "speaker"}, {"structure_id": draft, "role": "exhibitor"}}
	e.createEvent(editor, ev)

	got := e.do(req{method: "GET", path: "/v1/structures/" + pub + "?include=events"}).json(t)
	events := got["events"].([]any)
	if len(events) != 1 {
		t.Fatalf("%d events", len(events))
	}
	for _, p := range events[0].(map[string]any)["participants"].([]any) {
		if p.(map[string]any)["structure_id"] == draft {
			t.Errorf("an anonymous caller sees the draft participant: %v", events[0])
		}
	}
	wantStatus(t, e.do(req{method: "GET", path: "/v1/structures/" + draft + "?include=events"}), http.StatusNotFound)
}

// TestPutBackAnIncludeBody: what a GET with include= returned can be PUT
// back as is; the embedded records are read-only and ignored.
func TestPutBackAnIncludeBody(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	sid := e.create(editor, champ(newSource("putinc")))["id"].(string)
	wantStatus(t, e.do(req{method: "POST", path: "/v1/structures/" + sid + "/activities", token: editor, body: map[string]any{"name": "Atelier"}}), http.StatusCreated)
	got := e.do(req{method: "GET", path: "/v1/structures/" + sid + "?include=activities,collectivity_links,support_schemes,events", token: editor})
	r := e.do(req{method: "PUT", path: "/v1/structures/" + sid, token: editor, body: got.body})
	wantStatus(t, r, http.StatusOK)
	if r.json(t)["version"] != float64(1) {
		t.Errorf("a PUT of an include body changed the structure: %s", r.body)
	}
}
