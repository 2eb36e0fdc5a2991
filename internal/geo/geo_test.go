package geo_test

import (
	"bytes"
	"testing"

	"github.com/essdir/essdir/internal/essdir"
	"github.com/essdir/essdir/internal/geo"
)

func TestEmbedded(t *testing.T) {
	ref, err := geo.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if ref.Package != geo.PackageName || ref.Version != geo.EmbeddedVersion() || ref.Version == "" {
		t.Errorf("embedded %s %s, header says %s", ref.Package, ref.Version, geo.EmbeddedVersion())
	}
	if len(ref.Regions) < 18 || len(ref.Departments) < 101 || len(ref.Communes) < 34000 || len(ref.EPCIs) < 1200 {
		t.Errorf("embedded reference too small: %d régions, %d départements, %d communes, %d EPCI",
			len(ref.Regions), len(ref.Departments), len(ref.Communes), len(ref.EPCIs))
	}
	if len(geo.EmbeddedDigest()) != 16 {
		t.Errorf("digest %q", geo.EmbeddedDigest())
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	ref, err := geo.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	ref.Communes = ref.Communes[:100]
	ref.EPCIs = nil
	var buf bytes.Buffer
	if err := ref.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := geo.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if back.Digest() != ref.Digest() {
		t.Error("a reference changed through Encode and Decode")
	}
}

func TestValidateRefuses(t *testing.T) {
	full, err := geo.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	// small is a valid extract that each case may break without touching full.
	small := func() *geo.Reference {
		ref := *full
		ref.Communes = append([]essdir.Commune(nil), full.Communes[:50]...)
		e := full.EPCIs[0]
		ref.EPCIs = []essdir.EPCI{{SIREN: e.SIREN, Name: e.Name, Kind: e.Kind, Members: []string{ref.Communes[0].INSEECode}}}
		return &ref
	}
	if err := small().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*geo.Reference){
		"ErrUnknownDepartment": func(r *geo.Reference) { r.Communes[0].DepartmentCode = "00" },
		"ErrDuplicateCommune":  func(r *geo.Reference) { r.Communes[1].INSEECode = r.Communes[0].INSEECode },
		"ErrFormerIsCurrent":   func(r *geo.Reference) { r.Communes[0].FormerCodes = []string{r.Communes[1].INSEECode} },
		"ErrBadPostalCode":     func(r *geo.Reference) { r.Communes[0].PostalCodes = []string{"2100"} },
		"ErrBadEPCISIREN":      func(r *geo.Reference) { r.EPCIs[0].SIREN = "123456789" },
		"ErrNoCommunes":        func(r *geo.Reference) { r.Communes = nil },
	} {
		t.Run(name, func(t *testing.T) {
			ref := small()
			mutate(ref)
			if ref.Validate() == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestNewer(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"6.0.0", "5.3.0", true},
		{"6.0.10", "6.0.9", true},
		{"5.3.0", "6.0.0", false},
		{"6.0.0", "6.0.0", false},
		{"6.0.0", "", false},
		{"", "6.0.0", false},
		{"6.0.0-beta", "5.0.0", false},
	} {
		if got := geo.Newer(tc.a, tc.b); got != tc.want {
			t.Errorf("Newer(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}
