package api_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/essdir/essdir/internal/essdir"
)

// champ is Le Champ des Sourires, from the forum report, with a unique source
// so that each test can list exactly its own records.
func champ(source string) map[string]any {
	return map[string]any{
		"name":        "Le Champ des Sourires",
		"legal_form":  "association",
		"siret":       "", // set by tests that need one
		"summary":     "Ferme florale et chantier d'insertion à Longvic",
		"description": "Ferme florale destinée à réduire l'isolement et autonomiser les femmes.",
		"sectors":     []string{"agriculture", "employment_inclusion"},
		"labels":      []string{"aci"},
		"address":     map[string]any{"city": "Longvic", "postal_code": "21600", "insee_code": "21355"},
		"location":    map[string]any{"lat": 47.2875, "lon": 5.0631},
		"social_links": []map[string]any{
			{"network": "facebook", "url": "https://www.facebook.com/lechampdessourires/"},
		},
		"contacts": []map[string]any{{"name": "Flore Geillon", "email": "flore@example.org"}},
		"networks": []string{"PES21"},
		"source":   source,
	}
}

// newSource names a source unique to one run of one test, so that lists
// filtered by it (and go test -count=N) see only that run's rows.
func newSource(prefix string) string { return prefix + "-" + randomSuffix() }

func (e *env) create(token string, body map[string]any) map[string]any {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/v1/structures", token: token, body: body})
	wantStatus(e.t, r, http.StatusCreated)
	return r.json(e.t)
}

// deleteAtCleanup frees what a test holds unique (SIRETs) for later runs.
func (e *env) deleteAtCleanup(token, id string) {
	e.t.Cleanup(func() {
		e.do(req{method: "DELETE", path: "/v1/structures/" + id, token: token})
	})
}

func TestCreateAndGetStructure(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	in := champ("create")
	in["summary"] = "Ferme florale a\u0300 Longvic"
	in["siret"] = "73282932000074"
	r := e.do(req{method: "POST", path: "/v1/structures", token: editor, body: in})
	wantStatus(t, r, http.StatusCreated)
	got := r.json(t)
	id := got["id"].(string)
	e.deleteAtCleanup(editor, id)
	if loc := r.header.Get("Location"); loc != "/v1/structures/"+id {
		t.Errorf("Location = %q", loc)
	}
	if r.header.Get("ETag") == "" {
		t.Error("no ETag on 201")
	}
	checks := map[string]any{
		"department_code": "21", "region_code": "27",
		"siren": "732829320", "status": "published", "version": float64(1),
		"summary": "Ferme florale \u00e0 Longvic",
	}
	if slug, _ := got["slug"].(string); !strings.HasPrefix(slug, "le-champ-des-sourires") {
		t.Errorf("slug = %q", slug)
	}
	for k, want := range checks {
		if got[k] != want {
			t.Errorf("%s = %v, want %v", k, got[k], want)
		}
	}

	anon := e.do(req{method: "GET", path: "/v1/structures/" + id})
	wantStatus(t, anon, http.StatusOK)
	if _, ok := anon.json(t)["contacts"]; ok {
		t.Error("contacts shown to an anonymous caller")
	}
	ed := e.do(req{method: "GET", path: "/v1/structures/" + id, token: editor})
	contacts, _ := ed.json(t)["contacts"].([]any)
	if len(contacts) != 1 {
		t.Errorf("editor sees contacts %v", ed.json(t)["contacts"])
	}
	if anon.header.Get("ETag") == ed.header.Get("ETag") {
		t.Error("anonymous and editor representations share an ETag")
	}
}

func TestConditionalGet(t *testing.T) {
	e := newEnv(t)
	s := e.create(e.user(essdir.RoleEditor), champ("conditional"))
	path := "/v1/structures/" + s["id"].(string)
	first := e.do(req{method: "GET", path: path})
	etag := first.header.Get("ETag")
	if !strings.HasPrefix(etag, `"`) {
		t.Fatalf("ETag %q is not a strong tag", etag)
	}
	wantStatus(t, e.do(req{method: "GET", path: path, headers: map[string]string{"If-None-Match": etag}}), http.StatusNotModified)
	wantStatus(t, e.do(req{method: "GET", path: path, headers: map[string]string{"If-None-Match": `"other"`}}), http.StatusOK)
}

// TestCreateRejects covers every bad-input rule: each answers a 4xx problem
// naming the bad fields, and writes nothing.
func TestCreateRejects(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	with := func(edit func(m map[string]any)) map[string]any {
		m := champ("rejects")
		edit(m)
		return m
	}
	big := `{"name":"` + strings.Repeat("x", 1<<20) + `"}`
	tests := []struct {
		name        string
		token       string
		body        any
		contentType string
		status      int
		fields      []string
	}{
		{"ErrNoToken", "", champ("rejects"), "", 401, nil},
		{"ErrBadToken", "not-a-token", champ("rejects"), "", 401, nil},
		{"ErrUnknownField", editor, with(func(m map[string]any) { m["nickname"] = "x" }), "", 400, []string{"nickname"}},
		{"ErrUnknownNestedField", editor, with(func(m map[string]any) { m["address"] = map[string]any{"town": "x"} }), "", 400, []string{"town"}},
		{"ErrMalformedJSON", editor, `{"name": "x",`, "", 400, nil},
		{"ErrInvalidJSONSyntax", editor, `{"name" "x"}`, "", 400, nil},
		{"ErrWrongType", editor, `{"name": 5}`, "", 400, []string{"name"}},
		{"ErrWrongNestedType", editor, `{"name": "x", "location": {"lat": "north", "lon": 5}}`, "", 400, []string{"location.lat"}},
		{"ErrArrayBody", editor, `[{"name": "x"}]`, "", 400, nil},
		{"ErrNullBody", editor, `null`, "", 400, nil},
		{"ErrEmptyBody", editor, ``, "", 400, nil},
		{"ErrTrailingData", editor, `{"name": "x"} {"name": "y"}`, "", 400, nil},
		{"ErrTextPlain", editor, `{"name": "x"}`, "text/plain", 415, nil},
		{"ErrNoContentType", editor, `{"name": "x"}`, "-", 415, nil},
		{"ErrFormBody", editor, `name=x`, "application/x-www-form-urlencoded", 415, nil},
		{"ErrTooLarge", editor, big, "", 413, nil},
		{"ErrNameRequired", editor, with(func(m map[string]any) { delete(m, "name") }), "", 422, []string{"name"}},
		{"ErrNameBlank", editor, with(func(m map[string]any) { m["name"] = "   " }), "", 422, []string{"name"}},
		{"ErrNameNUL", editor, with(func(m map[string]any) { m["name"] = "La\u0000Boucle" }), "", 422, []string{"name"}},
		{"ErrSIRETLuhn", editor, with(func(m map[string]any) { m["siret"] = "73282932000075" }), "", 422, []string{"siret"}},
		{"ErrSIRETLength", editor, with(func(m map[string]any) { m["siret"] = "7328293200007" }), "", 422, []string{"siret"}},
		{"ErrSIRENLuhn", editor, with(func(m map[string]any) { m["siren"] = "732829321" }), "", 422, []string{"siren"}},
		{"ErrSIRENNotSIRETPrefix", editor, with(func(m map[string]any) { m["siret"] = "73282932000074"; m["siren"] = "356000000" }), "", 422, []string{"siren"}},
		{"ErrRNA", editor, with(func(m map[string]any) { m["rna"] = "W12345" }), "", 422, []string{"rna"}},
		{"ErrPostalCode", editor, with(func(m map[string]any) { m["address"] = map[string]any{"postal_code": "2160"} }), "", 422, []string{"address.postal_code"}},
		{"ErrINSEECode", editor, with(func(m map[string]any) { m["address"] = map[string]any{"insee_code": "2C004"} }), "", 422, []string{"address.insee_code"}},
		{"ErrLatitude", editor, with(func(m map[string]any) { m["location"] = map[string]any{"lat": 91, "lon": 5} }), "", 422, []string{"location.lat"}},
		{"ErrLongitude", editor, with(func(m map[string]any) { m["location"] = map[string]any{"lat": 47, "lon": -181} }), "", 422, []string{"location.lon"}},
		{"ErrLongitudeMissing", editor, with(func(m map[string]any) { m["location"] = map[string]any{"lat": 47} }), "", 422, []string{"location.lon"}},
		{"ErrWebsiteScheme", editor, with(func(m map[string]any) { m["website"] = "javascript:alert(1)" }), "", 422, []string{"website"}},
		{"ErrWebsiteRelative", editor, with(func(m map[string]any) { m["website"] = "www.rtes.fr" }), "", 422, []string{"website"}},
		{"ErrSocialURL", editor, with(func(m map[string]any) {
			m["social_links"] = []map[string]any{{"network": "facebook", "url": "ftp://x"}}
		}), "", 422, []string{"social_links[0].url"}},
		{"ErrEmail", editor, with(func(m map[string]any) { m["email"] = "contact at pes21" }), "", 422, []string{"email"}},
		{"ErrContactEmail", editor, with(func(m map[string]any) {
			m["contacts"] = []map[string]any{{"name": "Tao", "email": "Tao <tao@example.org>"}}
		}), "", 422, []string{"contacts[0].email"}},
		{"ErrLegalForm", editor, with(func(m map[string]any) { m["legal_form"] = "sarl" }), "", 422, []string{"legal_form"}},
		{"ErrSector", editor, with(func(m map[string]any) { m["sectors"] = []string{"food", "cooking"} }), "", 422, []string{"sectors[1]"}},
		{"ErrLabel", editor, with(func(m map[string]any) { m["labels"] = []string{"bio"} }), "", 422, []string{"labels[0]"}},
		{"ErrStatus", editor, with(func(m map[string]any) { m["status"] = "deleted" }), "", 422, []string{"status"}},
		{"ErrIDOnCreate", editor, with(func(m map[string]any) { m["id"] = "01930000-0000-7000-8000-000000000000" }), "", 422, []string{"id"}},
		{"ErrDerivedDepartment", editor, with(func(m map[string]any) { m["department_code"] = "25" }), "", 422, []string{"department_code"}},
		{"ErrExternalIDWithoutSource", editor, with(func(m map[string]any) { delete(m, "source"); m["external_id"] = "x" }), "", 422, []string{"external_id"}},
		{"ErrEveryFieldAtOnce", editor, with(func(m map[string]any) {
			m["siret"], m["email"], m["website"], m["rna"] = "1", "x", "y", "z"
		}), "", 422, []string{"siret", "email", "website", "rna"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.countStructures()
			r := e.do(req{method: "POST", path: "/v1/structures", token: tt.token, body: tt.body, contentType: tt.contentType})
			wantStatus(t, r, tt.status)
			if tt.fields != nil {
				wantFields(t, r, tt.fields...)
			}
			if tt.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without a Bearer challenge: %q", r.header.Get("WWW-Authenticate"))
			}
			if after := e.countStructures(); after != before {
				t.Errorf("a refused request wrote: %d rows before, %d after", before, after)
			}
		})
	}
}

func TestDuplicateSIRET(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	a := champ("dup")
	a["siret"] = "35600000000048" // La Poste's head office: Luhn-valid
	e.deleteAtCleanup(editor, e.create(editor, a)["id"].(string))
	before := e.countStructures()
	b := champ("dup")
	b["siret"] = "356 000 000 00048" // same number, typed with spaces
	r := e.do(req{method: "POST", path: "/v1/structures", token: editor, body: b})
	wantStatus(t, r, http.StatusConflict)
	wantFields(t, r, "siret")
	if e.countStructures() != before {
		t.Error("the duplicate was written")
	}
	// A La Poste establishment: not Luhn-valid, digit sum divisible by 5.
	c := champ("dup")
	c["siret"] = "35600000049837"
	e.deleteAtCleanup(editor, e.create(editor, c)["id"].(string))
}

func TestReplaceStructure(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	s := e.create(editor, champ("replace"))
	id := s["id"].(string)
	path := "/v1/structures/" + id

	// What a GET returned can be PUT back as is, and changes nothing.
	got := e.do(req{method: "GET", path: path, token: editor})
	same := e.do(req{method: "PUT", path: path, token: editor, body: got.body})
	wantStatus(t, same, http.StatusOK)
	if same.json(t)["version"] != float64(1) || same.header.Get("ETag") != got.header.Get("ETag") {
		t.Errorf("an identical PUT changed the record: %s", same.body)
	}

	// A replacement clears what it omits.
	next := map[string]any{"name": "Le Champ des Sourires", "summary": "Ferme florale", "address": map[string]any{"postal_code": "21600"}}
	r := e.do(req{method: "PUT", path: path, token: editor, body: next})
	wantStatus(t, r, http.StatusOK)
	out := r.json(t)
	if out["version"] != float64(2) || out["summary"] != "Ferme florale" || out["slug"] != s["slug"] {
		t.Errorf("after PUT: %s", r.body)
	}
	for _, gone := range []string{"description", "location", "legal_form", "contacts"} {
		if v, ok := out[gone]; ok && gone != "contacts" {
			t.Errorf("%s not cleared: %v", gone, v)
		}
	}
	if len(out["labels"].([]any)) != 0 || len(out["contacts"].([]any)) != 0 {
		t.Errorf("lists not cleared: %s", r.body)
	}
	etag := r.header.Get("ETag")
	again := e.do(req{method: "PUT", path: path, token: editor, body: next})
	if again.json(t)["version"] != float64(2) || again.header.Get("ETag") != etag {
		t.Errorf("the same minimal PUT twice changed the record: %s", again.body)
	}

	tests := []struct {
		name    string
		path    string
		body    any
		headers map[string]string
		status  int
	}{
		{"ErrBodyIDDiffers", path, map[string]any{"id": "01930000-0000-7000-8000-000000000000", "name": "x"}, nil, 400},
		{"ErrBadPathID", "/v1/structures/not-a-uuid", next, nil, 400},
		{"ErrUnknownID", "/v1/structures/01930000-0000-7000-8000-000000000000", next, nil, 404},
		{"ErrStaleIfMatch", path, next, map[string]string{"If-Match": got.header.Get("ETag")}, 412},
		{"ErrWeakIfMatch", path, next, map[string]string{"If-Match": "W/" + etag}, 412},
		{"ErrStaleVersion", path, map[string]any{"name": "x", "version": 1}, nil, 409},
		{"ErrCreatedAtChanged", path, map[string]any{"name": "x", "created_at": "2020-01-01T00:00:00Z"}, nil, 422},
		{"ErrInvalid", path, map[string]any{"name": "x", "siret": "1"}, nil, 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(req{method: "PUT", path: tt.path, token: editor, body: tt.body, headers: tt.headers})
			wantStatus(t, r, tt.status)
			now := e.do(req{method: "GET", path: path, token: editor})
			if now.header.Get("ETag") != etag {
				t.Error("a refused PUT changed the record")
			}
		})
	}

	ok := e.do(req{method: "PUT", path: path, token: editor, body: next, headers: map[string]string{"If-Match": etag}})
	wantStatus(t, ok, http.StatusOK)
	if e.do(req{method: "PUT", path: path, body: next}).status != 401 {
		t.Error("anonymous PUT accepted")
	}
}

func TestPatchStructure(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	s := e.create(editor, champ("patch"))
	path := "/v1/structures/" + s["id"].(string)

	r := e.do(req{method: "PATCH", path: path, token: editor, contentType: "application/merge-patch+json",
		body: `{"summary": "Bouquets locaux", "location": null, "address": {"street": "Rue des Fleurs"}}`})
	wantStatus(t, r, http.StatusOK)
	out := r.json(t)
	addr := out["address"].(map[string]any)
	if out["summary"] != "Bouquets locaux" || out["location"] != nil || addr["street"] != "Rue des Fleurs" || addr["city"] != "Longvic" {
		t.Errorf("merge patch result: %s", r.body)
	}
	if out["version"] != float64(2) || out["name"] != s["name"] {
		t.Errorf("merge patch result: %s", r.body)
	}
	etag := r.header.Get("ETag")

	tests := []struct {
		name, body, contentType string
		headers                 map[string]string
		status                  int
	}{
		{"ErrUnknownField", `{"nickname": "x"}`, "application/merge-patch+json", nil, 400},
		{"ErrNotObject", `["x"]`, "application/merge-patch+json", nil, 400},
		{"ErrTextPlain", `{"summary": "x"}`, "text/plain", nil, 415},
		{"ErrInvalid", `{"email": "nope"}`, "application/json", nil, 422},
		{"ErrNameRemoved", `{"name": null}`, "application/json", nil, 422},
		{"ErrStaleIfMatch", `{"summary": "x"}`, "application/json", map[string]string{"If-Match": `"stale"`}, 412},
		{"ErrIDChanged", `{"id": "01930000-0000-7000-8000-000000000000"}`, "application/json", nil, 400},
		{"ErrDerivedRegion", `{"region_code": "11"}`, "application/json", nil, 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(req{method: "PATCH", path: path, token: editor, body: tt.body, contentType: tt.contentType, headers: tt.headers})
			wantStatus(t, r, tt.status)
			if now := e.do(req{method: "GET", path: path, token: editor}); now.header.Get("ETag") != etag {
				t.Error("a refused PATCH changed the record")
			}
		})
	}
	ok := e.do(req{method: "PATCH", path: path, token: editor, body: `{"labels": []}`, headers: map[string]string{"If-Match": etag}})
	wantStatus(t, ok, http.StatusOK)
}

func TestDeleteStructure(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := newSource("delete")
	s := e.create(editor, champ(source))
	path := "/v1/structures/" + s["id"].(string)
	wantStatus(t, e.do(req{method: "DELETE", path: path}), http.StatusUnauthorized)
	wantStatus(t, e.do(req{method: "DELETE", path: path, token: editor, headers: map[string]string{"If-Match": `"stale"`}}), http.StatusPreconditionFailed)
	etag := e.do(req{method: "GET", path: path, token: editor}).header.Get("ETag")
	wantStatus(t, e.do(req{method: "DELETE", path: path, token: editor, headers: map[string]string{"If-Match": etag}}), http.StatusNoContent)
	wantStatus(t, e.do(req{method: "GET", path: path}), http.StatusNotFound)
	wantStatus(t, e.do(req{method: "GET", path: path, token: editor}), http.StatusNotFound)
	wantStatus(t, e.do(req{method: "DELETE", path: path, token: editor}), http.StatusNotFound)
	wantStatus(t, e.do(req{method: "PUT", path: path, token: editor, body: champ("delete")}), http.StatusNotFound)
	list := e.do(req{method: "GET", path: "/v1/structures?source=" + source})
	if n := len(list.json(t)["data"].([]any)); n != 0 {
		t.Errorf("a deleted structure is still listed (%d)", n)
	}
}

func TestStructureVisibility(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := newSource("visibility")
	draft := champ(source)
	draft["status"] = "draft"
	s := e.create(editor, draft)
	path := "/v1/structures/" + s["id"].(string)
	wantStatus(t, e.do(req{method: "GET", path: path}), http.StatusNotFound)
	wantStatus(t, e.do(req{method: "GET", path: path, token: editor}), http.StatusOK)
	anon := e.do(req{method: "GET", path: "/v1/structures?source=" + source})
	if n := len(anon.json(t)["data"].([]any)); n != 0 {
		t.Errorf("anonymous list shows %d drafts", n)
	}
	wantStatus(t, e.do(req{method: "GET", path: "/v1/structures?source=" + source + "&status=draft"}), http.StatusUnauthorized)
	ed := e.do(req{method: "GET", path: "/v1/structures?source=" + source + "&status=draft,pending", token: editor})
	if n := len(ed.json(t)["data"].([]any)); n != 1 {
		t.Errorf("editor's status=draft list has %d items", n)
	}
}

func TestListStructures(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := newSource("list")
	for i, name := range []string{"Recyclerie E", "Recyclerie A", "Recyclerie D", "Recyclerie B", "Recyclerie C"} {
		s := champ(source)
		s["name"] = name
		if i%2 == 0 {
			s["sectors"] = []string{"reuse"}
		}
		e.create(editor, s)
	}
	var names []string
	path := "/v1/structures?source=" + source + "&limit=2&include_total=true"
	for pages := 0; path != "" && pages < 5; pages++ {
		r := e.do(req{method: "GET", path: path})
		wantStatus(t, r, http.StatusOK)
		body := r.json(t)
		meta := body["meta"].(map[string]any)
		if meta["total"] != float64(5) {
			t.Errorf("total = %v", meta["total"])
		}
		for _, d := range body["data"].([]any) {
			item := d.(map[string]any)
			names = append(names, item["name"].(string))
			if _, ok := item["contacts"]; ok {
				t.Error("contacts in an anonymous list")
			}
		}
		path = ""
		if link := r.header.Get("Link"); link != "" {
			if meta["next_cursor"] == nil || !strings.Contains(link, `rel="next"`) {
				t.Fatalf("Link %q without next_cursor", link)
			}
			path = strings.TrimSuffix(strings.TrimPrefix(strings.Split(link, ";")[0], "<"), ">")
			// The client's own query, the cursor replaced.
			if want := "/v1/structures?source=" + source + "&limit=2&include_total=true&cursor=" + url.QueryEscape(meta["next_cursor"].(string)); path != want {
				t.Fatalf("Link to %q, want %q", path, want)
			}
		} else if meta["next_cursor"] != nil {
			t.Fatal("next_cursor without a Link header")
		}
	}
	if got := strings.Join(names, ","); got != "Recyclerie A,Recyclerie B,Recyclerie C,Recyclerie D,Recyclerie E" {
		t.Errorf("pages = %s", got)
	}

	filtered := e.do(req{method: "GET", path: "/v1/structures?source=" + source + "&sector=reuse&sector=food&department_code=21&sort=-updated_at"})
	if n := len(filtered.json(t)["data"].([]any)); n != 3 {
		t.Errorf("sector filter found %d, want 3", n)
	}
	if n := len(e.do(req{method: "GET", path: "/v1/structures?source=" + source + "&city=longvic&postal_code=21600"}).json(t)["data"].([]any)); n != 5 {
		t.Errorf("city filter found %d, want 5", n)
	}

	for _, bad := range []string{
		"limit=0", "limit=101", "limit=ten", "cursor=garbage", "sort=popularity", "sector=cooking",
		"legal_form=sarl", "department_code=20", "updated_since=yesterday", "include_total=maybe",
		"nickname=x", "status=deleted", "limit=1&limit=2", "city=%00", "city=%ff", "network=a%0Ab", "%ff=1",
	} {
		t.Run("Err_"+bad, func(t *testing.T) {
			r := e.do(req{method: "GET", path: "/v1/structures?" + bad, token: editor})
			wantStatus(t, r, http.StatusBadRequest)
		})
	}
	// A forged cursor carrying a NUL byte is a 400, not a database error.
	forged := base64.RawURLEncoding.EncodeToString([]byte(`{"s":"name","n":"a\u0000b","i":"01930000-0000-7000-8000-000000000000"}`))
	wantStatus(t, e.do(req{method: "GET", path: "/v1/structures?cursor=" + forged}), http.StatusBadRequest)
	// A null key is not read as "", 0 or year 1: a 400 too.
	for _, keys := range []string{`[null,"01930000-0000-7000-8000-000000000000"]`, `["a",null]`} {
		forged = base64.RawURLEncoding.EncodeToString([]byte(`{"l":"structures","s":"name","k":` + keys + `}`))
		r := e.do(req{method: "GET", path: "/v1/structures?cursor=" + forged})
		wantStatus(t, r, http.StatusBadRequest)
		wantFields(t, r, "cursor")
	}
	// A cursor of one sort is refused by another.
	r := e.do(req{method: "GET", path: "/v1/structures?source=" + source + "&limit=1"})
	next := r.json(t)["meta"].(map[string]any)["next_cursor"].(string)
	wantStatus(t, e.do(req{method: "GET", path: fmt.Sprintf("/v1/structures?source=%s&limit=1&sort=-updated_at&cursor=%s", source, next)}), http.StatusBadRequest)
}
