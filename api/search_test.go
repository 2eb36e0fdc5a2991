package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/essdir/essdir/api"
	"github.com/essdir/essdir/internal/essdir"
)

// searchFixture stores three structures of one source: two published around
// Dijon, one draft; one has formula-like text for the CSV tests and no
// location for GeoJSON.
func searchFixture(t *testing.T, e *env, editor string) (source string, ids map[string]string) {
	t.Helper()
	source = newSource("search")
	ids = map[string]string{}
	a := champ(source)
	a["name"], a["summary"] = "Maison de l'Économie Sociale", "Accompagnement des projets solidaires"
	a["phone"] = "+33 3 80 50 90 47"
	ids["maison"] = e.create(editor, a)["id"].(string)
	b := champ(source)
	b["name"], b["summary"] = "=HYPERLINK(\"http://x\")", "-cmd|' /C calc'!A0"
	b["description"] = "@SUM(1+1)"
	b["location"] = nil
	ids["formula"] = e.create(editor, b)["id"].(string)
	c := champ(source)
	c["name"], c["status"] = "Brouillon solidaire", "draft"
	c["location"] = map[string]any{"lat": 47.3220, "lon": 5.0415}
	ids["draft"] = e.create(editor, c)["id"].(string)
	return source, ids
}

func listNames(t *testing.T, r *resp) []string {
	t.Helper()
	var body struct {
		Data []struct {
			Name       string   `json:"name"`
			DistanceKM *float64 `json:"distance_km"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range body.Data {
		out = append(out, d.Name)
	}
	return out
}

func TestSearchStructures(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source, _ := searchFixture(t, e, editor)
	for _, tc := range []struct{ name, query, token, want string }{
		{"AccentInsensitive", "q=economie", "", "Maison de l'Économie Sociale"},
		{"Stemmed", "q=projet+solidaire", "", "Maison de l'Économie Sociale"},
		{"TypoOnCity", "q=Longvik&sort=name", "", "=HYPERLINK(\"http://x\")|Maison de l'Économie Sociale"},
		{"PercentLiteral", "q=%25", "", ""},
		{"CombinedFilters", "q=solidaire&department_code=21&label=aci&sector=agriculture&city=longvic", "", "Maison de l'Économie Sociale"},
		{"FilterExcludes", "q=solidaire&legal_form=scop", "", ""},
		{"DraftsForEditors", "q=solidaire&status=draft,published&sort=name", editor, "Brouillon solidaire|Maison de l'Économie Sociale"},
		{"Near", "near=47.2875,5.0631&radius_km=1&sort=distance", "", "Maison de l'Économie Sociale"},
		{"BBox", "bbox=5,47,5.1,47.3", "", "Maison de l'Économie Sociale"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(req{method: "GET", path: "/v1/structures?source=" + source + "&" + tc.query, token: tc.token})
			wantStatus(t, r, http.StatusOK)
			if got := strings.Join(listNames(t, r), "|"); got != tc.want {
				t.Errorf("%s: %q, want %q", tc.query, got, tc.want)
			}
		})
	}
}

func TestSearchDistanceOrderAndCursor(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := newSource("distance")
	for i, lat := range []float64{47.40, 47.30, 47.35, 47.31} {
		s := champ(source)
		s["name"] = []string{"D", "A", "C", "B"}[i]
		s["location"] = map[string]any{"lat": lat, "lon": 5.0}
		e.create(editor, s)
	}
	path := "/v1/structures?source=" + source + "&near=47.3,5.0&radius_km=20&sort=distance&limit=1"
	var names []string
	var distances []float64
	for range 10 {
		r := e.do(req{method: "GET", path: path})
		wantStatus(t, r, http.StatusOK)
		var body struct {
			Data []struct {
				Name       string  `json:"name"`
				DistanceKM float64 `json:"distance_km"`
			} `json:"data"`
			Meta struct {
				NextCursor string `json:"next_cursor"`
			} `json:"meta"`
		}
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatal(err)
		}
		for _, d := range body.Data {
			names, distances = append(names, d.Name), append(distances, d.DistanceKM)
		}
		if body.Meta.NextCursor == "" {
			break
		}
		path = "/v1/structures?source=" + source + "&near=47.3,5.0&radius_km=20&sort=distance&limit=1&cursor=" + body.Meta.NextCursor
	}
	// 0.01° of latitude is 1.112 km; D, 11.1 km away, is within 20 km.
	if got := strings.Join(names, ""); got != "ABCD" {
		t.Errorf("distance order %q, want ABCD", got)
	}
	if distances[0] != 0 || distances[1] != 1.112 || distances[3] != 11.12 {
		t.Errorf("distances %v", distances)
	}
}

func TestSearchParametersChecked(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ name, query, field string }{
		{"QTooLong", "q=" + strings.Repeat("é", 201), "q"},
		{"RadiusTooLarge", "near=47,5&radius_km=201", "radius_km"},
		{"RadiusWithoutNear", "radius_km=5", "radius_km"},
		{"LatOutOfRange", "near=91,5", "near"},
		{"NearNotANumber", "near=NaN,5", "near"},
		{"BBoxShape", "bbox=1,2,3", "bbox"},
		{"BBoxLatOrder", "bbox=4,48,5,47", "bbox"},
		{"RelevanceWithoutQ", "sort=relevance", "sort"},
		{"DistanceWithoutNear", "sort=distance", "sort"},
		{"UnknownFormat", "format=xml", "format"},
		{"DelimiterWithoutCSV", "delimiter=;", "delimiter"},
		{"ExportNotPaginated", "format=csv&limit=5", "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(req{method: "GET", path: "/v1/structures?" + tc.query})
			wantStatus(t, r, http.StatusBadRequest)
			wantFields(t, r, tc.field)
		})
	}
	r := e.do(req{method: "GET", path: "/v1/structures?q=" + url.QueryEscape(strings.Repeat("é", 200))})
	wantStatus(t, r, http.StatusOK)
}

func TestStructureFacets(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source, _ := searchFixture(t, e, editor)
	get := func(query, token string) map[string]any {
		r := e.do(req{method: "GET", path: "/v1/structures/facets?source=" + source + query, token: token})
		wantStatus(t, r, http.StatusOK)
		return r.json(t)
	}
	anon := get("", "")
	if got, _ := json.Marshal(anon["label"]); string(got) != `[{"count":2,"value":"aci"}]` {
		t.Errorf("anonymous label facet %s: drafts must not count", got)
	}
	if got, _ := json.Marshal(anon["sector"]); string(got) != `[{"count":2,"value":"agriculture"},{"count":2,"value":"employment_inclusion"}]` {
		t.Errorf("sector facet %s", got)
	}
	all := get("&status=draft,published", editor)
	if got, _ := json.Marshal(all["department_code"]); string(got) != `[{"count":3,"value":"21"}]` {
		t.Errorf("editor département facet %s", got)
	}
	if got, _ := json.Marshal(get("&q=economie", "")["legal_form"]); string(got) != `[{"count":1,"value":"association"}]` {
		t.Errorf("facets with q %s", got)
	}
}

func TestListsAnswerNotModified(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source, _ := searchFixture(t, e, editor)
	for _, path := range []string{"/v1/structures?source=" + source, "/v1/structures/facets?source=" + source, "/v1/activities?source=" + source} {
		r := e.do(req{method: "GET", path: path})
		wantStatus(t, r, http.StatusOK)
		etag := r.header.Get("ETag")
		if etag == "" || r.header.Get("Cache-Control") != "public, max-age=60" || !strings.Contains(strings.Join(r.header.Values("Vary"), ","), "Accept") {
			t.Errorf("%s: ETag %q, Cache-Control %q, Vary %q", path, etag, r.header.Get("Cache-Control"), r.header.Values("Vary"))
		}
		r = e.do(req{method: "GET", path: path, headers: map[string]string{"If-None-Match": etag}})
		wantStatus(t, r, http.StatusNotModified)
		r = e.do(req{method: "GET", path: path, token: editor, headers: map[string]string{"If-None-Match": etag}})
		if strings.HasPrefix(path, "/v1/structures?") {
			// The editor's view has the contacts: another body, another tag.
			wantStatus(t, r, http.StatusOK)
		}
		if r.header.Get("Cache-Control") != "private, no-store" {
			t.Errorf("%s: an editor's list is %q", path, r.header.Get("Cache-Control"))
		}
	}
	r := e.do(req{method: "GET", path: "/v1/structures?source=" + source})
	e.create(editor, champ(source))
	r2 := e.do(req{method: "GET", path: "/v1/structures?source=" + source, headers: map[string]string{"If-None-Match": r.header.Get("ETag")}})
	wantStatus(t, r2, http.StatusOK)
}

func TestExportCSV(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source, _ := searchFixture(t, e, editor)
	r := e.do(req{method: "GET", path: "/v1/structures?source=" + source + "&delimiter=;&bom=true", headers: map[string]string{"Accept": "text/csv"}})
	wantStatus(t, r, http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	body, ok := bytes.CutPrefix(r.body, []byte("\uFEFF"))
	if !ok {
		t.Fatal("no byte-order mark")
	}
	cr := csv.NewReader(bytes.NewReader(body))
	cr.Comma = ';'
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 { // header + 2 published
		t.Fatalf("%d lines, want 3:\n%s", len(rows), body)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	if _, ok := col["contacts"]; ok || bytes.Contains(body, []byte("Flore Geillon")) {
		t.Error("contacts exported")
	}
	formula, maison := rows[1], rows[2]
	for field, want := range map[string]string{"name": `'=HYPERLINK("http://x")`, "summary": `'-cmd|' /C calc'!A0`, "description": "'@SUM(1+1)", "lat": ""} {
		if got := formula[col[field]]; got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	for field, want := range map[string]string{"phone": "+33 3 80 50 90 47", "lat": "47.2875", "name": "Maison de l'Économie Sociale", "sectors": "agriculture|employment_inclusion"} {
		if got := maison[col[field]]; got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	// ?format= and the default delimiter.
	r = e.do(req{method: "GET", path: "/v1/structures?format=csv&source=" + source})
	wantStatus(t, r, http.StatusOK)
	if !bytes.HasPrefix(r.body, []byte("id,slug,name,")) {
		t.Errorf("CSV starts %q", r.body[:min(40, len(r.body))])
	}
}

func TestExportGeoJSONAndNDJSON(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source, _ := searchFixture(t, e, editor)
	r := e.do(req{method: "GET", path: "/v1/structures?source=" + source, headers: map[string]string{"Accept": "application/geo+json"}})
	wantStatus(t, r, http.StatusOK)
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Type     string `json:"type"`
			Geometry *struct {
				Type        string     `json:"type"`
				Coordinates [2]float64 `json:"coordinates"`
			} `json:"geometry"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(r.body, &fc); err != nil {
		t.Fatalf("%v\n%s", err, r.body)
	}
	if fc.Type != "FeatureCollection" || len(fc.Features) != 2 {
		t.Fatalf("got %s", r.body)
	}
	if fc.Features[0].Geometry != nil {
		t.Error("a structure without location must have geometry null")
	}
	if g := fc.Features[1].Geometry; g == nil || g.Coordinates != [2]float64{5.0631, 47.2875} {
		t.Errorf("geometry %+v, want [lon, lat]", g)
	}
	if _, ok := fc.Features[1].Properties["contacts"]; ok {
		t.Error("contacts in an anonymous export")
	}

	r = e.do(req{method: "GET", path: "/v1/structures?format=ndjson&status=published,draft&source=" + source, token: editor})
	wantStatus(t, r, http.StatusOK)
	sc := bufio.NewScanner(bytes.NewReader(r.body))
	n := 0
	for sc.Scan() {
		var s map[string]any
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		if _, ok := s["contacts"]; !ok {
			t.Error("an editor's export has the contacts")
		}
		n++
	}
	if n != 3 {
		t.Errorf("%d lines, want 3 (the draft included for an editor)", n)
	}
	r = e.do(req{method: "GET", path: "/v1/structures?source=none-" + randomSuffix(), headers: map[string]string{"Accept": "application/x-ndjson"}})
	wantStatus(t, r, http.StatusOK)
	if len(r.body) != 0 {
		t.Errorf("empty export %q", r.body)
	}
}

func TestExportsHaveTheirOwnBudget(t *testing.T) {
	e := newEnv(t, func(o *api.Options) { o.RateLimitExport = 2 })
	for i := range 3 {
		r := e.do(req{method: "GET", path: "/v1/structures/facets?source=none"})
		if i < 2 {
			wantStatus(t, r, http.StatusOK)
		} else {
			wantStatus(t, r, http.StatusTooManyRequests)
		}
	}
	wantStatus(t, e.do(req{method: "GET", path: "/v1/structures?format=csv&source=none"}), http.StatusTooManyRequests)
	wantStatus(t, e.do(req{method: "GET", path: "/v1/structures?source=none"}), http.StatusOK)
}

// TestSearchTooCommonToRankComesShuffled proves the relevance order of a
// text with more than 1,000 matches through the API: every match once, in
// the shuffle (the hash of the id, then the id), whose walk spreads the
// matches of a word that begins every name; and by name within one
// département.
func TestSearchTooCommonToRankComesShuffled(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := newSource("shuffle")
	word := "Zorglub" + strings.ToLower(randomSuffix()[:4])
	var items []any
	for i := range 1001 {
		items = append(items, bulkStructure(source, fmt.Sprint(i), fmt.Sprintf("%s %04d", word, i)))
		if len(items) == 1000 || i == 1000 {
			wantCounts(t, e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor,
				body: map[string]any{"items": items}}), len(items), 0, 0)
			items = nil
		}
	}
	walk := func(query string) []string {
		t.Helper()
		var ids []string
		path := "/v1/structures?source=" + source + "&" + query + "&limit=100"
		for range 20 {
			r := e.do(req{method: "GET", path: path})
			wantStatus(t, r, http.StatusOK)
			var body struct {
				Data []struct {
					ID string `json:"id"`
				} `json:"data"`
				Meta struct {
					NextCursor string `json:"next_cursor"`
				} `json:"meta"`
			}
			if err := json.Unmarshal(r.body, &body); err != nil {
				t.Fatal(err)
			}
			for _, d := range body.Data {
				ids = append(ids, d.ID)
			}
			if body.Meta.NextCursor == "" {
				return ids
			}
			path = "/v1/structures?source=" + source + "&" + query + "&limit=100&cursor=" + body.Meta.NextCursor
		}
		t.Fatal("the cursor never ends")
		return nil
	}
	order := func(by string) []string {
		t.Helper()
		conn, err := pgx.Connect(context.Background(), testDSN)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		rows, err := conn.Query(context.Background(), "SELECT id::text FROM structures WHERE source = $1 ORDER BY "+by, source)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return ids
	}
	for _, tc := range []struct{ name, query, by string }{
		{"Shuffled", "q=" + word, "uuid_hash(id), id"},
		{"ByNameInADepartement", "q=" + word + "&department_code=21", "name, id"},
		{"ByNameInARegion", "q=" + word + "&region_code=27", "name, id"},
		{"ByNameInALegalForm", "q=" + word + "&legal_form=association", "name, id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, want := walk(tc.query), order(tc.by)
			if len(got) != 1001 || strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("%d structures walked; in the order of %s: %v", len(got), tc.by, strings.Join(got, " ") == strings.Join(want, " "))
			}
		})
	}
}
