package api

import (
	"time"

	"github.com/google/uuid"

	"github.com/essdir/essdir/internal/essdir"
)

// Collectivity is a collectivity as the API shows it.
type Collectivity struct {
	ID             uuid.UUID               `json:"id" format:"uuid" readonly:"true" validate:"required"`
	Name           string                  `json:"name" example:"Ville de Longvic" validate:"required"`
	Kind           essdir.CollectivityKind `json:"kind" validate:"required"`
	INSEECode      string                  `json:"insee_code,omitempty" example:"21355"`
	SIREN          string                  `json:"siren,omitempty" example:"242100410"`
	DepartmentCode string                  `json:"department_code,omitempty" example:"21"`
	RegionCode     string                  `json:"region_code,omitempty" example:"27"`
	Website        string                  `json:"website,omitempty" example:"https://www.longvic.fr/"`
	Email          string                  `json:"email,omitempty"`
	Phone          string                  `json:"phone,omitempty"`
	Source         string                  `json:"source,omitempty" example:"rtes"`
	ExternalID     string                  `json:"external_id,omitempty"`
	CreatedAt      time.Time               `json:"created_at" readonly:"true" validate:"required"`
	UpdatedAt      time.Time               `json:"updated_at" readonly:"true" validate:"required"`
	Version        int                     `json:"version" example:"1" readonly:"true" validate:"required"`
} // @name Collectivity

// CollectivityInput is the body of POST and PUT. department_code and
// region_code are derived from the official code for communes, EPCI,
// départements and régions (sent back unchanged, they are ignored), and
// given by the client for the other kinds.
type CollectivityInput struct {
	ID             *uuid.UUID              `json:"id,omitempty" format:"uuid"`
	Name           string                  `json:"name" validate:"required" example:"Ville de Longvic"`
	Kind           essdir.CollectivityKind `json:"kind" validate:"required"`
	INSEECode      string                  `json:"insee_code,omitempty" example:"21355"`
	SIREN          string                  `json:"siren,omitempty"`
	DepartmentCode string                  `json:"department_code,omitempty"`
	RegionCode     string                  `json:"region_code,omitempty"`
	Website        string                  `json:"website,omitempty"`
	Email          string                  `json:"email,omitempty"`
	Phone          string                  `json:"phone,omitempty"`
	Source         string                  `json:"source,omitempty"`
	ExternalID     string                  `json:"external_id,omitempty"`
	CreatedAt      *time.Time              `json:"created_at,omitempty"`
	UpdatedAt      *time.Time              `json:"updated_at,omitempty"`
	Version        *int                    `json:"version,omitempty"`
} // @name CollectivityInput

// CollectivityList is a page of collectivities.
type CollectivityList struct {
	Data []Collectivity `json:"data" validate:"required"`
	Meta ListMeta       `json:"meta" validate:"required"`
} // @name CollectivityList

func toCollectivity(c *essdir.Collectivity) Collectivity {
	return Collectivity{
		ID: c.ID, Name: c.Name, Kind: c.Kind, INSEECode: c.INSEECode, SIREN: c.SIREN,
		DepartmentCode: c.DepartmentCode, RegionCode: c.RegionCode, Website: c.Website, Email: c.Email,
		Phone: c.Phone, Source: c.Source, ExternalID: c.ExternalID,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Version: c.Version,
	}
}

func (in *CollectivityInput) nonNullable() []string { return []string{"kind"} }

func (in *CollectivityInput) toDomain() (*essdir.Collectivity, essdir.Echo, error) {
	c := &essdir.Collectivity{
		Name: in.Name, Kind: in.Kind, INSEECode: in.INSEECode, SIREN: in.SIREN,
		DepartmentCode: in.DepartmentCode, RegionCode: in.RegionCode, Website: in.Website, Email: in.Email,
		Phone: in.Phone, Source: in.Source, ExternalID: in.ExternalID,
	}
	return c, essdir.Echo{ID: in.ID, CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt, Version: in.Version}, nil
}
