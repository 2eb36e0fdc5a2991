package api

import (
	"fmt"
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
} // @name StructureInput

// StructureList is a page of structures.
type StructureList struct {
	Data []Structure `json:"data" validate:"required"`
	Meta ListMeta    `json:"meta" validate:"required"`
} // @name StructureList

// ListMeta describes a page: the cursor of the next one and, on request, the
// number of matching records.
type ListMeta struct {
	NextCursor string `json:"next_cursor,omitempty" example:"eyJzIjoibmFtZSIsIm4iOiJMYSBCb3VjbGUifQ"`
	Total      *int   `json:"total,omitempty" example:"42"`
} // @name ListMeta

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
	if s.Address != (essdir.Address{}) {
		a := Address(s.Address)
		out.Address = &a
	}
	if s.Location != nil {
		lat, lon := s.Location.Lat, s.Location.Lon
		out.Location = &Location{Lat: &lat, Lon: &lon}
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

// applyTo writes the input over next, the record being created (cur == nil)
// or replaced (cur is the stored record). Read-only fields must be absent or
// equal to the stored value; derived ones must match what the server derives.
func (in *StructureInput) applyTo(next, cur *essdir.Structure) error {
	var v essdir.Violations
	*next = essdir.Structure{
		ID: next.ID, Slug: in.Slug, Name: in.Name, LegalForm: in.LegalForm, SIRET: in.SIRET,
		SIREN: in.SIREN, RNA: in.RNA, Summary: in.Summary, Description: in.Description,
		Sectors: in.Sectors, Labels: in.Labels, Website: in.Website, Email: in.Email, Phone: in.Phone,
		Networks: in.Networks, Status: in.Status, Source: in.Source, ExternalID: in.ExternalID,
	}
	if in.Address != nil {
		next.Address = essdir.Address(*in.Address)
	}
	if in.Location != nil {
		if in.Location.Lat == nil {
			v.Add("location.lat", "is required")
		}
		if in.Location.Lon == nil {
			v.Add("location.lon", "is required")
		}
		if in.Location.Lat != nil && in.Location.Lon != nil {
			next.Location = &essdir.Location{Lat: *in.Location.Lat, Lon: *in.Location.Lon}
		}
	}
	for _, l := range in.SocialLinks {
		next.SocialLinks = append(next.SocialLinks, essdir.SocialLink(l))
	}
	for _, c := range in.Contacts {
		next.Contacts = append(next.Contacts, essdir.Contact(c))
	}
	dept, region := essdir.DeriveTerritory(normalizedAddress(next.Address))
	if in.DepartmentCode != "" && in.DepartmentCode != dept {
		v.Add("department_code", "is derived from the address (here %q); leave it out", dept)
	}
	if in.RegionCode != "" && in.RegionCode != region {
		v.Add("region_code", "is derived from the address (here %q); leave it out", region)
	}
	if cur == nil {
		if in.ID != nil {
			v.Add("id", "is chosen by the server; leave it out")
		}
		if in.CreatedAt != nil || in.UpdatedAt != nil || in.Version != nil {
			v.Add("version", "created_at, updated_at and version are set by the server; leave them out")
		}
		return v.Err()
	}
	if in.CreatedAt != nil && !in.CreatedAt.Equal(cur.CreatedAt) {
		v.Add("created_at", "is read-only")
	}
	if in.UpdatedAt != nil && !in.UpdatedAt.Equal(cur.UpdatedAt) {
		v.Add("updated_at", "is read-only")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if in.Version != nil && *in.Version != cur.Version {
		return &essdir.Error{Code: essdir.ECONFLICT,
			Message: fmt.Sprintf("the record is at version %d, the body was made from version %d", cur.Version, *in.Version),
			Fields:  []essdir.FieldError{{Field: "version", Message: "is stale: GET the record again"}}}
	}
	return nil
}

// normalizedAddress is the address as the domain will store it, to compare
// derived codes the way the domain derives them.
func normalizedAddress(a essdir.Address) essdir.Address {
	s := essdir.Structure{Address: a}
	s.Normalize()
	return s.Address
}
