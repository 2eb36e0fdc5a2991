package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/essdir/essdir/internal/essdir"
)

// eventRow is the events table as GORM sees it. Organizers and participants
// live in their own tables (eventOrganizerRow, eventParticipantRow).
type eventRow struct {
	ID                  uuid.UUID      `gorm:"column:id;primaryKey"`
	Title               string         `gorm:"column:title"`
	Description         *string        `gorm:"column:description"`
	StartsAt            time.Time      `gorm:"column:starts_at"`
	EndsAt              time.Time      `gorm:"column:ends_at"`
	Timezone            string         `gorm:"column:timezone"`
	VenueName           *string        `gorm:"column:venue_name"`
	VenueStreet         *string        `gorm:"column:venue_street"`
	VenuePostalCode     *string        `gorm:"column:venue_postal_code"`
	VenueCity           *string        `gorm:"column:venue_city"`
	VenueINSEECode      *string        `gorm:"column:venue_insee_code"`
	VenueDepartmentCode *string        `gorm:"column:venue_department_code"`
	VenueRegionCode     *string        `gorm:"column:venue_region_code"`
	VenueLat            *float64       `gorm:"column:venue_lat"`
	VenueLon            *float64       `gorm:"column:venue_lon"`
	IsFree              *bool          `gorm:"column:is_free"`
	PriceEUR            *string        `gorm:"column:price_eur"` // numeric(10, 2), read and written as text
	Audiences           textArray      `gorm:"column:audiences;type:text[]"`
	Formats             textArray      `gorm:"column:formats;type:text[]"`
	Campaign            *string        `gorm:"column:campaign"`
	Edition             *int           `gorm:"column:edition"`
	RegistrationURL     *string        `gorm:"column:registration_url"`
	Status              string         `gorm:"column:status"`
	Source              *string        `gorm:"column:source"`
	ExternalID          *string        `gorm:"column:external_id"`
	CreatedAt           time.Time      `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt           time.Time      `gorm:"column:updated_at;autoUpdateTime:false"`
	Version             int            `gorm:"column:version"`
	DeletedAt           gorm.DeletedAt `gorm:"column:deleted_at"`
}

func (eventRow) TableName() string { return "events" }

// eventOrganizerRow and eventParticipantRow are the rows an event owns.
type eventOrganizerRow struct {
	EventID        uuid.UUID  `gorm:"column:event_id"`
	Position       int        `gorm:"column:position"`
	StructureID    *uuid.UUID `gorm:"column:structure_id"`
	CollectivityID *uuid.UUID `gorm:"column:collectivity_id"`
	Published      bool       `gorm:"column:published;->"` // read only: computed by loadEventChildren
}

type eventParticipantRow struct {
	EventID     uuid.UUID `gorm:"column:event_id"`
	Position    int       `gorm:"column:position"`
	StructureID uuid.UUID `gorm:"column:structure_id"`
	Role        string    `gorm:"column:role"`
	Published   bool      `gorm:"column:published;->"`
}

// eventColumns are the columns a write may set: an explicit allowlist.
var eventColumns = []string{
	"title", "description", "starts_at", "ends_at", "timezone", "venue_name", "venue_street",
	"venue_postal_code", "venue_city", "venue_insee_code", "venue_department_code",
	"venue_region_code", "venue_lat", "venue_lon", "is_free", "price_eur", "audiences", "formats",
	"campaign", "edition", "registration_url", "status", "source", "external_id", "updated_at", "version",
}

func toEventRow(e *essdir.Event) *eventRow {
	v := e.Venue
	r := &eventRow{
		ID: e.ID, Title: e.Title, Description: nullable(e.Description),
		StartsAt: e.StartsAt, EndsAt: e.EndsAt, Timezone: e.Timezone,
		VenueName: nullable(v.Name), VenueStreet: nullable(v.Street), VenuePostalCode: nullable(v.PostalCode),
		VenueCity: nullable(v.City), VenueINSEECode: nullable(v.INSEECode),
		VenueDepartmentCode: nullable(v.DepartmentCode), VenueRegionCode: nullable(v.RegionCode),
		IsFree: e.IsFree, PriceEUR: nullable(e.PriceEUR),
		Audiences: toStrings(e.Audiences), Formats: toStrings(e.Formats),
		Campaign: nullable(e.Campaign), Edition: e.Edition, RegistrationURL: nullable(e.RegistrationURL),
		Status: string(e.Status), Source: nullable(e.Source), ExternalID: nullable(e.ExternalID),
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt, Version: e.Version,
	}
	if v.Location != nil {
		r.VenueLat, r.VenueLon = &v.Location.Lat, &v.Location.Lon
	}
	return r
}

func (r *eventRow) toDomain() *essdir.Event {
	e := &essdir.Event{
		Record: essdir.Record{ID: r.ID, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Version: r.Version},
		Title:  r.Title, Description: deref(r.Description),
		StartsAt: r.StartsAt.UTC(), EndsAt: r.EndsAt.UTC(), Timezone: r.Timezone,
		Venue: essdir.Venue{Name: deref(r.VenueName), Street: deref(r.VenueStreet),
			PostalCode: deref(r.VenuePostalCode), City: deref(r.VenueCity), INSEECode: deref(r.VenueINSEECode),
			DepartmentCode: deref(r.VenueDepartmentCode), RegionCode: deref(r.VenueRegionCode)},
		IsFree: r.IsFree, PriceEUR: deref(r.PriceEUR),
		Audiences: fromStrings[essdir.Audience](r.Audiences), Formats: fromStrings[essdir.EventFormat](r.Formats),
		Campaign: deref(r.Campaign), Edition: r.Edition, RegistrationURL: deref(r.RegistrationURL),
		Status: essdir.EventStatus(r.Status), Source: deref(r.Source), ExternalID: deref(r.ExternalID),
		Organizers: []essdir.Organizer{}, Participants: []essdir.Participant{},
	}
	if r.VenueLat != nil && r.VenueLon != nil {
		e.Venue.Location = &essdir.Location{Lat: *r.VenueLat, Lon: *r.VenueLon}
	}
	return e
}

// events is how events are stored: the shared helpers of records.go, plus
// the hooks of the organizer and participant rows.
var events = &table[essdir.Event, eventRow]{
	name:     "events",
	kind:     "event",
	columns:  eventColumns,
	toRow:    toEventRow,
	toDomain: (*eventRow).toDomain,
	sorts: []sortSpec[eventRow]{
		{essdir.SortStartsAt, []sortKey[eventRow]{
			timeKey("starts_at", false, func(r *eventRow) time.Time { return r.StartsAt }),
			idKey(false, func(r *eventRow) uuid.UUID { return r.ID }),
		}},
		{essdir.SortUpdatedAtDesc, []sortKey[eventRow]{
			timeKey("updated_at", true, func(r *eventRow) time.Time { return r.UpdatedAt }),
			idKey(true, func(r *eventRow) uuid.UUID { return r.ID }),
		}},
	},
	checkRefs:    checkEventRefs,
	saveChildren: saveEventChildren,
	loadChildren: loadEventChildren,
}

// checkEventRefs answers 422, naming each field, when an organizer or a
// participant is not a live record of the directory.
func checkEventRefs(tx *gorm.DB, e *essdir.Event) error {
	var refs []ref
	for i, o := range e.Organizers {
		f := fmt.Sprintf("organizers[%d]", i)
		refs = append(refs,
			ref{f + ".structure_id", "structures", "structure", o.StructureID},
			ref{f + ".collectivity_id", "collectivities", "collectivity", o.CollectivityID})
	}
	for i, p := range e.Participants {
		refs = append(refs, ref{fmt.Sprintf("participants[%d].structure_id", i), "structures", "structure", p.StructureID})
	}
	return checkLive(tx, refs...)
}

// saveEventChildren replaces the organizer and participant rows of e.
func saveEventChildren(tx *gorm.DB, e *essdir.Event) error {
	for _, t := range []string{"event_organizers", "event_participants"} {
		if err := tx.Table(t).Where("event_id = ?", e.ID).Delete(nil).Error; err != nil {
			return translate(err)
		}
	}
	if len(e.Organizers) > 0 {
		rows := make([]eventOrganizerRow, len(e.Organizers))
		for i, o := range e.Organizers {
			rows[i] = eventOrganizerRow{EventID: e.ID, Position: i, StructureID: optionalID(o.StructureID),
				CollectivityID: optionalID(o.CollectivityID)}
		}
		if err := tx.Table("event_organizers").Create(&rows).Error; err != nil {
			return translate(err)
		}
	}
	if len(e.Participants) > 0 {
		rows := make([]eventParticipantRow, len(e.Participants))
		for i, p := range e.Participants {
			rows[i] = eventParticipantRow{EventID: e.ID, Position: i, StructureID: p.StructureID, Role: string(p.Role)}
		}
		if err := tx.Table("event_participants").Create(&rows).Error; err != nil {
			return translate(err)
		}
	}
	return nil
}

func optionalID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

// loadEventChildren reads the organizers and participants of a batch of
// events: one query per table for the whole batch. References to deleted
// records are left out for every caller (never dangling); each kept one
// says whether anonymous readers may see it (a structure must be
// published; collectivities are public), for the transport to filter.
func loadEventChildren(db *gorm.DB, recs []*essdir.Event) error {
	ids := make([]uuid.UUID, len(recs))
	byID := make(map[uuid.UUID]*essdir.Event, len(recs))
	for i, e := range recs {
		ids[i], byID[e.ID] = e.ID, e
		e.Organizers, e.Participants = []essdir.Organizer{}, []essdir.Participant{}
	}
	var orgs []eventOrganizerRow
	err := db.Raw(`SELECT o.event_id, o.position, o.structure_id, o.collectivity_id,
		       COALESCE(s.status = 'published', true) AS published
		  FROM event_organizers o
		  LEFT JOIN structures s ON s.id = o.structure_id
		  LEFT JOIN collectivities c ON c.id = o.collectivity_id
		 WHERE o.event_id IN ? AND s.deleted_at IS NULL AND c.deleted_at IS NULL
		 ORDER BY o.event_id, o.position`, ids).Scan(&orgs).Error
	if err != nil {
		return err
	}
	for _, o := range orgs {
		e := byID[o.EventID]
		org := essdir.Organizer{Published: o.Published}
		if o.StructureID != nil {
			org.StructureID = *o.StructureID
		}
		if o.CollectivityID != nil {
			org.CollectivityID = *o.CollectivityID
		}
		e.Organizers = append(e.Organizers, org)
	}
	var parts []eventParticipantRow
	err = db.Raw(`SELECT p.event_id, p.position, p.structure_id, p.role, s.status = 'published' AS published
		  FROM event_participants p
		  JOIN structures s ON s.id = p.structure_id
		 WHERE p.event_id IN ? AND s.deleted_at IS NULL
		 ORDER BY p.event_id, p.position`, ids).Scan(&parts).Error
	if err != nil {
		return err
	}
	for _, p := range parts {
		e := byID[p.EventID]
		e.Participants = append(e.Participants, essdir.Participant{StructureID: p.StructureID,
			Role: essdir.ParticipantRole(p.Role), Published: p.Published})
	}
	return nil
}

// FindEventByID returns a live event with its organizers and participants.
func (s *Store) FindEventByID(ctx context.Context, id uuid.UUID) (*essdir.Event, error) {
	return findByID(ctx, s, events, id)
}

// CreateEvent applies the write rule to e, gives it its id and timestamps,
// and inserts it with its organizers and participants.
func (s *Store) CreateEvent(ctx context.Context, e *essdir.Event, echo essdir.Echo) error {
	return create(ctx, s, events, e, echo)
}

// UpdateEvent locks the live event, lets change build its new state and
// stores it under the write rule.
func (s *Store) UpdateEvent(ctx context.Context, id uuid.UUID, change essdir.Change[essdir.Event]) (*essdir.Event, error) {
	return update(ctx, s, events, id, change)
}

// DeleteEvent soft-deletes a live event after check approves it. Its
// organizer and participant rows stay with the tombstone.
func (s *Store) DeleteEvent(ctx context.Context, id uuid.UUID, check func(*essdir.Event) error) error {
	return softDelete(ctx, s, events, id, check)
}

// FindEvents returns one page of live events matching f, in keyset order.
func (s *Store) FindEvents(ctx context.Context, f essdir.EventFilter) (*essdir.Page[essdir.Event], error) {
	return findPage(eventFilterQuery(s.db.WithContext(ctx), f), events, f.List)
}

// eventFilterQuery adds f's conditions. Values are always bound parameters;
// column names come from this code only.
func eventFilterQuery(q *gorm.DB, f essdir.EventFilter) *gorm.DB {
	// Overlap with [From, To), both ends read alike: the event [starts_at,
	// ends_at) started before To and ends after From — an event that ends
	// exactly at From is over, as one that starts exactly at To has not
	// begun; an event of no duration counts where it happens.
	q = (&filter{q: q}).
		in("status", toStrings(f.Statuses)).
		in("venue_department_code", f.DepartmentCodes).
		in("source", f.Sources).
		inFolded("campaign", f.Campaigns).
		before("starts_at", f.To).
		since("updated_at", f.UpdatedSince).q
	if f.From != nil {
		q = q.Where("(ends_at > ? OR starts_at >= ?)", *f.From, *f.From)
	}
	return q
}
