package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/essdir/essdir/internal/essdir"
)

// The test database is cloned from a template that store.Migrate prepared,
// so it holds the embedded geography without any other step.

func TestGeographyLookups(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()

	t.Run("CommuneDijon", func(t *testing.T) {
		c, err := st.Commune(ctx, "21231")
		if err != nil {
			t.Fatal(err)
		}
		if c.Name != "Dijon" || c.DepartmentCode != "21" || c.RegionCode != "27" || c.Kind != essdir.CommuneKindCommune ||
			!slices.Contains(c.PostalCodes, "21000") || c.Population < 100000 {
			t.Errorf("Dijon = %+v", c)
		}
	})
	t.Run("ArrondissementHasParent", func(t *testing.T) {
		c, err := st.Commune(ctx, "75101")
		if err != nil {
			t.Fatal(err)
		}
		if c.Kind != essdir.CommuneKindArrondissement || c.ParentCode != "75056" || !slices.Equal(c.PostalCodes, []string{"75001"}) {
			t.Errorf("Paris 1er = %+v", c)
		}
	})
	t.Run("CommuneListsFormerCodes", func(t *testing.T) {
		c, err := st.Commune(ctx, "88160")
		if err != nil {
			t.Fatal(err)
		}
		if c.Name != "Épinal" || !slices.Contains(c.FormerCodes, "88422") {
			t.Errorf("Épinal = %+v", c)
		}
	})
	t.Run("ErrCommuneNotFound", func(t *testing.T) {
		_, err := st.Commune(ctx, "99999")
		wantCode(t, err, essdir.ENOTFOUND)
	})
	t.Run("FormerCommuneNamesSuccessor", func(t *testing.T) {
		succ, ok, err := st.FormerCommune(ctx, "20004")
		if err != nil || !ok || succ != "2A004" {
			t.Errorf("FormerCommune(20004) = %q, %v, %v", succ, ok, err)
		}
		if _, ok, err := st.FormerCommune(ctx, "21231"); ok || err != nil {
			t.Errorf("a current commune is not a former one: %v, %v", ok, err)
		}
	})
	t.Run("CommunesByPostalCodeCrossesBorders", func(t *testing.T) {
		cs, err := st.CommunesByPostalCode(ctx, "05110")
		if err != nil {
			t.Fatal(err)
		}
		depts := map[string]bool{}
		for _, c := range cs {
			depts[c.DepartmentCode] = true
		}
		if !depts["04"] || !depts["05"] {
			t.Errorf("05110 serves %v", cs)
		}
		if cs, err := st.CommunesByPostalCode(ctx, "99999"); err != nil || len(cs) != 0 {
			t.Errorf("99999 serves %v, %v", cs, err)
		}
	})
	t.Run("DepartmentAndRegion", func(t *testing.T) {
		d, err := st.Department(ctx, "2A")
		if err != nil || d.Name != "Corse-du-Sud" || d.RegionCode != "94" {
			t.Errorf("Department(2A) = %+v, %v", d, err)
		}
		r, err := st.Region(ctx, "27")
		if err != nil || r.Name != "Bourgogne-Franche-Comté" {
			t.Errorf("Region(27) = %+v, %v", r, err)
		}
		_, err = st.Department(ctx, "20")
		wantCode(t, err, essdir.ENOTFOUND)
		_, err = st.Region(ctx, "99")
		wantCode(t, err, essdir.ENOTFOUND)
	})
	t.Run("EPCIBySIREN", func(t *testing.T) {
		e, err := st.EPCI(ctx, "242100410")
		if err != nil || e.Name != "Dijon Métropole" || e.Kind != "METRO" || !slices.Contains(e.Members, "21231") {
			t.Errorf("EPCI(242100410) = %+v, %v", e, err)
		}
		_, err = st.EPCI(ctx, "212102313") // Dijon's own SIREN: a commune, not an EPCI
		wantCode(t, err, essdir.ENOTFOUND)
	})
}

func TestSearchCommunes(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	first := func(t *testing.T, q string) essdir.Commune {
		t.Helper()
		cs, err := st.SearchCommunes(ctx, q, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 0 {
			t.Fatalf("%q finds nothing", q)
		}
		return cs[0]
	}
	for _, tc := range []struct{ name, q, want string }{
		{"AccentInsensitive", "epinal", "88160"},
		{"CaseInsensitive", "DIJON", "21231"},
		{"PrefixByPopulation", "dij", "21231"},
		{"SaintSpelledOut", "saint etienne", "42218"},
		{"SaintAbbreviated", "st-etienne", "42218"},
		{"WordInsideName", "etienne du rouv", "76575"},
		{"Corsica", "ajaccio", "2A004"},
		{"OverseasMostPopulatedFirst", "saint-denis", "97411"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := first(t, tc.q); got.INSEECode != tc.want {
				t.Errorf("%q first finds %s %s, want %s", tc.q, got.INSEECode, got.Name, tc.want)
			}
		})
	}
	t.Run("LimitHonoured", func(t *testing.T) {
		cs, err := st.SearchCommunes(ctx, "saint", 3)
		if err != nil || len(cs) != 3 {
			t.Errorf("got %d, %v", len(cs), err)
		}
	})
	t.Run("WildcardsAreLiteral", func(t *testing.T) {
		cs, err := st.SearchCommunes(ctx, "%_", 5)
		if err != nil || len(cs) != 0 {
			t.Errorf("%%_ finds %v, %v", cs, err)
		}
	})
}

// geoCase is one address checked by essdir.CheckTerritory.
type geoCase struct {
	city                string
	name, insee, postal string
	dept, region        string
	violations          map[string]string // field → part of the message
}

func TestCheckTerritory(t *testing.T) {
	st := openStore(t)
	for _, tc := range []geoCase{
		{name: "Dijon", insee: "21231", postal: "21000", dept: "21", region: "27"},
		{name: "ParisCommune", insee: "75056", postal: "75011", dept: "75", region: "11"},
		{name: "ParisArrondissement", insee: "75101", postal: "75001", dept: "75", region: "11"},
		{name: "Ajaccio", insee: "2A004", dept: "2A", region: "94"},
		{name: "SaintDenisReunion", insee: "97411", postal: "97400", dept: "974", region: "04"},
		{name: "PostalCodeAloneDerives", postal: "21540", dept: "21", region: "27"},
		{name: "PostalCodeAcrossBorderTakesItsPrefix", postal: "05110", dept: "05", region: "93"},
		{name: "PostalCodeAcrossBorderTakesTheCity", postal: "01410", city: "Lajoux", dept: "39", region: "27"},
		{name: "PostalCodeAcrossBorderWithoutCity", postal: "01410", dept: "01", region: "84"},
		{name: "NothingGivenNothingDerived"},
		{name: "ErrFormerCommuneNamesSuccessor", insee: "20004",
			violations: map[string]string{"address.insee_code": "2A004"}},
		{name: "ErrFormerCommuneEpinal", insee: "88422", postal: "88000",
			violations: map[string]string{"address.insee_code": "88160"}},
		{name: "ErrUnknownCommune", insee: "99999",
			violations: map[string]string{"address.insee_code": "not the INSEE code of a commune"}},
		{name: "ErrMalformedINSEE", insee: "2C004",
			violations: map[string]string{"address.insee_code": "must be"}},
		{name: "ErrUnknownPostalCode", postal: "99999",
			violations: map[string]string{"address.postal_code": "no commune"}},
		{name: "ErrMalformedPostalCode", postal: "2100",
			violations: map[string]string{"address.postal_code": "5 digits"}},
		{name: "ErrPostalCodeOfAnotherCommune", insee: "21231", postal: "75001", dept: "21", region: "27",
			violations: map[string]string{"address.postal_code": "not a postal code of Dijon"}},
		{name: "ErrArrondissementOtherPostalCode", insee: "75101", postal: "75002", dept: "75", region: "11",
			violations: map[string]string{"address.postal_code": "Paris 1er"}},
		{name: "ErrBothUnknown", insee: "99999", postal: "99999",
			violations: map[string]string{"address.insee_code": "commune", "address.postal_code": "no commune"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v essdir.Violations
			dept, region, err := essdir.CheckTerritory(context.Background(), st, "address", tc.insee, tc.postal, tc.city, &v)
			if err != nil {
				t.Fatal(err)
			}
			if dept != tc.dept || region != tc.region {
				t.Errorf("derived %q/%q, want %q/%q", dept, region, tc.dept, tc.region)
			}
			if len(v) != len(tc.violations) {
				t.Fatalf("violations %v, want %v", v, tc.violations)
			}
			for _, fe := range v {
				if want, ok := tc.violations[fe.Field]; !ok || !strings.Contains(fe.Message, want) {
					t.Errorf("%s: %q, want it to contain %q", fe.Field, fe.Message, want)
				}
			}
		})
	}
}
