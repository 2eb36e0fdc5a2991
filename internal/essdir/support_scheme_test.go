package essdir_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/essdir/essdir/internal/essdir"
)

// prepare applies the write rule without a database (geo nil: only the
// form of territorial codes is checked) and returns the fields it blamed.
func prepare[T any, P essdir.Writable[T]](rec P) []string {
	_, err := essdir.Prepare[T, P](context.Background(), nil, nil, rec, essdir.Echo{})
	var out []string
	if e, ok := err.(*essdir.Error); ok {
		for _, f := range e.Fields {
			out = append(out, f.Field)
		}
	}
	return out
}

func TestSupportSchemeRules(t *testing.T) {
	steps := func(positions ...int) []essdir.SchemeStep {
		out := make([]essdir.SchemeStep, len(positions))
		for i, p := range positions {
			out[i] = essdir.SchemeStep{Position: p, Title: string(rune('a' + i))}
		}
		return out
	}
	for name, tc := range map[string]struct {
		edit   func(*essdir.SupportScheme)
		fields []string
	}{
		"StepsNumberedInOrder":     {func(s *essdir.SupportScheme) { s.Steps = steps(0, 0, 0) }, nil},
		"StepsByPosition":          {func(s *essdir.SupportScheme) { s.Steps = steps(3, 1, 2) }, nil},
		"ErrStepPositionTwice":     {func(s *essdir.SupportScheme) { s.Steps = steps(1, 1) }, []string{"steps[1].position"}},
		"ErrStepPositionMissing":   {func(s *essdir.SupportScheme) { s.Steps = steps(1, 0) }, []string{"steps[1].position"}},
		"ErrDepartmentForm":        {func(s *essdir.SupportScheme) { s.Territory.DepartmentCodes = []string{"21", "96"} }, []string{"territory.department_codes[1]"}},
		"ErrRegionForm":            {func(s *essdir.SupportScheme) { s.Territory.RegionCodes = []string{"99"} }, []string{"territory.region_codes[0]"}},
		"ErrFunderNeither":         {func(s *essdir.SupportScheme) { s.Funders = []essdir.Funder{{}} }, []string{"funders[0]"}},
		"ErrTargetAudience":        {func(s *essdir.SupportScheme) { s.TargetAudiences = []essdir.TargetAudience{"martians"} }, []string{"target_audiences[0]"}},
		"DuplicateAudiencesMerged": {func(s *essdir.SupportScheme) { s.TargetAudiences = []essdir.TargetAudience{"citizens", " citizens"} }, nil},
	} {
		t.Run(name, func(t *testing.T) {
			s := &essdir.SupportScheme{Name: " DLA ", Territory: essdir.SchemeTerritory{DepartmentCodes: []string{"2a"}}}
			tc.edit(s)
			got := prepare[essdir.SupportScheme](s)
			if len(got) != len(tc.fields) || (len(got) > 0 && got[0] != tc.fields[0]) {
				t.Fatalf("fields %v, want %v", got, tc.fields)
			}
			if tc.fields != nil {
				return
			}
			for i, st := range s.Steps {
				if st.Position != i+1 {
					t.Errorf("step %d has position %d", i, st.Position)
				}
			}
			if name == "StepsByPosition" && (s.Steps[0].Title != "b" || s.Steps[2].Title != "a") {
				t.Errorf("steps not ordered by position: %+v", s.Steps)
			}
			if s.Name != "DLA" || len(s.TargetAudiences) > 1 {
				t.Errorf("not normalised: %+v", s)
			}
		})
	}
}

func TestCollectivityLinkRules(t *testing.T) {
	id := uuid.Must(uuid.NewV7())
	for name, tc := range map[string]struct {
		edit   func(*essdir.CollectivityLink)
		fields []string
		amount string
	}{
		"AmountCanonical":     {func(l *essdir.CollectivityLink) { l.AmountEUR = " 0015000.5 " }, nil, "15000.50"},
		"OneDayPeriod":        {func(l *essdir.CollectivityLink) { l.StartDate, l.EndDate = "2024-11-28", "2024-11-28" }, nil, ""},
		"ErrEndBeforeStart":   {func(l *essdir.CollectivityLink) { l.StartDate, l.EndDate = "2024-11-28", "2024-11-27" }, []string{"end_date"}, ""},
		"ErrAmountFloatForm":  {func(l *essdir.CollectivityLink) { l.AmountEUR = "1e4" }, []string{"amount_eur"}, ""},
		"ErrAmountNegative":   {func(l *essdir.CollectivityLink) { l.AmountEUR = "-5" }, []string{"amount_eur"}, ""},
		"ErrSupportKind":      {func(l *essdir.CollectivityLink) { l.SupportKinds = []essdir.SupportKind{"money"} }, []string{"support_kinds[0]"}, ""},
		"ErrCollectivityNone": {func(l *essdir.CollectivityLink) { l.CollectivityID = uuid.Nil }, []string{"collectivity_id"}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			l := &essdir.CollectivityLink{StructureID: id, CollectivityID: id}
			tc.edit(l)
			got := prepare[essdir.CollectivityLink](l)
			if len(got) != len(tc.fields) || (len(got) > 0 && got[0] != tc.fields[0]) {
				t.Fatalf("fields %v, want %v", got, tc.fields)
			}
			if tc.amount != "" && l.AmountEUR != tc.amount {
				t.Errorf("amount_eur = %q, want %q", l.AmountEUR, tc.amount)
			}
		})
	}
}
