package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/essdir/essdir/internal/essdir"
)

type vocabularyTerm struct {
	Value, Label, Description string
}

func TestListVocabularies(t *testing.T) {
	e := newEnv(t)
	r := e.do(req{method: "GET", path: "/v1/vocabularies"})
	wantStatus(t, r, http.StatusOK)
	var out struct {
		Data []struct {
			Name  string
			Terms []vocabularyTerm
		}
	}
	if err := json.Unmarshal(r.body, &out); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, v := range out.Data {
		names = append(names, v.Name)
		if len(v.Terms) == 0 {
			t.Errorf("%s has no terms", v.Name)
		}
	}
	want := []string{"legal_forms", "sectors", "labels", "audiences", "support_kinds", "event_formats", "target_audiences", "collectivity_kinds"}
	if len(names) != len(want) {
		t.Fatalf("vocabularies %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("vocabularies %v, want %v", names, want)
		}
	}
	if cc := r.header.Get("Cache-Control"); cc != "public, max-age=3600" {
		t.Errorf("Cache-Control = %q", cc)
	}
	etag := r.header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	r = e.do(req{method: "GET", path: "/v1/vocabularies", headers: map[string]string{"If-None-Match": etag}})
	wantStatus(t, r, http.StatusNotModified)
}

func TestGetVocabulary(t *testing.T) {
	e := newEnv(t)
	t.Run("LegalForms", func(t *testing.T) {
		r := e.do(req{method: "GET", path: "/v1/vocabularies/legal_forms"})
		wantStatus(t, r, http.StatusOK)
		var terms []vocabularyTerm
		if err := json.Unmarshal(r.body, &terms); err != nil {
			t.Fatal(err)
		}
		if len(terms) != len(essdir.LegalForms.Terms) || terms[0] != (vocabularyTerm{"association", "Association",
			"Association loi 1901 (ou de droit local en Alsace-Moselle)."}) {
			t.Fatalf("legal_forms: %+v", terms)
		}
		if r.header.Get("Cache-Control") != "public, max-age=3600" || r.header.Get("ETag") == "" {
			t.Errorf("headers: %v", r.header)
		}
	})
	t.Run("EveryVocabularyServed", func(t *testing.T) {
		for _, v := range essdir.Vocabularies {
			r := e.do(req{method: "GET", path: "/v1/vocabularies/" + v.Name})
			wantStatus(t, r, http.StatusOK)
		}
	})
	t.Run("NotModified", func(t *testing.T) {
		r := e.do(req{method: "GET", path: "/v1/vocabularies/labels"})
		wantStatus(t, r, http.StatusOK)
		r = e.do(req{method: "GET", path: "/v1/vocabularies/labels", headers: map[string]string{"If-None-Match": r.header.Get("ETag")}})
		wantStatus(t, r, http.StatusNotModified)
	})
	t.Run("ErrUnknownName", func(t *testing.T) {
		r := e.do(req{method: "GET", path: "/v1/vocabularies/colours"})
		wantStatus(t, r, http.StatusNotFound)
	})
	t.Run("ErrUnknownParameter", func(t *testing.T) {
		r := e.do(req{method: "GET", path: "/v1/vocabularies/sectors?lang=en"})
		wantStatus(t, r, http.StatusBadRequest)
	})
}
