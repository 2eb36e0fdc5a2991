package api

import (
	"time"

	"github.com/google/uuid"

	"github.com/essdir/essdir/internal/essdir"
)

// CollectivityLink is the support a collectivity gives a structure, as the
// API shows it. Dates are calendar dates; the amount is a decimal string.
type CollectivityLink struct {
	ID              uuid.UUID            `json:"id" format:"uuid" readonly:"true" validate:"required"`
	StructureID     uuid.UUID            `json:"structure_id" format:"uuid" validate:"required"`
	CollectivityID  uuid.UUID            `json:"collectivity_id" format:"uuid" validate:"required"`
	SupportKinds    []essdir.SupportKind `json:"support_kinds" validate:"required"`
	Description     string               `json:"description,omitempty" example:"Mise à disposition d'un terrain communal par bail rural"`
	AmountEUR       string               `json:"amount_eur,omitempty" example:"15000.00"`
	StartDate       string               `json:"start_date,omitempty" format:"date" example:"2024-01-01"`
	EndDate         string               `json:"end_date,omitempty" format:"date" example:"2026-12-31"`
	SupportSchemeID *uuid.UUID           `json:"support_scheme_id,omitempty" format:"uuid"`
	CreatedAt       time.Time            `json:"created_at" readonly:"true" validate:"required"`
	UpdatedAt       time.Time            `json:"updated_at" readonly:"true" validate:"required"`
	Version         int                  `json:"version" example:"1" readonly:"true" validate:"required"`
} // @name CollectivityLink

// CollectivityLinkInput is the body of POST and PUT. What a GET returned
// may be sent back: read-only fields are ignored when equal to the stored
// values. amount_eur is a string ("15000.00"): a JSON number is refused, so
// that no amount ever goes through a float.
type CollectivityLinkInput struct {
	ID              *uuid.UUID           `json:"id,omitempty" format:"uuid"`
	StructureID     uuid.UUID            `json:"structure_id" format:"uuid" validate:"required"`
	CollectivityID  uuid.UUID            `json:"collectivity_id" format:"uuid" validate:"required"`
	SupportKinds    []essdir.SupportKind `json:"support_kinds,omitempty"`
	Description     string               `json:"description,omitempty"`
	AmountEUR       string               `json:"amount_eur,omitempty" example:"15000.00"`
	StartDate       string               `json:"start_date,omitempty" format:"date" example:"2024-01-01"`
	EndDate         string               `json:"end_date,omitempty" format:"date" example:"2026-12-31"`
	SupportSchemeID *uuid.UUID           `json:"support_scheme_id,omitempty" format:"uuid"`
	CreatedAt       *time.Time           `json:"created_at,omitempty"`
	UpdatedAt       *time.Time           `json:"updated_at,omitempty"`
	Version         *int                 `json:"version,omitempty"`
} // @name CollectivityLinkInput

// CollectivityLinkList is a page of collectivity links.
type CollectivityLinkList struct {
	Data []CollectivityLink `json:"data" validate:"required"`
	Meta ListMeta           `json:"meta" validate:"required"`
} // @name CollectivityLinkList

func toCollectivityLink(l *essdir.CollectivityLink) CollectivityLink {
	return CollectivityLink{
		ID: l.ID, StructureID: l.StructureID, CollectivityID: l.CollectivityID,
		SupportKinds: nonNil(l.SupportKinds), Description: l.Description, AmountEUR: l.AmountEUR,
		StartDate: l.StartDate, EndDate: l.EndDate, SupportSchemeID: optionalUUID(l.SupportSchemeID),
		CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt, Version: l.Version,
	}
}

func (in *CollectivityLinkInput) nonNullable() []string { return nil }

func (in *CollectivityLinkInput) toDomain() (*essdir.CollectivityLink, essdir.Echo, error) {
	l := &essdir.CollectivityLink{
		StructureID: in.StructureID, CollectivityID: in.CollectivityID, SupportKinds: in.SupportKinds,
		Description: in.Description, AmountEUR: in.AmountEUR, StartDate: in.StartDate, EndDate: in.EndDate,
	}
	var bad essdir.Violations
	l.SupportSchemeID = ref(&bad, "support_scheme_id", in.SupportSchemeID)
	return l, essdir.Echo{ID: in.ID, CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt, Version: in.Version}, bad.Err()
}
