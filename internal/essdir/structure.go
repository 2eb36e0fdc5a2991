package essdir

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Status is the editorial state of a record. Only published records are
// visible to anonymous readers.
type Status string // @name Status

// Statuses.
const (
	StatusDraft     Status = "draft"
	StatusPending   Status = "pending"
	StatusPublished Status = "published"
	StatusArchived  Status = "archived"
)

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	switch s {
	case StatusDraft, StatusPending, StatusPublished, StatusArchived:
		return true
	}
	return false
}

// Address is a postal address in France.
type Address struct {
	Street     string
	PostalCode string
	City       string
	INSEECode  string
}

// Location is a WGS 84 point.
type Location struct {
	Lat float64
	Lon float64
}

// SocialLink points to a structure's page on a social network.
type SocialLink struct {
	Network string
	URL     string
}

// Contact is a person to reach at a structure. Contacts are personal data
// (RGPD): they are never shown to anonymous readers.
type Contact struct {
	Name  string
	Role  string
	Email string
	Phone string
}

// Structure is an organisation of the social and solidarity economy. Empty
// strings mean "not known".
type Structure struct {
	Record
	Slug           string
	Name           string
	LegalForm      LegalForm
	SIRET          string
	SIREN          string
	RNA            string
	Summary        string
	Description    string
	Sectors        []Sector
	Labels         []Label
	Address        Address
	DepartmentCode string
	RegionCode     string
	Location       *Location
	Website        string
	Email          string
	Phone          string
	SocialLinks    []SocialLink
	Contacts       []Contact
	Networks       []string
	Status         Status
	Source         string
	ExternalID     string
	// DistanceKM is set by a search near a point: the distance from it. It
	// is never stored.
	DistanceKM *float64
}

// Derive puts every field in its stored form (NFC text, trimmed, codes in
// their canonical case, duplicates removed), fills the derived fields (SIREN
// from the SIRET, département and région from the address) and, on an update,
// keeps the slug and the status the write did not change. Validate judges the
// result.
func (s *Structure) Derive(ctx context.Context, geo Geography, stored *Structure, v *Violations) error {
	s.normalize()
	var was Structure
	if stored != nil {
		was = *stored
		switch {
		case s.Slug == "":
			s.Slug = stored.Slug
		case s.Slug != stored.Slug:
			v.Add("slug", "never changes once given (it is %q)", stored.Slug)
		}
		keepStatus(&s.Status, &stored.Status)
	} else {
		keepStatus(&s.Status, nil)
	}
	dept, region, err := Territory(ctx, geo, "address", s.Address.INSEECode, s.Address.PostalCode, s.Address.City, v)
	if err != nil {
		return err
	}
	s.DepartmentCode = derived(v, "department_code", s.DepartmentCode, was.DepartmentCode, dept, "from the address")
	s.RegionCode = derived(v, "region_code", s.RegionCode, was.RegionCode, region, "from the address")
	if ValidSIRET(s.SIRET) {
		s.SIREN = derived(v, "siren", s.SIREN, was.SIREN, s.SIRET[:9], "from the SIRET")
	}
	return nil
}

// Territory checks an address's commune codes and derives its département
// and région: against the official geography when geo is given (the
// server's case), else from the form of the codes alone (pure rules, for
// callers without a database).
func Territory(ctx context.Context, geo Geography, field, insee, postal, city string, v *Violations) (department, region string, err error) {
	if geo != nil {
		return CheckTerritory(ctx, geo, field, insee, postal, city, v)
	}
	if insee != "" && !ValidINSEECode(insee) {
		v.Add(field+".insee_code", "must be the INSEE code of a commune (5 characters, 2A/2B in Corsica)")
	}
	if postal != "" && !ValidPostalCode(postal) {
		v.Add(field+".postal_code", "must be a French postal code of 5 digits")
	}
	department, region = DeriveTerritory(Address{INSEECode: insee, PostalCode: postal})
	return department, region, nil
}

// normalize puts the fields a client writes in their stored form. It never
// fails: Validate judges the result.
func (s *Structure) normalize() {
	s.Slug, s.SIRET = s.UniqueValues()
	s.Name = CleanText(s.Name)
	s.SIREN = stripSpaces(s.SIREN)
	s.RNA = strings.ToUpper(stripSpaces(s.RNA))
	s.Summary = CleanText(s.Summary)
	s.Description = CleanText(s.Description)
	s.Sectors = dedupe(s.Sectors, func(v Sector) Sector { return Sector(CleanText(string(v))) })
	s.Labels = dedupe(s.Labels, func(v Label) Label { return Label(CleanText(string(v))) })
	s.Address.Street = CleanText(s.Address.Street)
	s.Address.PostalCode = stripSpaces(s.Address.PostalCode)
	s.Address.City = CleanText(s.Address.City)
	s.Address.INSEECode = strings.ToUpper(stripSpaces(s.Address.INSEECode))
	s.Website = CleanText(s.Website)
	s.Email = strings.ToLower(CleanText(s.Email))
	s.Phone = CleanText(s.Phone)
	// Empty lists are empty, never nil, so that equal records compare equal.
	if s.SocialLinks == nil {
		s.SocialLinks = []SocialLink{}
	}
	if s.Contacts == nil {
		s.Contacts = []Contact{}
	}
	for i := range s.SocialLinks {
		s.SocialLinks[i].Network = strings.ToLower(CleanText(s.SocialLinks[i].Network))
		s.SocialLinks[i].URL = CleanText(s.SocialLinks[i].URL)
	}
	for i := range s.Contacts {
		c := &s.Contacts[i]
		c.Name, c.Role, c.Phone = CleanText(c.Name), CleanText(c.Role), CleanText(c.Phone)
		c.Email = strings.ToLower(CleanText(c.Email))
	}
	s.Networks = dedupe(s.Networks, CleanText)
	s.Source = strings.ToLower(CleanText(s.Source))
	s.ExternalID = CleanText(s.ExternalID)
	s.DepartmentCode = strings.ToUpper(stripSpaces(s.DepartmentCode))
	s.RegionCode = stripSpaces(s.RegionCode)
}

// DeriveTerritory returns the département and région of an address, from its
// INSEE code when known (it is exact), else from its postal code.
func DeriveTerritory(a Address) (department, region string) {
	department = DepartmentFromINSEE(a.INSEECode)
	if department == "" {
		department = DepartmentFromPostalCode(a.PostalCode)
	}
	return department, RegionOfDepartment(department)
}

var (
	slugPattern   = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)
	sourcePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)
)

// UniqueValues are s's slug and SIRET in their stored form: no two live
// structures share a SIRET, nor any two a slug. An import's --strict check
// judges its lines by them before they are written.
func (s *Structure) UniqueValues() (slug, siret string) {
	return strings.ToLower(CleanText(s.Slug)), stripSpaces(s.SIRET)
}

// Validate checks every rule and reports all broken ones at once.
func (s *Structure) Validate() error {
	var v Violations
	checkText(&v, "name", s.Name, 200, true)
	if s.Slug != "" && (!slugPattern.MatchString(s.Slug) || len(s.Slug) > MaxSlugLen) {
		v.Add("slug", "must be lower-case letters and digits separated by single dashes, at most 80 characters")
	}
	if s.LegalForm != "" && !LegalForms.Has(string(s.LegalForm)) {
		v.Add("legal_form", "unknown legal form %q (see /v1/vocabularies/legal_forms)", s.LegalForm)
	}
	if s.SIRET != "" && !ValidSIRET(s.SIRET) {
		v.Add("siret", "must be 14 digits with a valid check digit")
	}
	if s.SIREN != "" && !ValidSIREN(s.SIREN) {
		v.Add("siren", "must be 9 digits with a valid check digit")
	}
	if s.RNA != "" && !ValidRNA(s.RNA) {
		v.Add("rna", "must be W followed by 9 digits")
	}
	checkText(&v, "summary", s.Summary, 500, false)
	checkText(&v, "description", s.Description, 20000, false)
	checkCodes(&v, "sectors", s.Sectors, Sectors)
	checkCodes(&v, "labels", s.Labels, Labels)
	checkText(&v, "address.street", s.Address.Street, 200, false)
	checkText(&v, "address.city", s.Address.City, 100, false)
	if s.Location != nil {
		if !(s.Location.Lat >= -90 && s.Location.Lat <= 90) {
			v.Add("location.lat", "must be between -90 and 90")
		}
		if !(s.Location.Lon >= -180 && s.Location.Lon <= 180) {
			v.Add("location.lon", "must be between -180 and 180")
		}
	}
	checkContact(&v, s.Website, s.Email, s.Phone)
	checkLen(&v, "social_links", len(s.SocialLinks), 20)
	for i, l := range s.SocialLinks {
		f := fmt.Sprintf("social_links[%d]", i)
		checkText(&v, f+".network", l.Network, 50, true)
		if !ValidWebURL(l.URL) {
			v.Add(f+".url", "must be an absolute http or https URL")
		}
	}
	checkLen(&v, "contacts", len(s.Contacts), 50)
	for i, c := range s.Contacts {
		f := fmt.Sprintf("contacts[%d]", i)
		checkText(&v, f+".name", c.Name, 200, true)
		checkText(&v, f+".role", c.Role, 200, false)
		if c.Email != "" && !ValidEmail(c.Email) {
			v.Add(f+".email", "must be an e-mail address")
		}
		if c.Phone != "" && !ValidPhone(c.Phone) {
			v.Add(f+".phone", "must be a phone number")
		}
	}
	checkLen(&v, "networks", len(s.Networks), 50)
	for i, n := range s.Networks {
		checkText(&v, fmt.Sprintf("networks[%d]", i), n, 100, true)
	}
	if !s.Status.Valid() {
		v.Add("status", "must be one of draft, pending, published, archived")
	}
	checkOrigin(&v, s.Source, s.ExternalID)
	return v.Err()
}

// StructureSorts are the orders of structure lists; the first is the default.
// Relevance needs a search text (Q), distance a point (Near).
var StructureSorts = []Sort{SortName, SortUpdatedAtDesc, SortRelevance, SortDistance}

// StructureFilter selects structures. Empty fields do not filter; several
// values in one field are alternatives (OR).
type StructureFilter struct {
	Statuses        []Status
	LegalForms      []LegalForm
	Sectors         []Sector
	Labels          []Label
	DepartmentCodes []string
	RegionCodes     []string
	INSEECodes      []string
	PostalCodes     []string
	Cities          []string
	Networks        []string
	Sources         []string
	UpdatedSince    *time.Time
	// Audiences match the audiences of the structure's activities.
	Audiences []Audience
	// CollectivityIDs match the structures these collectivities support
	// through a live link; SupportSchemeIDs, the structures that operate or
	// benefited from these schemes.
	CollectivityIDs  []uuid.UUID
	SupportSchemeIDs []uuid.UUID
	// Q is a French full-text search (see search.go); Near and RadiusKM
	// keep the structures within RadiusKM of a point, BBox those inside a
	// box.
	Q        string
	Near     *Point
	RadiusKM float64
	BBox     *BBox
	List
}

// StructureRelations reads the records related to structures for a whole
// page of structures at once (include=), keyed by structure id: a fixed
// number of queries whatever the number of structures.
type StructureRelations interface {
	ActivitiesOf(ctx context.Context, structureIDs []uuid.UUID) (map[uuid.UUID][]*Activity, error)
	EventsOf(ctx context.Context, structureIDs []uuid.UUID) (map[uuid.UUID][]*Event, error)
	CollectivityLinksOf(ctx context.Context, structureIDs []uuid.UUID) (map[uuid.UUID][]*CollectivityLink, error)
	SupportSchemesOf(ctx context.Context, structureIDs []uuid.UUID) (map[uuid.UUID][]*SupportScheme, error)
}

// StructureService is what the transport needs from the store.
type StructureService interface {
	FindStructureByID(ctx context.Context, id uuid.UUID) (*Structure, error)
	FindStructures(ctx context.Context, f StructureFilter) (*Page[Structure], error)
	CreateStructure(ctx context.Context, s *Structure, echo Echo) error
	UpdateStructure(ctx context.Context, id uuid.UUID, change Change[Structure]) (*Structure, error)
	DeleteStructure(ctx context.Context, id uuid.UUID, check func(s *Structure) error) error
	// FindStructureFacets counts the structures f selects by legal form,
	// sector, label and département.
	FindStructureFacets(ctx context.Context, f StructureFilter) (*StructureFacets, error)
	// EachStructure calls fn with every structure f selects, in f's order,
	// reading them one at a time (exports: constant memory, however many).
	EachStructure(ctx context.Context, f StructureFilter, fn func(*Structure) error) error
}
