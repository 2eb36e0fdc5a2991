package essdir_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/essdir/essdir/internal/essdir"
)

// stored is a structure as the store returns it: prepared, with a header.
func stored(t *testing.T) *essdir.Structure {
	t.Helper()
	s := &essdir.Structure{
		Name: "Le Champ des Sourires", SIRET: "73282932000074", Status: essdir.StatusDraft,
		Address: essdir.Address{City: "Longvic", PostalCode: "21600", INSEECode: "21355"},
	}
	if _, err := essdir.Prepare(ctx, nil, nil, s, essdir.Echo{}); err != nil {
		t.Fatal(err)
	}
	s.ID, s.Slug = uuid.New(), "le-champ-des-sourires"
	s.Touch(time.Date(2024, 11, 28, 14, 0, 0, 0, time.UTC))
	return s
}

// echoOf is what a client that GOT s sends back.
func echoOf(s *essdir.Structure) essdir.Echo {
	id, c, u, v := s.ID, s.CreatedAt, s.UpdatedAt, s.Version
	return essdir.Echo{ID: &id, CreatedAt: &c, UpdatedAt: &u, Version: &v}
}

func TestPrepare(t *testing.T) {
	cases := []struct {
		name    string
		edit    func(next *essdir.Structure, echo *essdir.Echo)
		code    string // "" when the write is accepted
		changed bool
		check   func(t *testing.T, next *essdir.Structure)
	}{
		{name: "SameRecordChangesNothing", edit: func(*essdir.Structure, *essdir.Echo) {}},
		{name: "MoveRederivesTerritory", changed: true,
			edit: func(n *essdir.Structure, _ *essdir.Echo) {
				// The GET body's department_code and region_code are sent back.
				n.Address = essdir.Address{City: "Paris", PostalCode: "75001", INSEECode: "75056"}
			},
			check: func(t *testing.T, n *essdir.Structure) {
				if n.DepartmentCode != "75" || n.RegionCode != "11" {
					t.Errorf("territory = %s/%s, want 75/11", n.DepartmentCode, n.RegionCode)
				}
			}},
		{name: "NewSIRETRederivesSIREN", changed: true,
			edit: func(n *essdir.Structure, _ *essdir.Echo) { n.SIRET = "35600000000048" },
			check: func(t *testing.T, n *essdir.Structure) {
				if n.SIREN != "356000000" {
					t.Errorf("siren = %s", n.SIREN)
				}
			}},
		{name: "ErrDerivedMatchesNeitherStoredNorNew", code: essdir.EINVALID,
			edit: func(n *essdir.Structure, _ *essdir.Echo) {
				n.Address = essdir.Address{PostalCode: "75001", INSEECode: "75056"}
				n.DepartmentCode = "13"
			}},
		{name: "ErrSIRENMatchesNeitherStoredNorNew", code: essdir.EINVALID,
			edit: func(n *essdir.Structure, _ *essdir.Echo) { n.SIREN = "552100554" }},
		{name: "StatusLeftOutIsKept",
			edit: func(n *essdir.Structure, _ *essdir.Echo) { n.Status = "" },
			check: func(t *testing.T, n *essdir.Structure) {
				if n.Status != essdir.StatusDraft {
					t.Errorf("status = %s, want draft kept", n.Status)
				}
			}},
		{name: "StatusNamedChanges", changed: true,
			edit: func(n *essdir.Structure, _ *essdir.Echo) { n.Status = essdir.StatusPublished }},
		{name: "SlugLeftOutIsKept",
			edit: func(n *essdir.Structure, _ *essdir.Echo) { n.Slug = ""; n.Name = "Le Champ des Sourires" }},
		{name: "RenameKeepsSlug", changed: true,
			edit: func(n *essdir.Structure, _ *essdir.Echo) { n.Name = "Champ des Sourires"; n.Slug = "" },
			check: func(t *testing.T, n *essdir.Structure) {
				if n.Slug != "le-champ-des-sourires" {
					t.Errorf("slug = %s", n.Slug)
				}
			}},
		{name: "ErrSlugChanged", code: essdir.EINVALID,
			edit: func(n *essdir.Structure, _ *essdir.Echo) { n.Slug = "autre" }},
		{name: "ErrBodyIDDiffers", code: essdir.EMALFORMED,
			edit: func(_ *essdir.Structure, e *essdir.Echo) { id := uuid.New(); e.ID = &id }},
		{name: "ErrStaleVersion", code: essdir.ECONFLICT,
			edit: func(_ *essdir.Structure, e *essdir.Echo) { v := 0; e.Version = &v }},
		{name: "ErrCreatedAtChanged", code: essdir.EINVALID,
			edit: func(_ *essdir.Structure, e *essdir.Echo) { c := time.Now(); e.CreatedAt = &c }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cur := stored(t)
			next := *cur
			next.Record = essdir.Record{}
			echo := echoOf(cur)
			tc.edit(&next, &echo)
			changed, err := essdir.Prepare(ctx, nil, cur, &next, echo)
			if got := codeOf(err); got != tc.code {
				t.Fatalf("code = %q, want %q (%v)", got, tc.code, err)
			}
			if err != nil {
				return
			}
			if changed != tc.changed {
				t.Errorf("changed = %v, want %v", changed, tc.changed)
			}
			if next.Version != cur.Version || next.ID != cur.ID {
				t.Errorf("Prepare moved the header: %+v", next.Record)
			}
			if tc.check != nil {
				tc.check(t, &next)
			}
		})
	}
}

func TestPrepareCreate(t *testing.T) {
	s := &essdir.Structure{Name: "La Boucle"}
	if _, err := essdir.Prepare(ctx, nil, nil, s, essdir.Echo{}); err != nil || s.Status != essdir.StatusPublished {
		t.Errorf("create: status %q, err %v", s.Status, err)
	}
	v := 1
	_, err := essdir.Prepare(ctx, nil, nil, &essdir.Structure{Name: "x"}, essdir.Echo{Version: &v})
	if codeOf(err) != essdir.EINVALID {
		t.Errorf("a version on create: %v", err)
	}
}

func TestTextRules(t *testing.T) {
	cases := map[string]string{
		"ZeroWidthOnly":   "\u200b\u200b\u200b",
		"BOMAndSpaces":    "\ufeff \u00a0",
		"BidiOverride":    "Recyclerie \u202eeirelcyceR",
		"BidiIsolate":     "a\u2066b",
		"ReplacementChar": "Octets \ufffd invalides",
		"InvalidUTF8":     "Octets \xff invalides",
		"Control":         "a\x07b",
	}
	for name, text := range cases {
		t.Run("Err"+name, func(t *testing.T) {
			s := &essdir.Structure{Name: text}
			_, err := essdir.Prepare(ctx, nil, nil, s, essdir.Echo{})
			if codeOf(err) != essdir.EINVALID {
				t.Fatalf("name %q accepted", text)
			}
		})
	}
	for _, ok := range []string{"L'Écrit\u2019ure", "Ĳssel – 🌻", "Tiers-lieu\tLa\nFabrique", "עברית and العربية"} {
		s := &essdir.Structure{Name: ok}
		if _, err := essdir.Prepare(ctx, nil, nil, s, essdir.Echo{}); err != nil {
			t.Errorf("name %q refused: %v", ok, err)
		}
	}
}

func TestSlugifyStaysWithinLength(t *testing.T) {
	long := ""
	for range 30 {
		long += "solidaire "
	}
	if s := essdir.Slugify(long); len(s) > essdir.MaxSlugLen || s[len(s)-1] == '-' {
		t.Errorf("slug %q", s)
	}
}

var ctx = context.Background()

func codeOf(err error) string {
	if err == nil {
		return ""
	}
	return essdir.ErrorCode(err)
}
