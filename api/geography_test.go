package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

type communeHit struct {
	INSEECode      string   `json:"insee_code"`
	Name           string   `json:"name"`
	PostalCodes    []string `json:"postal_codes"`
	DepartmentCode string   `json:"department_code"`
	RegionCode     string   `json:"region_code"`
	Population     int      `json:"population"`
}

func (e *env) searchCommunes(query string) []communeHit {
	e.t.Helper()
	r := e.do(req{method: "GET", path: "/v1/geography/communes?" + query})
	wantStatus(e.t, r, http.StatusOK)
	var out struct{ Data []communeHit }
	if err := json.Unmarshal(r.body, &out); err != nil {
		e.t.Fatal(err)
	}
	return out.Data
}

func TestSearchCommunesFindsNames(t *testing.T) {
	e := newEnv(t)
	t.Run("AccentInsensitive", func(t *testing.T) {
		hits := e.searchCommunes("q=epinal")
		if len(hits) == 0 || hits[0].INSEECode != "88160" || hits[0].Name != "Épinal" ||
			!slices.Equal(hits[0].PostalCodes, []string{"88000"}) || hits[0].DepartmentCode != "88" || hits[0].RegionCode != "44" {
			t.Fatalf("epinal: %+v", hits)
		}
	})
	t.Run("Dijon", func(t *testing.T) {
		hits := e.searchCommunes("q=Dijon")
		if len(hits) == 0 || hits[0].INSEECode != "21231" || hits[0].DepartmentCode != "21" || hits[0].RegionCode != "27" ||
			!slices.Contains(hits[0].PostalCodes, "21000") || hits[0].Population < 100000 {
			t.Fatalf("Dijon: %+v", hits)
		}
	})
	t.Run("SaintAbbreviated", func(t *testing.T) {
		if hits := e.searchCommunes("q=" + url.QueryEscape("st-étienne")); len(hits) == 0 || hits[0].INSEECode != "42218" {
			t.Fatalf("st-étienne: %+v", hits)
		}
	})
	t.Run("PrefixBeforeWord", func(t *testing.T) {
		hits := e.searchCommunes("q=rouvray&limit=100")
		word := slices.IndexFunc(hits, func(h communeHit) bool { return h.INSEECode == "76575" }) // Saint-Étienne-du-Rouvray
		if word < 1 {
			t.Fatalf("rouvray: Saint-Étienne-du-Rouvray at %d: %+v", word, hits)
		}
		for _, h := range hits[:word] {
			if !strings.HasPrefix(h.Name, "Rouvray") {
				t.Errorf("%s comes before a word match but does not start with Rouvray", h.Name)
			}
		}
	})
	t.Run("DefaultLimitTen", func(t *testing.T) {
		if hits := e.searchCommunes("q=saint"); len(hits) != 10 {
			t.Fatalf("saint: %d hits", len(hits))
		}
	})
	t.Run("LimitBounds", func(t *testing.T) {
		if hits := e.searchCommunes("q=saint&limit=1"); len(hits) != 1 {
			t.Fatalf("limit=1: %d hits", len(hits))
		}
		if hits := e.searchCommunes("q=saint&limit=100"); len(hits) != 100 {
			t.Fatalf("limit=100: %d hits", len(hits))
		}
	})
	t.Run("NoMatchIsEmpty", func(t *testing.T) {
		if hits := e.searchCommunes("q=zzzzqx"); hits == nil || len(hits) != 0 {
			t.Fatalf("zzzzqx: %+v", hits)
		}
	})
	t.Run("LongestQAccepted", func(t *testing.T) {
		e.searchCommunes("q=" + strings.Repeat("é", 200))
	})
}

func TestSearchCommunesRejects(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ name, query, field string }{
		{"ErrQMissing", "", "q"},
		{"ErrQEmpty", "q=", "q"},
		{"ErrQBlank", "q=%20%20", "q"},
		{"ErrQTooLong", "q=" + strings.Repeat("a", 201), "q"},
		{"ErrQTwice", "q=dijon&q=paris", "q"},
		{"ErrLimitZero", "q=dijon&limit=0", "limit"},
		{"ErrLimitTooLarge", "q=dijon&limit=101", "limit"},
		{"ErrLimitNotANumber", "q=dijon&limit=ten", "limit"},
		{"ErrUnknownParameter", "q=dijon&lmit=5", "lmit"},
		{"ErrControlCharacter", "q=dij%00on", "q"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(req{method: "GET", path: "/v1/geography/communes?" + tc.query})
			wantStatus(t, r, http.StatusBadRequest)
			if !strings.Contains(string(r.body), `"field":"`+tc.field+`"`) {
				t.Fatalf("problem does not name %q: %s", tc.field, r.body)
			}
		})
	}
}
