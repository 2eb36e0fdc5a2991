package api

import (
	"time"

	"github.com/google/uuid"

	"github.com/essdir/essdir/internal/essdir"
)

// Activity is an activity as the API shows it.
type Activity struct {
	ID          uuid.UUID         `json:"id" format:"uuid" readonly:"true" validate:"required"`
	StructureID uuid.UUID         `json:"structure_id" format:"uuid" validate:"required"`
	Name        string            `json:"name" example:"Ateliers de réparation de vélos" validate:"required"`
	Description string            `json:"description,omitempty"`
	Sectors     []essdir.Sector   `json:"sectors" validate:"required"`
	Audiences   []essdir.Audience `json:"audiences" validate:"required"`
	CreatedAt   time.Time         `json:"created_at" readonly:"true" validate:"required"`
	UpdatedAt   time.Time         `json:"updated_at" readonly:"true" validate:"required"`
	Version     int               `json:"version" example:"1" readonly:"true" validate:"required"`
} // @name Activity

// ActivityInput is the body of POST and PUT. What a GET returned may be sent
// back: read-only fields are ignored when equal to the stored values. On
// PUT an omitted structure_id keeps the stored one.
type ActivityInput struct {
	ID          *uuid.UUID        `json:"id,omitempty" format:"uuid"`
	StructureID *uuid.UUID        `json:"structure_id,omitempty" format:"uuid"`
	Name        string            `json:"name" validate:"required" example:"Ateliers de réparation de vélos"`
	Description string            `json:"description,omitempty"`
	Sectors     []essdir.Sector   `json:"sectors,omitempty"`
	Audiences   []essdir.Audience `json:"audiences,omitempty"`
	CreatedAt   *time.Time        `json:"created_at,omitempty"`
	UpdatedAt   *time.Time        `json:"updated_at,omitempty"`
	Version     *int              `json:"version,omitempty"`
} // @name ActivityInput

// ActivityList is a page of activities.
type ActivityList struct {
	Data []Activity `json:"data" validate:"required"`
	Meta ListMeta   `json:"meta" validate:"required"`
} // @name ActivityList

func toActivity(a *essdir.Activity) Activity {
	return Activity{
		ID: a.ID, StructureID: a.StructureID, Name: a.Name, Description: a.Description,
		Sectors: nonNil(a.Sectors), Audiences: nonNil(a.Audiences),
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, Version: a.Version,
	}
}

// nonNullable: an activity left without its structure keeps it; one set to
// none is refused.
func (in *ActivityInput) nonNullable() []string { return []string{"structure_id"} }

func (in *ActivityInput) toDomain() (*essdir.Activity, essdir.Echo, error) {
	a := &essdir.Activity{Name: in.Name, Description: in.Description, Sectors: in.Sectors, Audiences: in.Audiences}
	var bad essdir.Violations
	a.StructureID = ref(&bad, "structure_id", in.StructureID)
	return a, essdir.Echo{ID: in.ID, CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt, Version: in.Version}, bad.Err()
}
