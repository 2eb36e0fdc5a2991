package api

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/essdir/essdir/internal/essdir"
)

// TestBodyMatchesEncodingJSON pins withBody to encoding/json's
// bytes, so that switching encoders changes no body and no ETag: the
// strings that each escape differently (HTML, U+2028, invalid UTF-8,
// control characters), floats at the edges of their notation, times with
// a zone and nanoseconds, absent and empty optionals, embedded relations.
func TestBodyMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2024, 11, 28, 14, 0, 0, 123456789, time.FixedZone("CET", 3600))
	lat, lon, dist := 47.322, -4.48, 5.556
	tricky := "<script>&amp; \u2028\u2029 \x00\x1f \"q\" \\ é\xff\xfe 😀 \t\n"
	full := Structure{
		ID: uuid.MustParse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), Slug: "la-boucle", Name: tricky,
		LegalForm: essdir.LegalForm("association"), SIRET: "73282932000074", SIREN: "732829320", RNA: "W212001234",
		Summary: "Recyclerie", Description: tricky, Sectors: []essdir.Sector{"culture", "food"},
		Labels: []essdir.Label{}, Address: &Address{Street: "3 rue Jean XXIII", PostalCode: "21000", City: "Dijon", INSEECode: "21231"},
		DepartmentCode: "21", RegionCode: "27", Location: &Location{Lat: &lat, Lon: &lon},
		Website: "https://www.rtes.fr/?a=1&b=<2>", Email: "contact@example.org", Phone: "+33 3 80 50 90 47",
		SocialLinks: []SocialLink{{Network: "facebook", URL: "https://f.example/x"}},
		Contacts:    &[]Contact{{Name: "Ophélie", Role: "coordinatrice", Email: "o@example.org"}},
		Networks:    []string{"RTES"}, Status: essdir.StatusPublished, Source: "rtes", ExternalID: "rtes-1",
		CreatedAt: at, UpdatedAt: at.UTC(), Version: 7, DistanceKM: &dist,
		Activities: &[]Activity{{ID: uuid.New(), Name: "Ateliers", Sectors: []essdir.Sector{}, Audiences: []essdir.Audience{"youth"}, CreatedAt: at, UpdatedAt: at, Version: 1}},
	}
	bare := Structure{ID: uuid.New(), Slug: "x", Name: "x", Sectors: []essdir.Sector{}, Labels: []essdir.Label{},
		SocialLinks: []SocialLink{}, Networks: []string{}, Status: essdir.StatusDraft}
	total := 12
	for _, tc := range []struct {
		name string
		v    any
	}{
		{"FullStructure", full},
		{"BareStructure", bare},
		{"Page", StructureList{Data: []Structure{full, bare}, Meta: ListMeta{NextCursor: "eyJsIjoi", Total: &total, TotalIsLowerBound: true}}},
		{"EmptyPage", StructureList{Data: []Structure{}, Meta: ListMeta{}}},
		{"Floats", []float64{0, -0.0, 1e20, 1e21, 1e-6, 1e-7, 5e-324, math.MaxFloat64, -4.48, 0.1 + 0.2}},
		{"Problem", Problem{Type: "about:blank", Title: "Bad Request", Status: 400, Detail: tricky,
			Errors: []FieldError{{Field: "name", Message: "<required>"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := json.Marshal(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			for range 2 { // the second time in a reused buffer
				err := withBody(tc.v, func(got []byte) error {
					if string(got) != string(want) {
						t.Errorf("withBody\n%s\nencoding/json\n%s", got, want)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
