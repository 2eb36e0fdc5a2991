// Package benchdata makes reproducible, realistic directory data for
// benchmarks: structures spread over the real communes of the embedded
// official geography, named from a Zipf-distributed French vocabulary, with
// SIRETs, contacts and links, so that every row differs as partners' rows
// do (a benchmark of one commune repeated would hide the cost of checking
// thousands of them). The same seed gives the same data.
package benchdata

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/essdir/essdir/internal/essdir"
	"github.com/essdir/essdir/internal/geo"
)

// place is a commune structures are generated in.
type place struct {
	insee, name, postal, department, region string
}

// Structures draws structures: the i-th of a seed is always the same, and
// each revision of it differs from the one before (what a partner's next
// sync sends for a record that changed).
type Structures struct {
	seed                    uint64
	places                  []place
	words, kinds            *Zipf
	forms, sectors, labels  []string
	networks, socialDomains []string
}

// NewStructures prepares the draws of a seed, over the current communes of
// the embedded geography.
func NewStructures(seed uint64) (*Structures, error) {
	ref, err := geo.Embedded()
	if err != nil {
		return nil, err
	}
	g := &Structures{seed: seed, words: NewZipf(Vocabulary, 1.0), kinds: NewZipf(Kinds, 1.1),
		networks:      []string{"RTES", "ESS France", "Mouvement associatif", "CRESS", "France Active", "Emmaüs"},
		socialDomains: []string{"facebook", "instagram", "linkedin", "mastodon"}}
	for _, c := range ref.Communes {
		if c.Kind != essdir.CommuneKindCommune || len(c.PostalCodes) == 0 || !essdir.ValidDepartmentCode(c.DepartmentCode) {
			continue
		}
		g.places = append(g.places, place{c.INSEECode, c.Name, c.PostalCodes[0], c.DepartmentCode, c.RegionCode})
	}
	if len(g.places) == 0 {
		return nil, fmt.Errorf("benchdata: the embedded geography has no commune")
	}
	codes := func(v *essdir.Vocabulary) []string {
		var out []string
		for _, t := range v.Terms {
			out = append(out, t.Value)
		}
		return out
	}
	g.forms, g.sectors, g.labels = codes(essdir.LegalForms), codes(essdir.Sectors), codes(essdir.Labels)
	return g, nil
}

// Structure is the i-th structure of source at revision rev (0 is the
// first; a later one has another summary and, every other revision, other
// sectors). ExternalID is "ext-<i>". Derived fields (slug, SIREN,
// département, région) are left to the server.
func (g *Structures) Structure(source string, i, rev int) *essdir.Structure {
	rng := rand.New(rand.NewPCG(g.seed, uint64(i)))
	p := g.places[rng.IntN(len(g.places))]
	name := g.name(rng)
	s := &essdir.Structure{
		Name:        name,
		LegalForm:   essdir.LegalForm(g.forms[rng.IntN(len(g.forms))]),
		Summary:     g.sentence(rng, 8),
		Description: g.sentence(rng, 30),
		Address:     essdir.Address{Street: fmt.Sprintf("%d rue %s", 1+rng.IntN(120), g.words.Pick(rng)), PostalCode: p.postal, City: p.name},
		Location:    &essdir.Location{Lat: round5(43 + 7*rng.Float64()), Lon: round5(-1 + 7*rng.Float64())},
		Source:      source,
		ExternalID:  fmt.Sprintf("ext-%d", i),
	}
	for _, v := range some(rng, g.sectors, 2) {
		s.Sectors = append(s.Sectors, essdir.Sector(v))
	}
	for _, v := range some(rng, g.labels, 1) {
		s.Labels = append(s.Labels, essdir.Label(v))
	}
	// Most partners send the INSEE code; some only the postal code and city.
	if rng.IntN(10) < 7 {
		s.Address.INSEECode = p.insee
	}
	host := strings.ReplaceAll(essdir.Slugify(name), "-", "") + fmt.Sprint(i)
	if rng.IntN(2) == 0 {
		s.Website = "https://www." + host + ".fr"
		s.Email = "contact@" + host + ".fr"
	}
	if rng.IntN(2) == 0 {
		s.Phone = fmt.Sprintf("03 %02d %02d %02d %02d", rng.IntN(100), rng.IntN(100), rng.IntN(100), rng.IntN(100))
	}
	if rng.IntN(10) < 6 {
		s.SIRET = g.siret(i)
	}
	s.Networks = some(rng, g.networks, 2)
	if rng.IntN(10) < 3 {
		d := g.socialDomains[rng.IntN(len(g.socialDomains))]
		s.SocialLinks = []essdir.SocialLink{{Network: d, URL: "https://www." + d + ".com/" + host}}
	}
	if rng.IntN(10) < 3 {
		s.Contacts = []essdir.Contact{{Name: "Camille " + strings.ToUpper(g.words.Pick(rng)), Role: "coordination",
			Email: "camille@" + host + ".fr"}}
	}
	if rev > 0 {
		s.Summary = fmt.Sprintf("%s (mise à jour %d)", g.sentence(rand.New(rand.NewPCG(g.seed+uint64(rev), uint64(i))), 8), rev)
		if rev%2 == 1 {
			s.Sectors = []essdir.Sector{essdir.Sector(g.sectors[(i+rev)%len(g.sectors)])}
		}
	}
	return s
}

// Territory is the département and région the server derives for the i-th
// structure: what a COPY of the same rows writes.
func (g *Structures) Territory(i int) (department, region string) {
	rng := rand.New(rand.NewPCG(g.seed, uint64(i)))
	p := g.places[rng.IntN(len(g.places))]
	return p.department, p.region
}

// siret is a valid, unique SIRET for i.
func (g *Structures) siret(i int) string { return SIRET(g.seed*7_919+uint64(i), i) }

// SIRET is a valid SIRET: the Luhn-valid SIREN of n (never La Poste's,
// the same for the same n modulo 10^7) and establishment number
// establishment (modulo 10^4), completed by the SIRET's own key.
func SIRET(n uint64, establishment int) string {
	siren := withKey(fmt.Sprintf("4%07d", n%10_000_000))
	return withKey(siren + fmt.Sprintf("%04d", establishment%10_000))
}

// withKey appends the digit that makes digits pass the Luhn check.
func withKey(digits string) string {
	for d := '0'; d <= '9'; d++ {
		if s := digits + string(d); essdir.ValidSIREN(s) || (len(s) == 14 && essdir.ValidSIRET(s)) {
			return s
		}
	}
	panic("benchdata: no Luhn key digit") // one of ten digits always completes the sum
}

func (g *Structures) name(rng *rand.Rand) string {
	parts := []string{g.kinds.Pick(rng)}
	for range 1 + rng.IntN(3) {
		parts = append(parts, g.words.Pick(rng))
	}
	return strings.Join(parts, " ")
}

func (g *Structures) sentence(rng *rand.Rand, words int) string {
	parts := make([]string, words)
	for i := range parts {
		parts[i] = g.words.Pick(rng)
	}
	return strings.Join(parts, " ")
}

// some draws up to max distinct values.
func some(rng *rand.Rand, from []string, max int) []string {
	var out []string
	for range rng.IntN(max + 1) {
		v := from[rng.IntN(len(from))]
		dup := false
		for _, o := range out {
			dup = dup || o == v
		}
		if !dup {
			out = append(out, v)
		}
	}
	return out
}

func round5(v float64) float64 { return float64(int64(v*1e5+0.5)) / 1e5 }

// CopyColumns are the columns of CopyRow, for a COPY into structures.
var CopyColumns = []string{"id", "slug", "name", "legal_form", "siret", "siren", "summary", "description",
	"sectors", "labels", "street", "postal_code", "city", "insee_code", "department_code", "region_code",
	"lat", "lon", "website", "email", "phone", "social_links", "contacts", "networks", "status", "source",
	"external_id", "created_at", "updated_at", "version"}

// CopyRow is the row the server would store for s, the i-th structure (its
// id, a unique slug and the derived codes included), in CopyColumns order:
// what a COPY of the same data writes.
func (g *Structures) CopyRow(s *essdir.Structure, i int, id [16]byte, now time.Time) []any {
	department, region := g.Territory(i)
	var siren any
	if s.SIRET != "" {
		siren = s.SIRET[:9]
	}
	type link struct {
		Network string `json:"network"`
		URL     string `json:"url"`
	}
	type contact struct {
		Name  string `json:"name"`
		Role  string `json:"role,omitempty"`
		Email string `json:"email,omitempty"`
		Phone string `json:"phone,omitempty"`
	}
	ls, cs := []link{}, []contact{}
	for _, l := range s.SocialLinks {
		ls = append(ls, link(l))
	}
	for _, c := range s.Contacts {
		cs = append(cs, contact(c))
	}
	links, _ := json.Marshal(ls)
	contacts, _ := json.Marshal(cs)
	text := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	codes := func(n int, at func(int) string) []string {
		out := make([]string, n)
		for k := range out {
			out[k] = at(k)
		}
		return out
	}
	return []any{id, fmt.Sprintf("%s-%d", essdir.Slugify(s.Name), i), s.Name, text(string(s.LegalForm)), text(s.SIRET), siren,
		text(s.Summary), text(s.Description),
		codes(len(s.Sectors), func(k int) string { return string(s.Sectors[k]) }),
		codes(len(s.Labels), func(k int) string { return string(s.Labels[k]) }),
		text(s.Address.Street), text(s.Address.PostalCode), text(s.Address.City), text(s.Address.INSEECode),
		department, region, s.Location.Lat, s.Location.Lon, text(s.Website), text(s.Email), text(s.Phone),
		string(links), string(contacts), append([]string{}, s.Networks...), "published", s.Source, s.ExternalID, now, now, 1}
}
