package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/essdir/essdir/internal/essdir"
)

// TestValidatorCatchesMismatches proves the response check of every HTTP
// test is not a no-op: it refuses bodies, statuses and content types the
// spec does not describe.
func TestValidatorCatchesMismatches(t *testing.T) {
	spec(t)
	get := func(path string) *http.Request {
		r, _ := http.NewRequest("GET", "http://localhost"+path, nil)
		return r
	}
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	problemHeader := http.Header{"Content-Type": {"application/problem+json"}}
	bad := []struct {
		name string
		req  *http.Request
		resp resp
	}{
		{"WrongFieldType", get("/v1/structures/01930000-0000-7000-8000-000000000000"),
			resp{200, jsonHeader, []byte(`{"id": 5, "name": "x"}`)}},
		{"MissingRequiredField", get("/v1/structures/01930000-0000-7000-8000-000000000000"),
			resp{200, jsonHeader, []byte(`{"name": "x"}`)}},
		{"UnknownEnumValue", get("/healthz"), resp{200, jsonHeader, []byte(`{"status": 1}`)}},
		{"UndocumentedStatus", get("/healthz"), resp{418, problemHeader,
			[]byte(`{"type":"about:blank","title":"x","status":418}`)}},
		{"ErrorNotProblem", get("/v1/nowhere"), resp{404, jsonHeader, []byte(`{"error":"x"}`)}},
		{"LeakedSQL", get("/v1/nowhere"), resp{404, problemHeader,
			[]byte(`{"type":"about:blank","title":"x","status":404,"detail":"SQLSTATE 42P01"}`)}},
		{"UndocumentedSuccess", get("/v1/nowhere"), resp{200, jsonHeader, []byte(`{}`)}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if err := checkResponse(tt.req, &tt.resp); err == nil {
				t.Error("the validator accepted a response the spec does not describe")
			}
		})
	}
}

// TestVocabulariesAreSpecEnums checks that the enums in the spec are the
// domain's vocabularies, defined once.
func TestVocabulariesAreSpecEnums(t *testing.T) {
	doc, _ := spec(t)
	for name, vocab := range map[string]*essdir.Vocabulary{
		"LegalForm": essdir.LegalForms, "Sector": essdir.Sectors, "Label": essdir.Labels,
	} {
		schema := doc.Components.Schemas[name]
		if schema == nil {
			t.Fatalf("no %s schema in the spec", name)
		}
		var got, want []string
		for _, v := range schema.Value.Enum {
			got = append(got, v.(string))
		}
		for _, term := range vocab.Terms {
			want = append(want, term.Value)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: spec enum %v, vocabulary %v", name, got, want)
		}
	}
}

func TestSwaggerServed(t *testing.T) {
	e := newEnv(t)
	r := e.do(req{method: "GET", path: "/swagger/doc.json"})
	wantStatus(t, r, http.StatusOK)
	var doc map[string]any
	if err := json.Unmarshal(r.body, &doc); err != nil || doc["swagger"] != "2.0" {
		t.Fatalf("doc.json is not the spec: %.200s", r.body)
	}
	wantStatus(t, e.do(req{method: "GET", path: "/swagger/index.html"}), http.StatusOK)
}
