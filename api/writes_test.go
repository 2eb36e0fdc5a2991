package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/essdir/essdir/internal/essdir"
)

// TestMoveStructure: derived fields follow a new address or SIRET, whether
// the change comes as a PATCH or as a PUT of the GET body; a derived value
// that is neither the stored nor the new one stays a 422.
func TestMoveStructure(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	paris := map[string]any{"postal_code": "75001", "city": "Paris", "insee_code": "75056"}

	t.Run("Patch", func(t *testing.T) {
		s := e.create(editor, champ(newSource("move")))
		r := e.do(req{method: "PATCH", path: "/v1/structures/" + s["id"].(string), token: editor,
			contentType: "application/merge-patch+json", body: map[string]any{"address": paris}})
		wantStatus(t, r, http.StatusOK)
		if got := r.json(t); got["department_code"] != "75" || got["region_code"] != "11" || got["version"] != float64(2) {
			t.Errorf("after the move: %s", r.body)
		}
	})
	t.Run("PutOfGetBody", func(t *testing.T) {
		s := e.create(editor, champ(newSource("move")))
		path := "/v1/structures/" + s["id"].(string)
		body := e.do(req{method: "GET", path: path, token: editor}).json(t)
		body["address"] = paris
		r := e.do(req{method: "PUT", path: path, token: editor, body: body})
		wantStatus(t, r, http.StatusOK)
		if got := r.json(t); got["department_code"] != "75" || got["region_code"] != "11" {
			t.Errorf("after the move: %s", r.body)
		}
	})
	t.Run("NewSIRET", func(t *testing.T) {
		in := champ(newSource("move"))
		in["siret"] = "73282932000074"
		s := e.create(editor, in)
		path := "/v1/structures/" + s["id"].(string)
		e.deleteAtCleanup(editor, s["id"].(string))
		r := e.do(req{method: "PATCH", path: path, token: editor, body: map[string]any{"siret": "35600000000048"}})
		wantStatus(t, r, http.StatusOK)
		if got := r.json(t); got["siren"] != "356000000" {
			t.Errorf("siren did not follow the SIRET: %s", r.body)
		}
	})
	t.Run("ErrDerivedFromNeither", func(t *testing.T) {
		in := champ(newSource("move"))
		in["siret"] = "73282932000074"
		s := e.create(editor, in)
		e.deleteAtCleanup(editor, s["id"].(string))
		path := "/v1/structures/" + s["id"].(string)
		body := e.do(req{method: "GET", path: path, token: editor}).json(t)
		body["address"], body["department_code"] = paris, "13"
		r := e.do(req{method: "PUT", path: path, token: editor, body: body})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFields(t, r, "department_code")
		r = e.do(req{method: "PATCH", path: path, token: editor, body: map[string]any{"siren": "552100554"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFields(t, r, "siren")
	})
}

// TestIfMatchAcrossViews: the README's walk-through. An ETag from the
// anonymous view satisfies an editor's If-Match while the version is
// current; If-None-Match stays per view.
func TestIfMatchAcrossViews(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	s := e.create(editor, champ(newSource("views")))
	path := "/v1/structures/" + s["id"].(string)
	anon := e.do(req{method: "GET", path: path}).header.Get("ETag")
	full := e.do(req{method: "GET", path: path, token: editor}).header.Get("ETag")
	if anon == full {
		t.Fatalf("the anonymous and editor views share an ETag %s", anon)
	}
	// If-None-Match per view: the editor holding the anonymous copy gets
	// the full record.
	wantStatus(t, e.do(req{method: "GET", path: path, token: editor, headers: map[string]string{"If-None-Match": anon}}), http.StatusOK)
	wantStatus(t, e.do(req{method: "GET", path: path, headers: map[string]string{"If-None-Match": anon}}), http.StatusNotModified)

	r := e.do(req{method: "PATCH", path: path, token: editor, contentType: "application/merge-patch+json",
		headers: map[string]string{"If-Match": anon}, body: `{"summary": "Ressourcerie"}`})
	wantStatus(t, r, http.StatusOK)
	// Both tags of the former version are now stale.
	for _, old := range []string{anon, full} {
		r := e.do(req{method: "PATCH", path: path, token: editor, headers: map[string]string{"If-Match": old}, body: `{"summary": "x"}`})
		wantStatus(t, r, http.StatusPreconditionFailed)
	}
	r = e.do(req{method: "DELETE", path: path, token: editor, headers: map[string]string{"If-Match": anon}})
	wantStatus(t, r, http.StatusPreconditionFailed)
	fresh := e.do(req{method: "GET", path: path}).header.Get("ETag")
	wantStatus(t, e.do(req{method: "DELETE", path: path, token: editor, headers: map[string]string{"If-Match": fresh}}), http.StatusNoContent)
}

// TestLifecycleKept: an update never changes status unless it names one.
func TestLifecycleKept(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	in := champ(newSource("lifecycle"))
	in["status"] = "draft"
	s := e.create(editor, in)
	path := "/v1/structures/" + s["id"].(string)

	r := e.do(req{method: "PUT", path: path, token: editor, body: map[string]any{"name": "x"}})
	wantStatus(t, r, http.StatusOK)
	if got := r.json(t)["status"]; got != "draft" {
		t.Fatalf("a PUT without status made the draft %v", got)
	}
	for _, tc := range []struct{ method, body string }{
		{"PATCH", `{"status": null}`},
		{"PUT", `{"name": "x", "status": null}`},
		{"PATCH", `{"status": ""}`},
	} {
		r := e.do(req{method: tc.method, path: path, token: editor, body: tc.body})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFields(t, r, "status")
	}
	wantStatus(t, e.do(req{method: "GET", path: path}), http.StatusNotFound)
	r = e.do(req{method: "PATCH", path: path, token: editor, body: `{"status": "published"}`})
	if r.json(t)["status"] != "published" {
		t.Errorf("naming the status did not change it: %s", r.body)
	}
	wantStatus(t, e.do(req{method: "GET", path: path}), http.StatusOK)
}

// TestUntrustworthyText: names made of invisible characters, bidirectional
// overrides and replacement characters are refused, naming the field.
func TestUntrustworthyText(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	before := e.countStructures()
	for name, text := range map[string]string{
		"ZeroWidthSpaces": "\u200b\u200b\u200b",
		"BidiOverride":    "Recyclerie \u202eeirelcyceR",
		"Replacement":     "Octets \ufffd invalides",
	} {
		t.Run("Err"+name, func(t *testing.T) {
			in := champ(newSource("text"))
			in["name"] = text
			r := e.do(req{method: "POST", path: "/v1/structures", token: editor, body: in})
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantFields(t, r, "name")
		})
	}
	if e.countStructures() != before {
		t.Error("a refused body was stored")
	}
}

// TestSlugNeverChanges: a rename keeps the slug; a new slug is refused.
func TestSlugNeverChanges(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	s := e.create(editor, champ(newSource("slug")))
	path := "/v1/structures/" + s["id"].(string)
	r := e.do(req{method: "PATCH", path: path, token: editor, body: `{"name": "Champ des Sourires (Longvic)"}`})
	wantStatus(t, r, http.StatusOK)
	if r.json(t)["slug"] != s["slug"] {
		t.Errorf("a rename changed the slug: %s", r.body)
	}
	r = e.do(req{method: "PATCH", path: path, token: editor, body: `{"slug": "autre-chose"}`})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	wantFields(t, r, "slug")
}

// TestUnknownParameterOnSingleRecord: one rule for lists and single records.
func TestUnknownParameterOnSingleRecord(t *testing.T) {
	e := newEnv(t)
	s := e.create(e.user(essdir.RoleEditor), champ(newSource("params")))
	r := e.do(req{method: "GET", path: "/v1/structures/" + s["id"].(string) + "?bogus=1"})
	wantStatus(t, r, http.StatusBadRequest)
	wantFields(t, r, "bogus")
}

// TestLongNamesGetShortSlugs: a derived slug with its -N suffix stays within
// the slug rule.
func TestLongNamesGetShortSlugs(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	in := champ(newSource("longslug"))
	in["name"] = strings.Repeat("Solidaire ", 15) + randomSuffix()
	var slugs []string
	for range 3 {
		slugs = append(slugs, e.create(editor, in)["slug"].(string))
	}
	for _, s := range slugs {
		if len(s) > essdir.MaxSlugLen {
			t.Errorf("slug %q is %d characters", s, len(s))
		}
	}
	if slugs[0] == slugs[1] || slugs[1] == slugs[2] || !strings.HasSuffix(slugs[2], "-3") {
		t.Errorf("slugs = %v", slugs)
	}
}

// TestAddressAgainstTheGeography: codes must exist in the official
// geography; a former commune's code names its successor.
func TestAddressAgainstTheGeography(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	before := e.countStructures()
	for _, tc := range []struct {
		name    string
		address map[string]any
		field   string
		message string
	}{
		{"ErrUnknownINSEE", map[string]any{"insee_code": "99999"}, "address.insee_code", "not the INSEE code"},
		{"ErrFormerCommune", map[string]any{"insee_code": "88422"}, "address.insee_code", "88160"},
		{"ErrUnknownPostalCode", map[string]any{"postal_code": "21999"}, "address.postal_code", "no commune"},
		{"ErrPostalCodeOfAnotherCommune", map[string]any{"insee_code": "21231", "postal_code": "75001"}, "address.postal_code", "Dijon"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := champ(newSource("geo"))
			in["address"] = tc.address
			r := e.do(req{method: "POST", path: "/v1/structures", token: editor, body: in})
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantFields(t, r, tc.field)
			if !strings.Contains(string(r.body), tc.message) {
				t.Errorf("the problem does not say %q: %s", tc.message, r.body)
			}
		})
	}
	if e.countStructures() != before {
		t.Error("a refused address was stored")
	}
	in := champ(newSource("geo"))
	in["address"] = map[string]any{"insee_code": "75101", "city": "Paris 1er"}
	r := e.do(req{method: "POST", path: "/v1/structures", token: editor, body: in})
	wantStatus(t, r, http.StatusCreated)
	if got := r.json(t); got["department_code"] != "75" || got["region_code"] != "11" {
		t.Errorf("an arrondissement's territory: %s", r.body)
	}
}

// TestWritesTakeNoQueryParameters: a write with a query parameter is a 400
// and changes nothing (PATCH ?dry_run=true must not write).
func TestWritesTakeNoQueryParameters(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	s := e.create(editor, champ(newSource("noquery")))
	path := "/v1/structures/" + s["id"].(string)
	before := e.countStructures()
	for _, r := range []req{
		{method: "PATCH", path: path + "?dry_run=true", token: editor, body: `{"summary": "dry run?"}`},
		{method: "PUT", path: path + "?x=1", token: editor, body: map[string]any{"name": "x"}},
		{method: "POST", path: "/v1/structures?validate_only=1", token: editor, body: champ(newSource("noquery"))},
		{method: "DELETE", path: path + "?soft=false", token: editor},
		{method: "GET", path: "/v1/auth/me?foo=1", token: editor},
	} {
		got := e.do(r)
		wantStatus(t, got, http.StatusBadRequest)
	}
	if e.countStructures() != before {
		t.Error("a refused write created a structure")
	}
	if now := e.do(req{method: "GET", path: path, token: editor}).json(t); now["summary"] == "dry run?" || now["version"] != float64(1) {
		t.Errorf("a refused write changed the structure: %v", now)
	}
}

// TestFieldNamesAreExact: encoding/json matches names case-insensitively;
// the API does not ({"Status": null} is not status, it is unknown).
func TestFieldNamesAreExact(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	s := e.create(editor, champ(newSource("exact")))
	path := "/v1/structures/" + s["id"].(string)
	before := e.countStructures()
	for _, r := range []req{
		{method: "POST", path: "/v1/structures", token: editor, body: `{"NAME": "Upper", "Status": "draft"}`},
		{method: "PUT", path: path, token: editor, body: `{"name": "x", "Status": null}`},
		{method: "PATCH", path: path, token: editor, body: `{"Status": null}`},
		{method: "PATCH", path: path, token: editor, body: `{"ſtatus": null}`},
		{method: "PATCH", path: path, token: editor, body: `{"address": {"City": "Dijon"}}`},
		{method: "PATCH", path: path, token: editor, body: `{"contacts": [{"Name": "x"}]}`},
	} {
		got := e.do(r)
		wantStatus(t, got, http.StatusBadRequest)
	}
	if e.countStructures() != before {
		t.Error("a refused body was stored")
	}
	if now := e.do(req{method: "GET", path: path, token: editor}).json(t); now["version"] != float64(1) {
		t.Errorf("a refused body changed the structure: %v", now)
	}
}

// TestOneURLPerRecord: only the canonical form of an id names a record.
func TestOneURLPerRecord(t *testing.T) {
	e := newEnv(t)
	id := e.create(e.user(essdir.RoleEditor), champ(newSource("canon")))["id"].(string)
	wantStatus(t, e.do(req{method: "GET", path: "/v1/structures/" + id}), http.StatusOK)
	for _, other := range []string{"urn:uuid:" + id, "{" + id + "}", strings.ReplaceAll(id, "-", ""), strings.ToUpper(id)} {
		wantStatus(t, e.do(req{method: "GET", path: "/v1/structures/" + other}), http.StatusBadRequest)
	}
}

// TestCursorBelongsToItsList: a cursor of one list is refused by another.
func TestCursorBelongsToItsList(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := newSource("cursor")
	for range 3 {
		e.create(editor, champ(source))
	}
	next := e.do(req{method: "GET", path: "/v1/structures?limit=1&source=" + source}).json(t)["meta"].(map[string]any)["next_cursor"].(string)
	wantStatus(t, e.do(req{method: "GET", path: "/v1/structures?limit=1&source=" + source + "&cursor=" + next}), http.StatusOK)
	r := e.do(req{method: "GET", path: "/v1/activities?cursor=" + next})
	wantStatus(t, r, http.StatusBadRequest)
	wantFields(t, r, "cursor")
}

// TestOverseasCollectivities: structures of Saint-Pierre-et-Miquelon or
// Nouvelle-Calédonie get their territory and can be filtered by it.
func TestOverseasCollectivities(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := newSource("overseas")
	in := champ(source)
	in["address"] = map[string]any{"city": "Saint-Pierre", "insee_code": "97502", "postal_code": "97500"}
	got := e.create(editor, in)
	if got["department_code"] != "975" || got["region_code"] != "975" {
		t.Errorf("Saint-Pierre: %v / %v", got["department_code"], got["region_code"])
	}
	r := e.do(req{method: "GET", path: "/v1/structures?department_code=975&region_code=975&source=" + source})
	wantStatus(t, r, http.StatusOK)
	if n := len(r.json(t)["data"].([]any)); n != 1 {
		t.Errorf("département 975 lists %d structures", n)
	}
	wantStatus(t, e.do(req{method: "GET", path: "/v1/structures?department_code=988"}), http.StatusOK)
}
