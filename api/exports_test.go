package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/essdir/essdir/internal/essdir"
)

func init() {
	// NDJSON answers are validated line by line against the item schema.
	openapi3filter.RegisterBodyDecoder("application/x-ndjson",
		func(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
			var out []any
			sc := bufio.NewScanner(body)
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				var v any
				if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			return out, sc.Err()
		})
}

// dataInclusionSchema is the data·inclusion structure schema's rules for
// the fields essdir exports, as a JSON Schema: the required fields, the
// SIRET (14 digits), the postal and INSEE codes, E.164 phones, date_maj a
// date, and no other field (contacts never leave).
const dataInclusionSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["source", "id", "nom", "date_maj"],
  "additionalProperties": false,
  "properties": {
    "source": {"type": "string", "minLength": 1},
    "id": {"type": "string", "minLength": 1},
    "nom": {"type": "string", "minLength": 1, "maxLength": 150},
    "siret": {"type": ["string", "null"], "pattern": "^\\d{14}$"},
    "commune": {"type": ["string", "null"]},
    "code_postal": {"type": ["string", "null"], "pattern": "^\\d{5}$"},
    "code_insee": {"type": ["string", "null"], "pattern": "^(\\d{2}|2A|2B)\\d{3}$"},
    "adresse": {"type": ["string", "null"]},
    "longitude": {"type": ["number", "null"], "minimum": -180, "maximum": 180},
    "latitude": {"type": ["number", "null"], "minimum": -90, "maximum": 90},
    "telephone": {"type": ["string", "null"], "pattern": "^\\+\\d{6,15}$"},
    "courriel": {"type": ["string", "null"], "format": "email"},
    "site_web": {"type": ["string", "null"], "format": "uri"},
    "description": {"type": ["string", "null"]},
    "date_maj": {"type": "string", "format": "date"},
    "reseaux_porteurs": {"type": ["array", "null"], "items": {"type": "string", "pattern": "^[a-z0-9-]+$"}}
  }
}`

func compileDataInclusion(tb testing.TB) *jsonschema.Schema {
	tb.Helper()
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(dataInclusionSchema))
	if err != nil {
		tb.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("data-inclusion-structure.json", doc); err != nil {
		tb.Fatal(err)
	}
	s, err := c.Compile("data-inclusion-structure.json")
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestExportDataInclusion(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	name := "Export " + randomSuffix()
	wantStatus(t, e.do(req{method: http.MethodPost, path: "/v1/structures", token: editor, body: map[string]any{
		"name": name, "siret": "41829123300009", "phone": "03 80 50 90 47", "email": "contact@example.org",
		"website": "https://www.rtes.fr/", "networks": []string{"RTES", "PES 21"}, "summary": "Résumé",
		"address":  map[string]any{"street": "3 rue Jean XXIII", "postal_code": "21540", "city": "Sombernon"},
		"location": map[string]any{"lat": 47.308, "lon": 4.707},
		"contacts": []any{map[string]any{"name": "Tao Marcuz", "email": "tao@example.org"}}}}), http.StatusCreated)
	wantStatus(t, e.do(req{method: http.MethodPost, path: "/v1/structures", token: editor, body: map[string]any{
		"name": name + " brouillon", "status": "draft"}}), http.StatusCreated)
	schema := compileDataInclusion(t)

	check := func(t *testing.T, items []any) {
		t.Helper()
		found := 0
		for _, it := range items {
			if err := schema.Validate(it); err != nil {
				t.Fatalf("%v does not follow the data·inclusion schema: %v", it, err)
			}
			m := it.(map[string]any)
			if strings.HasPrefix(m["nom"].(string), name) {
				found++
				if m["telephone"] != "+33380509047" || m["siret"] != "41829123300009" || m["description"] != "Résumé" {
					t.Errorf("mapped as %v", m)
				}
			}
		}
		if found != 1 {
			t.Errorf("found %d of this test's structures, want the published one only", found)
		}
	}

	t.Run("JSONArray", func(t *testing.T) {
		r := e.do(req{method: http.MethodGet, path: "/v1/exports/data-inclusion/structures"})
		wantStatus(t, r, http.StatusOK)
		var items []any
		if err := json.Unmarshal(r.body, &items); err != nil {
			t.Fatalf("not a JSON array: %v", err)
		}
		check(t, items)
		if bytes.Contains(r.body, []byte("tao@example.org")) {
			t.Error("a contact was exported")
		}
	})
	t.Run("NDJSON", func(t *testing.T) {
		r := e.do(req{method: http.MethodGet, path: "/v1/exports/data-inclusion/structures?format=ndjson"})
		wantStatus(t, r, http.StatusOK)
		var items []any
		for line := range strings.Lines(string(r.body)) {
			var v any
			if err := json.Unmarshal([]byte(line), &v); err != nil {
				t.Fatalf("line %q: %v", line, err)
			}
			items = append(items, v)
		}
		check(t, items)
	})
	t.Run("ErrBadFormat", func(t *testing.T) {
		wantStatus(t, e.do(req{method: http.MethodGet, path: "/v1/exports/data-inclusion/structures?format=csv"}), http.StatusBadRequest)
	})
}
