package api_test

import (
	"net/http"
	"testing"

	"github.com/essdir/essdir/internal/essdir"
)

func TestActivities(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := newSource("activities")
	s := e.create(editor, champ(source))
	sid := s["id"].(string)

	r := e.do(req{method: "POST", path: "/v1/structures/" + sid + "/activities", token: editor,
		body: map[string]any{"name": "Atelier bouquets", "sectors": []string{"agriculture"}, "audiences": []string{"women"}}})
	wantStatus(t, r, http.StatusCreated)
	a := r.json(t)
	path := "/v1/activities/" + a["id"].(string)
	if a["structure_id"] != sid || r.header.Get("Location") != path {
		t.Fatalf("created %s", r.body)
	}

	got := e.do(req{method: "GET", path: path})
	wantStatus(t, got, http.StatusOK)
	same := e.do(req{method: "PUT", path: path, token: editor, body: got.body})
	if same.json(t)["version"] != float64(1) || same.header.Get("ETag") != got.header.Get("ETag") {
		t.Errorf("a PUT of the GET body changed the activity: %s", same.body)
	}

	nested := e.do(req{method: "GET", path: "/v1/structures/" + sid + "/activities"})
	wantStatus(t, nested, http.StatusOK)
	if n := len(nested.json(t)["data"].([]any)); n != 1 {
		t.Errorf("nested list has %d activities", n)
	}
	across := e.do(req{method: "GET", path: "/v1/activities?source=" + source + "&audience=women&department_code=21"})
	if n := len(across.json(t)["data"].([]any)); n != 1 {
		t.Errorf("search across structures found %d activities", n)
	}
	byAudience := e.do(req{method: "GET", path: "/v1/structures?source=" + source + "&audience=women"})
	if n := len(byAudience.json(t)["data"].([]any)); n != 1 {
		t.Errorf("the structure audience filter found %d structures", n)
	}
	none := e.do(req{method: "GET", path: "/v1/structures?source=" + source + "&audience=seniors"})
	if n := len(none.json(t)["data"].([]any)); n != 0 {
		t.Errorf("audience=seniors found %d structures", n)
	}

	tests := []struct {
		name, method, path string
		body               any
		status             int
		fields             []string
	}{
		{"ErrUnknownStructure", "POST", "/v1/structures/01930000-0000-7000-8000-000000000000/activities", map[string]any{"name": "x"}, 404, nil},
		{"ErrBodyStructureDiffers", "POST", "/v1/structures/" + sid + "/activities", map[string]any{"name": "x", "structure_id": "01930000-0000-7000-8000-000000000000"}, 400, []string{"structure_id"}},
		{"ErrVocabulary", "POST", "/v1/structures/" + sid + "/activities", map[string]any{"name": "x", "audiences": []string{"aliens"}}, 422, []string{"audiences[0]"}},
		{"ErrNameRequired", "POST", "/v1/structures/" + sid + "/activities", map[string]any{"description": "x"}, 422, []string{"name"}},
		{"ErrMoveToMissingStructure", "PUT", path, map[string]any{"name": "x", "structure_id": "01930000-0000-7000-8000-000000000000"}, 422, []string{"structure_id"}},
		{"ErrNilUUIDIsNoStructure", "PATCH", path, map[string]any{"structure_id": "00000000-0000-0000-0000-000000000000"}, 422, []string{"structure_id"}},
		{"ErrUnknownAudienceParam", "GET", "/v1/activities?audience=aliens", nil, 400, []string{"audience"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(req{method: tt.method, path: tt.path, token: editor, body: tt.body})
			wantStatus(t, r, tt.status)
			if tt.fields != nil {
				wantFields(t, r, tt.fields...)
			}
		})
	}

	// A structure's deletion takes its activities with it.
	wantStatus(t, e.do(req{method: "DELETE", path: "/v1/structures/" + sid, token: editor}), http.StatusNoContent)
	wantStatus(t, e.do(req{method: "GET", path: path, token: editor}), http.StatusNotFound)
	gone := e.do(req{method: "GET", path: "/v1/activities?source=" + source, token: editor})
	if n := len(gone.json(t)["data"].([]any)); n != 0 {
		t.Errorf("a deleted structure's activities are still listed: %s", gone.body)
	}
}

// TestActivitiesOfDraftsAreHidden: no path shows an anonymous caller the
// activities of a structure that is not published.
func TestActivitiesOfDraftsAreHidden(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := newSource("draftact")
	in := champ(source)
	in["status"] = "draft"
	sid := e.create(editor, in)["id"].(string)
	r := e.do(req{method: "POST", path: "/v1/structures/" + sid + "/activities", token: editor, body: map[string]any{"name": "Atelier"}})
	wantStatus(t, r, http.StatusCreated)
	path := "/v1/activities/" + r.json(t)["id"].(string)

	wantStatus(t, e.do(req{method: "GET", path: path}), http.StatusNotFound)
	wantStatus(t, e.do(req{method: "GET", path: "/v1/structures/" + sid + "/activities"}), http.StatusNotFound)
	if n := len(e.do(req{method: "GET", path: "/v1/activities?source=" + source}).json(t)["data"].([]any)); n != 0 {
		t.Errorf("anonymous search shows %d activities of a draft", n)
	}
	wantStatus(t, e.do(req{method: "GET", path: path, token: editor}), http.StatusOK)
	wantStatus(t, e.do(req{method: "GET", path: "/v1/structures/" + sid + "/activities", token: editor}), http.StatusOK)
	if n := len(e.do(req{method: "GET", path: "/v1/activities?status=draft&source=" + source, token: editor}).json(t)["data"].([]any)); n != 1 {
		t.Errorf("an editor's search shows %d activities of the draft", n)
	}
}
