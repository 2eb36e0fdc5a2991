package api_test

import (
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"strings"
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
		"Audience": essdir.Audiences, "SupportKind": essdir.SupportKinds, "EventFormat": essdir.EventFormats,
		"TargetAudience": essdir.TargetAudiences, "CollectivityKind": essdir.CollectivityKinds,
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

// TestOperationsAreNamed: a client generated from the spec gets readable
// method names (every operation has a unique operationId) and every tag an
// operation uses is declared, with a description, in the global tags.
func TestOperationsAreNamed(t *testing.T) {
	raw, err := os.ReadFile("../docs/swagger.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tags []struct {
			Name        string `json:"name"`
			Description string `json:"description"`
		} `json:"tags"`
		Paths map[string]map[string]struct {
			OperationID string   `json:"operationId"`
			Tags        []string `json:"tags"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, tag := range doc.Tags {
		declared[tag.Name] = tag.Description != ""
	}
	ids := map[string]string{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			where := strings.ToUpper(method) + " " + path
			if op.OperationID == "" {
				t.Errorf("%s has no operationId", where)
			} else if other, dup := ids[op.OperationID]; dup {
				t.Errorf("%s and %s share the operationId %s", where, other, op.OperationID)
			}
			ids[op.OperationID] = where
			if len(op.Tags) == 0 {
				t.Errorf("%s has no tag", where)
			}
			for _, tag := range op.Tags {
				if !declared[tag] {
					t.Errorf("%s uses the tag %q, not declared (with a description) in the global tags", where, tag)
				}
			}
		}
	}
}
