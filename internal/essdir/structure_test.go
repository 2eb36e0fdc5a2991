package essdir_test

import (
	"context"
	"strings"
	"testing"

	"github.com/essdir/essdir/internal/essdir"
)

func TestSlugify(t *testing.T) {
	tests := map[string]string{
		"Le Champ des Sourires":              "le-champ-des-sourires",
		"Le Thé du Phœnix":                   "le-the-du-phoenix",
		"Espace Co-Hop / CESAM":              "espace-co-hop-cesam",
		"L'Association Régionale (ARAR BFC)": "l-association-regionale-arar-bfc",
		"!!!":                                "structure",
		strings.Repeat("a", 100):             strings.Repeat("a", 80),
	}
	for in, want := range tests {
		if got := essdir.Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCleanTextNFC(t *testing.T) {
	if got := essdir.CleanText("  E\u0301conomie  "); got != "\u00c9conomie" {
		t.Errorf("CleanText = %q, want NFC and trimmed", got)
	}
	if essdir.Fold("Économie Solidaire") != "economie solidaire" {
		t.Error("Fold does not remove accents")
	}
}

// Fold takes a shortcut for ASCII text and a pooled transform otherwise:
// both give the folded form, one call after another.
func TestFoldASCIIAndNot(t *testing.T) {
	for in, want := range map[string]string{
		"Sombernon-21":         "sombernon-21",
		"E\u0301CONOMIE":       "economie",
		"Cœur de Bœuf":         "coeur de boeuf",
		"Straße":               "strasse",
		"L'Île-d'Yeu":          "l'ile-d'yeu",
		"":                     "",
		"Thé du Phœnix Ænéide": "the du phoenix aeneide",
	} {
		for range 2 { // the second call reuses a pooled chain
			if got := essdir.Fold(in); got != want {
				t.Errorf("Fold(%q) = %q, want %q", in, got, want)
			}
		}
	}
}

func TestNormalize(t *testing.T) {
	s := essdir.Structure{
		Name:    " La Boucle ",
		SIRET:   "732 829 320 00074",
		RNA:     "w212001234",
		Sectors: []essdir.Sector{"reuse", " reuse", ""},
		Address: essdir.Address{INSEECode: "2a004"},
		Email:   "Contact@Example.ORG",
	}
	var v essdir.Violations
	if err := s.Derive(context.Background(), nil, nil, &v); err != nil {
		t.Fatal(err)
	}
	if v.Err() != nil {
		t.Fatal(v.Err())
	}
	if s.Name != "La Boucle" || s.SIRET != "73282932000074" || s.SIREN != "732829320" || s.RNA != "W212001234" ||
		len(s.Sectors) != 1 || s.Address.INSEECode != "2A004" || s.DepartmentCode != "2A" || s.RegionCode != "94" ||
		s.Email != "contact@example.org" || s.Status != essdir.StatusPublished {
		t.Errorf("Derive = %+v", s)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("Validate = %v", err)
	}
}

func TestValidateReportsEveryField(t *testing.T) {
	s := essdir.Structure{
		SIRET: "1", Email: "x", LegalForm: "sarl", Sectors: []essdir.Sector{"cooking"},
		Location: &essdir.Location{Lat: 100, Lon: 0}, Status: "gone",
		Contacts: []essdir.Contact{{Email: "x"}},
	}
	err := s.Validate()
	if essdir.ErrorCode(err) != essdir.EINVALID {
		t.Fatalf("Validate = %v", err)
	}
	var fields []string
	for _, f := range err.(*essdir.Error).Fields {
		fields = append(fields, f.Field)
	}
	want := "name,legal_form,siret,sectors[0],location.lat,email,contacts[0].name,contacts[0].email,status"
	if got := strings.Join(fields, ","); got != want {
		t.Errorf("fields = %s\nwant     %s", got, want)
	}
}

func TestVocabularies(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range essdir.Vocabularies {
		if seen[v.Name] {
			t.Errorf("vocabulary %s twice", v.Name)
		}
		seen[v.Name] = true
		values := map[string]bool{}
		for _, term := range v.Terms {
			if term.Value == "" || term.Label == "" || term.Description == "" || values[term.Value] {
				t.Errorf("%s: bad or repeated term %+v", v.Name, term)
			}
			values[term.Value] = true
			if !v.Has(term.Value) {
				t.Errorf("%s: Has(%q) is false", v.Name, term.Value)
			}
		}
	}
	for _, name := range []string{"legal_forms", "sectors", "labels", "audiences", "support_kinds", "event_formats", "target_audiences", "collectivity_kinds"} {
		if !seen[name] {
			t.Errorf("vocabulary %s missing", name)
		}
	}
	if !essdir.Labels.Has("aci") || !essdir.Labels.Has("esus") || essdir.Labels.Has("bio") {
		t.Error("labels vocabulary is wrong")
	}
}

// TestFoldConcurrent: Fold is called from concurrent requests (go test -race).
func TestFoldConcurrent(t *testing.T) {
	done := make(chan string, 8)
	for range 8 {
		go func() { done <- essdir.Fold("Économie Solidaire Pôle") }()
	}
	for range 8 {
		if got := <-done; got != "economie solidaire pole" {
			t.Errorf("Fold = %q", got)
		}
	}
}
