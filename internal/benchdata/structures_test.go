package benchdata_test

import (
	"reflect"
	"testing"

	"github.com/essdir/essdir/internal/benchdata"
	"github.com/essdir/essdir/internal/essdir"
)

// The generated structures are valid as the server judges them without a
// database, every one differs (SIRET, external id), the same seed gives the
// same rows, and a revision changes them.
func TestStructuresAreValidDistinctAndReproducible(t *testing.T) {
	g, err := benchdata.NewStructures(3)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := benchdata.NewStructures(3)
	sirets, communes := map[string]bool{}, map[string]bool{}
	for i := range 2000 {
		s := g.Structure("bench", i, 0)
		if !reflect.DeepEqual(s, again.Structure("bench", i, 0)) {
			t.Fatalf("structure %d differs between two generators of one seed", i)
		}
		if s.SIRET != "" {
			if sirets[s.SIRET] || !essdir.ValidSIRET(s.SIRET) || !essdir.ValidSIREN(s.SIRET[:9]) {
				t.Fatalf("structure %d: SIRET %s repeated or invalid", i, s.SIRET)
			}
			sirets[s.SIRET] = true
		}
		communes[s.Address.PostalCode+" "+s.Address.City] = true
		var v essdir.Violations
		if err := s.Derive(t.Context(), nil, nil, &v); err != nil || v.Err() != nil {
			t.Fatalf("structure %d: %v %v", i, err, v.Err())
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("structure %d is invalid: %v", i, err)
		}
		if g.Structure("bench", i, 1).Summary == s.Summary {
			t.Fatalf("revision 1 of structure %d has the same summary", i)
		}
		// Without the geography, only an INSEE code gives the département
		// for sure (a postal code may cross a border).
		if dept, _ := g.Territory(i); s.Address.INSEECode != "" && dept != s.DepartmentCode {
			t.Fatalf("structure %d: Territory %s, derived %s", i, dept, s.DepartmentCode)
		}
	}
	if len(sirets) < 1000 || len(communes) < 1800 {
		t.Errorf("%d SIRETs, %d communes in 2,000 structures: not spread enough", len(sirets), len(communes))
	}
}
