package api

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/essdir/essdir/internal/essdir"
)

// Event is an event as the API shows it. starts_at and ends_at carry the
// offset of the event's time zone on that date.
type Event struct {
	ID              uuid.UUID            `json:"id" format:"uuid" readonly:"true" validate:"required"`
	Title           string               `json:"title" example:"Forum ESS et collectivités" validate:"required"`
	Description     string               `json:"description,omitempty"`
	StartsAt        time.Time            `json:"starts_at" example:"2024-11-28T14:00:00+01:00" validate:"required"`
	EndsAt          time.Time            `json:"ends_at" example:"2024-11-28T18:00:00+01:00" validate:"required"`
	Timezone        string               `json:"timezone" example:"Europe/Paris" validate:"required"`
	Venue           *Venue               `json:"venue,omitempty"`
	IsFree          *bool                `json:"is_free,omitempty"`
	PriceEUR        string               `json:"price_eur,omitempty" example:"12.50"`
	Audiences       []essdir.Audience    `json:"audiences" validate:"required"`
	Formats         []essdir.EventFormat `json:"formats" validate:"required"`
	Campaign        string               `json:"campaign,omitempty" example:"Mois de l'ESS"`
	Edition         *int                 `json:"edition,omitempty" example:"3" minimum:"1"`
	Organizers      []EventOrganizer     `json:"organizers" validate:"required"`
	Participants    []EventParticipant   `json:"participants" validate:"required"`
	RegistrationURL string               `json:"registration_url,omitempty" example:"https://www.rtes.fr/forum"`
	Status          essdir.EventStatus   `json:"status" validate:"required"`
	Source          string               `json:"source,omitempty" example:"rtes"`
	ExternalID      string               `json:"external_id,omitempty" example:"rtes-forum-2024"`
	CreatedAt       time.Time            `json:"created_at" readonly:"true" validate:"required"`
	UpdatedAt       time.Time            `json:"updated_at" readonly:"true" validate:"required"`
	Version         int                  `json:"version" example:"1" readonly:"true" validate:"required"`
} // @name Event

// Venue is where an event takes place; its département and région are
// derived from its address.
type Venue struct {
	Name           string    `json:"name,omitempty" example:"Maison des associations"`
	Street         string    `json:"street,omitempty" example:"2 rue des Corroyeurs"`
	PostalCode     string    `json:"postal_code,omitempty" example:"21000"`
	City           string    `json:"city,omitempty" example:"Dijon"`
	INSEECode      string    `json:"insee_code,omitempty" example:"21231"`
	DepartmentCode string    `json:"department_code,omitempty" example:"21" readonly:"true"`
	RegionCode     string    `json:"region_code,omitempty" example:"27" readonly:"true"`
	Location       *Location `json:"location,omitempty"`
} // @name Venue

// EventOrganizer names a structure or a collectivity of the directory:
// exactly one of the two.
type EventOrganizer struct {
	StructureID    *uuid.UUID `json:"structure_id,omitempty" format:"uuid"`
	CollectivityID *uuid.UUID `json:"collectivity_id,omitempty" format:"uuid"`
} // @name EventOrganizer

// EventParticipant is a structure taking part in an event.
type EventParticipant struct {
	StructureID uuid.UUID              `json:"structure_id" format:"uuid" validate:"required"`
	Role        essdir.ParticipantRole `json:"role" validate:"required"`
} // @name EventParticipant

// EventInput is the body of POST and PUT. It accepts what a GET returned:
// read-only fields are ignored when equal to the stored value.
type EventInput struct {
	ID              *uuid.UUID           `json:"id,omitempty" format:"uuid"`
	Title           string               `json:"title" example:"Forum ESS et collectivités" validate:"required"`
	Description     string               `json:"description,omitempty"`
	StartsAt        *time.Time           `json:"starts_at" example:"2024-11-28T14:00:00+01:00" validate:"required"`
	EndsAt          *time.Time           `json:"ends_at" example:"2024-11-28T18:00:00+01:00" validate:"required"`
	Timezone        string               `json:"timezone,omitempty" example:"Europe/Paris" default:"Europe/Paris"`
	Venue           *Venue               `json:"venue,omitempty"`
	IsFree          *bool                `json:"is_free,omitempty"`
	PriceEUR        string               `json:"price_eur,omitempty" example:"12.50"`
	Audiences       []essdir.Audience    `json:"audiences,omitempty"`
	Formats         []essdir.EventFormat `json:"formats,omitempty"`
	Campaign        string               `json:"campaign,omitempty"`
	Edition         *int                 `json:"edition,omitempty" minimum:"1"`
	Organizers      []EventOrganizer     `json:"organizers,omitempty"`
	Participants    []EventParticipant   `json:"participants,omitempty"`
	RegistrationURL string               `json:"registration_url,omitempty"`
	Status          essdir.EventStatus   `json:"status,omitempty"`
	Source          string               `json:"source,omitempty"`
	ExternalID      string               `json:"external_id,omitempty"`
	CreatedAt       *time.Time           `json:"created_at,omitempty"`
	UpdatedAt       *time.Time           `json:"updated_at,omitempty"`
	Version         *int                 `json:"version,omitempty"`
} // @name EventInput

// EventList is a page of events.
type EventList struct {
	Data []Event  `json:"data" validate:"required"`
	Meta ListMeta `json:"meta" validate:"required"`
} // @name EventList

// toEvent maps a domain event to its representation. Anonymous callers
// (all false) do not see organizers and participants that are not
// published structures: a draft structure is reached through no path.
func toEvent(e *essdir.Event, all bool) Event {
	zone, err := essdir.Zone(e.Timezone)
	if err != nil {
		zone = time.UTC
	}
	out := Event{
		ID: e.ID, Title: e.Title, Description: e.Description,
		StartsAt: e.StartsAt.In(zone), EndsAt: e.EndsAt.In(zone), Timezone: e.Timezone,
		IsFree: e.IsFree, PriceEUR: e.PriceEUR,
		Audiences: nonNil(e.Audiences), Formats: nonNil(e.Formats),
		Campaign: e.Campaign, Edition: e.Edition, RegistrationURL: e.RegistrationURL,
		Organizers: []EventOrganizer{}, Participants: []EventParticipant{},
		Status: e.Status, Source: e.Source, ExternalID: e.ExternalID,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt, Version: e.Version,
	}
	if v := e.Venue; v != (essdir.Venue{}) {
		out.Venue = &Venue{Name: v.Name, Street: v.Street, PostalCode: v.PostalCode, City: v.City,
			INSEECode: v.INSEECode, DepartmentCode: v.DepartmentCode, RegionCode: v.RegionCode}
		if v.Location != nil {
			lat, lon := v.Location.Lat, v.Location.Lon
			out.Venue.Location = &Location{Lat: &lat, Lon: &lon}
		}
	}
	for _, o := range e.Organizers {
		if o.Published || all {
			out.Organizers = append(out.Organizers, EventOrganizer{
				StructureID: optionalUUID(o.StructureID), CollectivityID: optionalUUID(o.CollectivityID)})
		}
	}
	for _, p := range e.Participants {
		if p.Published || all {
			out.Participants = append(out.Participants, EventParticipant{StructureID: p.StructureID, Role: p.Role})
		}
	}
	return out
}

func optionalUUID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

// nonNullable: status may be left out (kept) but not nulled.
func (in *EventInput) nonNullable() []string { return []string{"status"} }

// toDomain maps the body to the event it describes, with the read-only
// header values it echoed.
func (in *EventInput) toDomain() (*essdir.Event, essdir.Echo, error) {
	e := &essdir.Event{
		Title: in.Title, Description: in.Description, Timezone: in.Timezone,
		IsFree: in.IsFree, PriceEUR: in.PriceEUR, Audiences: in.Audiences, Formats: in.Formats,
		Campaign: in.Campaign, Edition: in.Edition, RegistrationURL: in.RegistrationURL,
		Status: in.Status, Source: in.Source, ExternalID: in.ExternalID,
		Organizers: make([]essdir.Organizer, len(in.Organizers)), Participants: make([]essdir.Participant, len(in.Participants)),
	}
	echoed := essdir.Echo{ID: in.ID, CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt, Version: in.Version}
	if in.StartsAt != nil {
		e.StartsAt = *in.StartsAt
	}
	if in.EndsAt != nil {
		e.EndsAt = *in.EndsAt
	}
	if v := in.Venue; v != nil {
		e.Venue = essdir.Venue{Name: v.Name, Street: v.Street, PostalCode: v.PostalCode, City: v.City,
			INSEECode: v.INSEECode, DepartmentCode: v.DepartmentCode, RegionCode: v.RegionCode}
		if l := v.Location; l != nil {
			var bad essdir.Violations
			if l.Lat == nil {
				bad.Add("venue.location.lat", "is required")
			}
			if l.Lon == nil {
				bad.Add("venue.location.lon", "is required")
			}
			if err := bad.Err(); err != nil {
				return nil, echoed, err
			}
			e.Venue.Location = &essdir.Location{Lat: *l.Lat, Lon: *l.Lon}
		}
	}
	var bad essdir.Violations
	for i, o := range in.Organizers {
		e.Organizers[i].StructureID = ref(&bad, fmt.Sprintf("organizers[%d].structure_id", i), o.StructureID)
		e.Organizers[i].CollectivityID = ref(&bad, fmt.Sprintf("organizers[%d].collectivity_id", i), o.CollectivityID)
	}
	for i, p := range in.Participants {
		e.Participants[i] = essdir.Participant{StructureID: p.StructureID, Role: p.Role}
	}
	if err := bad.Err(); err != nil {
		return nil, echoed, err
	}
	return e, echoed, nil
}
