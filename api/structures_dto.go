package api

import (
	"encoding/json"
	"math"
	"time"

	"github.com/google/uuid"

	"github.com/essdir/essdir/internal/essdir"
)

// Structure is a structure as the API shows it. Optional fields are omitted
// when unknown; lists are always present.
type Structure struct {
	ID             uuid.UUID        `json:"id" format:"uuid" readonly:"true" validate:"required"`
	Slug           string           `json:"slug" example:"la-boucle" validate:"required"`
	Name           string           `json:"name" example:"La Boucle" validate:"required"`
	LegalForm      essdir.LegalForm `json:"legal_form,omitempty"`
	SIRET          string           `json:"siret,omitempty" example:"73282932000074"`
	SIREN          string           `json:"siren,omitempty" example:"732829320"`
	RNA            string           `json:"rna,omitempty" example:"W212001234"`
	Summary        string           `json:"summary,omitempty" example:"Recyclerie et ateliers de réparation"`
	Description    string           `json:"description,omitempty"`
	Sectors        []essdir.Sector  `json:"sectors" validate:"required"`
	Labels         []essdir.Label   `json:"labels" validate:"required"`
	Address        *Address         `json:"address,omitempty"`
	DepartmentCode string           `json:"department_code,omitempty" example:"21" readonly:"true"`
	RegionCode     string           `json:"region_code,omitempty" example:"27" readonly:"true"`
	Location       *Location        `json:"location,omitempty"`
	Website        string           `json:"website,omitempty" example:"https://www.rtes.fr/"`
	Email          string           `json:"email,omitempty" example:"contact@example.org"`
	Phone          string           `json:"phone,omitempty" example:"03 80 50 90 47"`
	SocialLinks    []SocialLink     `json:"social_links" validate:"required"`
	Contacts       *[]Contact       `json:"contacts,omitempty"` // editors and admins only
	Networks       []string         `json:"networks" example:"RTES" validate:"required"`
	Status         essdir.Status    `json:"status" validate:"required"`
	Source         string           `json:"source,omitempty" example:"rtes"`
	ExternalID     string           `json:"external_id,omitempty" example:"rtes-1234"`
	CreatedAt      time.Time        `json:"created_at" readonly:"true" validate:"required"`
	UpdatedAt      time.Time        `json:"updated_at" readonly:"true" validate:"required"`
	Version        int              `json:"version" example:"1" readonly:"true" validate:"required"`
	// DistanceKM is the distance from the point of a `near` search, in km
	// (to the metre); absent otherwise.
	DistanceKM *float64 `json:"distance_km,omitempty" example:"5.56" readonly:"true"`
	// Related records, present when ?include= names them.
	Activities        *[]Activity         `json:"activities,omitempty" readonly:"true"`
	CollectivityLinks *[]CollectivityLink `json:"collectivity_links,omitempty" readonly:"true"`
	SupportSchemes    *[]SupportScheme    `json:"support_schemes,omitempty" readonly:"true"`
	Events            *[]Event            `json:"events,omitempty" readonly:"true"`
} // @name Structure

// Address is a postal address.
type Address struct {
	Street     string `json:"street,omitempty" example:"3 rue Jean XXIII"`
	PostalCode string `json:"postal_code,omitempty" example:"21000"`
	City       string `json:"city,omitempty" example:"Dijon"`
	INSEECode  string `json:"insee_code,omitempty" example:"21231"`
} // @name Address

// Location is a WGS 84 point.
type Location struct {
	Lat *float64 `json:"lat" example:"47.3220" minimum:"-90" maximum:"90" validate:"required"`
	Lon *float64 `json:"lon" example:"5.0415" minimum:"-180" maximum:"180" validate:"required"`
} // @name Location

// SocialLink is a page on a social network.
type SocialLink struct {
	Network string `json:"network" example:"facebook" validate:"required"`
	URL     string `json:"url" example:"https://www.facebook.com/lamarmitesolidaire/" validate:"required"`
} // @name SocialLink

// Contact is a person to reach (personal data: never shown anonymously).
type Contact struct {
	Name  string `json:"name" example:"Ophélie Rochas" validate:"required"`
	Role  string `json:"role,omitempty" example:"coordinatrice"`
	Email string `json:"email,omitempty" example:"ophelie@example.org"`
	Phone string `json:"phone,omitempty"`
} // @name Contact

// StructureInput is the body of POST and PUT. It accepts what a GET returned:
// read-only fields (id, department_code, region_code, created_at, updated_at,
// version) are ignored when equal to the stored value and refused otherwise.
type StructureInput struct {
	ID             *uuid.UUID       `json:"id,omitempty" format:"uuid"`
	Slug           string           `json:"slug,omitempty" example:"la-boucle"`
	Name           string           `json:"name" example:"La Boucle" validate:"required"`
	LegalForm      essdir.LegalForm `json:"legal_form,omitempty"`
	SIRET          string           `json:"siret,omitempty" example:"73282932000074"`
	SIREN          string           `json:"siren,omitempty" example:"732829320"`
	RNA            string           `json:"rna,omitempty" example:"W212001234"`
	Summary        string           `json:"summary,omitempty"`
	Description    string           `json:"description,omitempty"`
	Sectors        []essdir.Sector  `json:"sectors,omitempty"`
	Labels         []essdir.Label   `json:"labels,omitempty"`
	Address        *Address         `json:"address,omitempty"`
	DepartmentCode string           `json:"department_code,omitempty"`
	RegionCode     string           `json:"region_code,omitempty"`
	Location       *Location        `json:"location,omitempty"`
	Website        string           `json:"website,omitempty"`
	Email          string           `json:"email,omitempty"`
	Phone          string           `json:"phone,omitempty"`
	SocialLinks    []SocialLink     `json:"social_links,omitempty"`
	Contacts       []Contact        `json:"contacts,omitempty"`
	Networks       []string         `json:"networks,omitempty"`
	Status         essdir.Status    `json:"status,omitempty"`
	Source         string           `json:"source,omitempty"`
	ExternalID     string           `json:"external_id,omitempty"`
	CreatedAt      *time.Time       `json:"created_at,omitempty"`
	UpdatedAt      *time.Time       `json:"updated_at,omitempty"`
	Version        *int             `json:"version,omitempty"`
	DistanceKM     *float64         `json:"distance_km,omitempty"`
	// What a GET with ?include= embeds may be sent back too; it is
	// read-only and ignored (change those records through their own routes).
	Activities        json.RawMessage `json:"activities,omitempty" swaggerignore:"true"`
	CollectivityLinks json.RawMessage `json:"collectivity_links,omitempty" swaggerignore:"true"`
	SupportSchemes    json.RawMessage `json:"support_schemes,omitempty" swaggerignore:"true"`
	Events            json.RawMessage `json:"events,omitempty" swaggerignore:"true"`
} // @name StructureInput

// StructureList is a page of structures.
type StructureList struct {
	Data []Structure `json:"data" validate:"required"`
	Meta ListMeta    `json:"meta" validate:"required"`
} // @name StructureList

// structureParts holds what a Structure view points to.
type structureParts struct {
	address            Address
	location           Location
	lat, lon, distance float64
}

// toStructure maps a domain structure to its representation; contacts only
// when the caller may see personal data.
func toStructure(s *essdir.Structure, withContacts bool) Structure {
	out := Structure{
		ID: s.ID, Slug: s.Slug, Name: s.Name, LegalForm: s.LegalForm, SIRET: s.SIRET, SIREN: s.SIREN,
		RNA: s.RNA, Summary: s.Summary, Description: s.Description,
		Sectors: nonNil(s.Sectors), Labels: nonNil(s.Labels),
		DepartmentCode: s.DepartmentCode, RegionCode: s.RegionCode,
		Website: s.Website, Email: s.Email, Phone: s.Phone,
		SocialLinks: make([]SocialLink, len(s.SocialLinks)), Networks: nonNil(s.Networks),
		Status: s.Status, Source: s.Source, ExternalID: s.ExternalID,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, Version: s.Version,
	}
	// What the view points to is allocated in one piece: a page of 20
	// structures made 100 small allocations here.
	var parts *structureParts
	if s.Address != (essdir.Address{}) || s.Location != nil || s.DistanceKM != nil {
		parts = new(structureParts)
	}
	if s.Address != (essdir.Address{}) {
		parts.address = Address(s.Address)
		out.Address = &parts.address
	}
	if s.Location != nil {
		parts.lat, parts.lon = s.Location.Lat, s.Location.Lon
		parts.location = Location{Lat: &parts.lat, Lon: &parts.lon}
		out.Location = &parts.location
	}
	if s.DistanceKM != nil {
		parts.distance = math.Round(*s.DistanceKM*1000) / 1000
		out.DistanceKM = &parts.distance
	}
	for i, l := range s.SocialLinks {
		out.SocialLinks[i] = SocialLink(l)
	}
	if withContacts {
		contacts := make([]Contact, len(s.Contacts))
		for i, c := range s.Contacts {
			contacts[i] = Contact(c)
		}
		out.Contacts = &contacts
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// nonNullable: status may be left out (kept) but not nulled.
func (in *StructureInput) nonNullable() []string { return []string{"status"} }

// toDomain maps the body to the structure it describes, with the read-only
// header values it echoed. Derived fields (siren with a SIRET,
// department_code, region_code) are passed on for the write rule to judge.
func (in *StructureInput) toDomain() (*essdir.Structure, essdir.Echo, error) {
	st := &essdir.Structure{
		Slug: in.Slug, Name: in.Name, LegalForm: in.LegalForm, SIRET: in.SIRET,
		SIREN: in.SIREN, RNA: in.RNA, Summary: in.Summary, Description: in.Description,
		Sectors: in.Sectors, Labels: in.Labels, DepartmentCode: in.DepartmentCode, RegionCode: in.RegionCode,
		Website: in.Website, Email: in.Email, Phone: in.Phone,
		Networks: in.Networks, Status: in.Status, Source: in.Source, ExternalID: in.ExternalID,
	}
	echoed := essdir.Echo{ID: in.ID, CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt, Version: in.Version}
	if in.Address != nil {
		st.Address = essdir.Address(*in.Address)
	}
	if in.Location != nil {
		var v essdir.Violations
		if in.Location.Lat == nil {
			v.Add("location.lat", "is required")
		}
		if in.Location.Lon == nil {
			v.Add("location.lon", "is required")
		}
		if err := v.Err(); err != nil {
			return nil, echoed, err
		}
		st.Location = &essdir.Location{Lat: *in.Location.Lat, Lon: *in.Location.Lon}
	}
	for _, l := range in.SocialLinks {
		st.SocialLinks = append(st.SocialLinks, essdir.SocialLink(l))
	}
	for _, c := range in.Contacts {
		st.Contacts = append(st.Contacts, essdir.Contact(c))
	}
	return st, echoed, nil
}
