package essdir

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // IANA zones inside the binary: a distroless image has none

	"github.com/google/uuid"
)

// EventStatus is the state of an event. Events have no editorial state:
// every live event is public, a cancelled one included, so that calendars
// learn of the cancellation.
type EventStatus string // @name EventStatus

// Event statuses.
const (
	EventScheduled EventStatus = "scheduled"
	EventCancelled EventStatus = "cancelled"
	EventPostponed EventStatus = "postponed"
)

// Valid reports whether s is a known event status.
func (s EventStatus) Valid() bool {
	return s == EventScheduled || s == EventCancelled || s == EventPostponed
}

// ParticipantRole is what a structure does at an event.
type ParticipantRole string // @name ParticipantRole

// Participant roles.
const (
	ParticipantSpeaker   ParticipantRole = "speaker"
	ParticipantExhibitor ParticipantRole = "exhibitor"
	ParticipantModerator ParticipantRole = "moderator"
	ParticipantOrganizer ParticipantRole = "organizer"
)

// Valid reports whether r is a known participant role.
func (r ParticipantRole) Valid() bool {
	return r == ParticipantSpeaker || r == ParticipantExhibitor || r == ParticipantModerator || r == ParticipantOrganizer
}

// DefaultTimezone is the zone of an event that names none, and the zone in
// which a date filter ("2024-11-28") is a whole day.
const DefaultTimezone = "Europe/Paris"

// priceDigits is the most digits before the point of a price (the column
// is numeric(10, 2)).
const priceDigits = 8

// SortStartsAt orders events by start, the soonest first.
const SortStartsAt Sort = "starts_at"

// Venue is where an event takes place. DepartmentCode and RegionCode are
// derived from its address, as a structure's are.
type Venue struct {
	Name           string
	Street         string
	PostalCode     string
	City           string
	INSEECode      string
	DepartmentCode string
	RegionCode     string
	Location       *Location
}

// Organizer is a structure or a collectivity of the directory that
// organizes an event: exactly one of the two ids is set. Published is set by
// the store on reads (is the referenced record visible to anonymous
// readers?) and carried over by Derive; writes ignore it.
type Organizer struct {
	StructureID    uuid.UUID
	CollectivityID uuid.UUID
	Published      bool
}

// Participant is a structure taking part in an event, in one role.
// Published is as for Organizer.
type Participant struct {
	StructureID uuid.UUID
	Role        ParticipantRole
	Published   bool
}

// Event is a meeting of the directory's actors: a forum, a workshop, a
// round table. StartsAt and EndsAt are instants (UTC); Timezone is the zone
// they are shown in. Empty strings mean "not known".
type Event struct {
	Record
	Title           string
	Description     string
	StartsAt        time.Time
	EndsAt          time.Time
	Timezone        string
	Venue           Venue
	IsFree          *bool
	PriceEUR        string // a decimal with two digits after the point ("12.50")
	Audiences       []Audience
	Formats         []EventFormat
	Campaign        string
	Edition         *int
	Organizers      []Organizer
	Participants    []Participant
	RegistrationURL string
	Status          EventStatus
	Source          string
	ExternalID      string
}

// Derive puts every field in its stored form (NFC text, instants in UTC,
// the price with two decimals, duplicates removed), derives the venue's
// département and région and, on an update, keeps the status the write did
// not name.
func (e *Event) Derive(ctx context.Context, geo Geography, stored *Event, v *Violations) error {
	e.normalize()
	var was Event
	if stored != nil {
		was = *stored
		keepState(&e.Status, &stored.Status, EventScheduled)
	} else {
		keepState(&e.Status, nil, EventScheduled)
	}
	dept, region, err := Territory(ctx, geo, "venue", e.Venue.INSEECode, e.Venue.PostalCode, e.Venue.City, v)
	if err != nil {
		return err
	}
	e.Venue.DepartmentCode = derived(v, "venue.department_code", e.Venue.DepartmentCode, was.Venue.DepartmentCode, dept, "from the venue's address")
	e.Venue.RegionCode = derived(v, "venue.region_code", e.Venue.RegionCode, was.Venue.RegionCode, region, "from the venue's address")
	e.carryPublished(stored)
	return nil
}

func (e *Event) normalize() {
	e.Title = CleanText(e.Title)
	e.Description = CleanText(e.Description)
	// Instants as the database keeps them (microseconds, UTC), so that a
	// PUT of a GET body compares equal to the stored record.
	e.StartsAt = e.StartsAt.UTC().Truncate(time.Microsecond)
	e.EndsAt = e.EndsAt.UTC().Truncate(time.Microsecond)
	e.Timezone = strings.TrimSpace(e.Timezone)
	if e.Timezone == "" {
		e.Timezone = DefaultTimezone
	}
	vn := &e.Venue
	vn.Name, vn.Street, vn.City = CleanText(vn.Name), CleanText(vn.Street), CleanText(vn.City)
	vn.PostalCode = stripSpaces(vn.PostalCode)
	vn.INSEECode = strings.ToUpper(stripSpaces(vn.INSEECode))
	vn.DepartmentCode = strings.ToUpper(stripSpaces(vn.DepartmentCode))
	vn.RegionCode = stripSpaces(vn.RegionCode)
	e.PriceEUR = canonicalEuros(e.PriceEUR, priceDigits)
	e.Audiences = dedupe(e.Audiences, func(a Audience) Audience { return Audience(CleanText(string(a))) })
	e.Formats = dedupe(e.Formats, func(f EventFormat) EventFormat { return EventFormat(CleanText(string(f))) })
	e.Campaign = CleanText(e.Campaign)
	for i := range e.Organizers {
		e.Organizers[i].Published = false
	}
	for i := range e.Participants {
		p := &e.Participants[i]
		p.Role, p.Published = ParticipantRole(CleanText(string(p.Role))), false
	}
	e.RegistrationURL = CleanText(e.RegistrationURL)
	e.Source = strings.ToLower(CleanText(e.Source))
	e.ExternalID = CleanText(e.ExternalID)
}

// carryPublished copies the read-time visibility of each reference from the
// stored record, so that it never makes a write look like a change. A new
// reference is unknown (false) until read back.
func (e *Event) carryPublished(stored *Event) {
	if stored == nil {
		return
	}
	published := map[uuid.UUID]bool{}
	for _, o := range stored.Organizers {
		published[o.StructureID] = o.Published
		published[o.CollectivityID] = o.Published
	}
	for _, p := range stored.Participants {
		published[p.StructureID] = p.Published
	}
	delete(published, uuid.Nil)
	for i := range e.Organizers {
		o := &e.Organizers[i]
		o.Published = published[o.StructureID] || published[o.CollectivityID]
	}
	for i := range e.Participants {
		e.Participants[i].Published = published[e.Participants[i].StructureID]
	}
}

// Validate checks every rule and reports all broken ones at once.
func (e *Event) Validate() error {
	var v Violations
	checkText(&v, "title", e.Title, 200, true)
	checkText(&v, "description", e.Description, 20000, false)
	if e.StartsAt.IsZero() {
		v.Add("starts_at", "is required")
	}
	if e.EndsAt.IsZero() {
		v.Add("ends_at", "is required")
	}
	if !e.StartsAt.IsZero() && !e.EndsAt.IsZero() && e.EndsAt.Before(e.StartsAt) {
		v.Add("ends_at", "must not be before starts_at")
	}
	if _, err := Zone(e.Timezone); err != nil {
		v.Add("timezone", "must be an IANA time zone such as Europe/Paris")
	}
	e.validateVenue(&v)
	if checkEuros(&v, "price_eur", e.PriceEUR, priceDigits) && e.PriceEUR != "" &&
		e.IsFree != nil && *e.IsFree && e.PriceEUR != "0.00" {
		v.Add("price_eur", "must be empty or 0.00 when is_free is true")
	}
	checkCodes(&v, "audiences", e.Audiences, Audiences)
	checkCodes(&v, "formats", e.Formats, EventFormats)
	checkText(&v, "campaign", e.Campaign, 200, false)
	if e.Edition != nil && (*e.Edition < 1 || *e.Edition > 10000) {
		v.Add("edition", "must be an integer between 1 and 10000")
	}
	checkLen(&v, "organizers", len(e.Organizers), 50)
	seen := map[Organizer]bool{}
	for i, o := range e.Organizers {
		f := fmt.Sprintf("organizers[%d]", i)
		switch {
		case (o.StructureID == uuid.Nil) == (o.CollectivityID == uuid.Nil):
			v.Add(f, "must name exactly one of structure_id and collectivity_id")
		case seen[o]:
			v.Add(f, "is listed twice")
		}
		seen[o] = true
	}
	checkLen(&v, "participants", len(e.Participants), 200)
	twice := map[Participant]bool{}
	for i, p := range e.Participants {
		f := fmt.Sprintf("participants[%d]", i)
		if p.StructureID == uuid.Nil {
			v.Add(f+".structure_id", "is required")
		}
		switch {
		case !p.Role.Valid():
			v.Add(f+".role", "must be one of speaker, exhibitor, moderator, organizer")
		case twice[p]:
			v.Add(f, "is listed twice with this role")
		}
		twice[p] = true
	}
	if e.RegistrationURL != "" && !ValidWebURL(e.RegistrationURL) {
		v.Add("registration_url", "must be an absolute http or https URL")
	}
	if !e.Status.Valid() {
		v.Add("status", "must be one of scheduled, cancelled, postponed")
	}
	checkOrigin(&v, e.Source, e.ExternalID)
	return v.Err()
}

func (e *Event) validateVenue(v *Violations) {
	vn := e.Venue
	checkText(v, "venue.name", vn.Name, 200, false)
	checkText(v, "venue.street", vn.Street, 200, false)
	checkText(v, "venue.city", vn.City, 100, false)
	if l := vn.Location; l != nil {
		if !(l.Lat >= -90 && l.Lat <= 90) {
			v.Add("venue.location.lat", "must be between -90 and 90")
		}
		if !(l.Lon >= -180 && l.Lon <= 180) {
			v.Add("venue.location.lon", "must be between -180 and 180")
		}
	}
}

var zones sync.Map // name → *time.Location

// Zone returns the IANA time zone of that name. "Local" and names the
// tz database does not know are refused: an event's zone must mean the same
// on every server.
func Zone(name string) (*time.Location, error) {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, loc)
	return loc, nil
}

// Paris is the zone of date filters.
func Paris() *time.Location {
	loc, err := Zone(DefaultTimezone)
	if err != nil {
		panic(err) // time/tzdata is linked in: this cannot happen
	}
	return loc
}

// EventSorts are the orders of event lists; the first is the default.
var EventSorts = []Sort{SortStartsAt, SortUpdatedAtDesc}

// EventFilter selects events. From and To select the events that overlap
// [From, To): those ending at or after From and starting before To. Empty
// fields do not filter; several values in one field are alternatives.
type EventFilter struct {
	From            *time.Time
	To              *time.Time
	Statuses        []EventStatus
	DepartmentCodes []string
	Campaigns       []string
	Sources         []string
	UpdatedSince    *time.Time
	List
}

// EventService is what the transport needs from the store.
type EventService interface {
	FindEventByID(ctx context.Context, id uuid.UUID) (*Event, error)
	FindEvents(ctx context.Context, f EventFilter) (*Page[Event], error)
	CreateEvent(ctx context.Context, e *Event, echo Echo) error
	UpdateEvent(ctx context.Context, id uuid.UUID, change Change[Event]) (*Event, error)
	DeleteEvent(ctx context.Context, id uuid.UUID, check func(*Event) error) error
}
