package essdir_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/essdir/essdir/internal/essdir"
)

func validEvent() *essdir.Event {
	return &essdir.Event{
		Title:    " Forum ESS et collectivités ",
		StartsAt: time.Date(2024, 11, 28, 14, 0, 0, 123456789, essdir.Paris()),
		EndsAt:   time.Date(2024, 11, 28, 18, 0, 0, 0, essdir.Paris()),
		Venue:    essdir.Venue{PostalCode: "21 000", City: "Dijon"},
		PriceEUR: "7.5",
	}
}

func TestEventDerive(t *testing.T) {
	e := validEvent()
	var v essdir.Violations
	e.Derive(context.Background(), nil, nil, &v)
	if err := v.Err(); err != nil {
		t.Fatal(err)
	}
	if err := e.Validate(); err != nil {
		t.Fatal(err)
	}
	if e.Title != "Forum ESS et collectivités" || e.Timezone != "Europe/Paris" || e.Status != essdir.EventScheduled ||
		e.PriceEUR != "7.50" || e.Venue.DepartmentCode != "21" || e.Venue.RegionCode != "27" {
		t.Errorf("derived %+v", e)
	}
	if e.StartsAt.Location() != time.UTC || e.StartsAt.Nanosecond() != 123456000 {
		t.Errorf("starts_at = %v, want UTC to the microsecond", e.StartsAt)
	}
}

// TestEventStatusKept: an update never changes status unless it names one.
func TestEventStatusKept(t *testing.T) {
	stored := validEvent()
	stored.Status = essdir.EventCancelled
	next := validEvent()
	var v essdir.Violations
	next.Derive(context.Background(), nil, stored, &v)
	if next.Status != essdir.EventCancelled {
		t.Errorf("status = %q, want the stored cancelled", next.Status)
	}
	next = validEvent()
	next.Status = essdir.EventPostponed
	next.Derive(context.Background(), nil, stored, &v)
	if next.Status != essdir.EventPostponed {
		t.Errorf("status = %q, want the named postponed", next.Status)
	}
}

// TestEventPublishedCarried: the visibility the store read is carried to
// the same references, so that it never makes a write look like a change.
func TestEventPublishedCarried(t *testing.T) {
	kept, added := uuid.New(), uuid.New()
	stored := validEvent()
	stored.Organizers = []essdir.Organizer{{StructureID: kept, Published: true}}
	next := validEvent()
	next.Organizers = []essdir.Organizer{{StructureID: kept}, {StructureID: added}}
	var v essdir.Violations
	next.Derive(context.Background(), nil, stored, &v)
	if !next.Organizers[0].Published || next.Organizers[1].Published {
		t.Errorf("organizers = %+v", next.Organizers)
	}
}

func TestEventValidate(t *testing.T) {
	free := true
	zero := 0
	s := uuid.New()
	for name, tc := range map[string]struct {
		edit  func(*essdir.Event)
		field string
	}{
		"ErrTitleRequired":      {func(e *essdir.Event) { e.Title = "" }, "title"},
		"ErrEndsBeforeStarts":   {func(e *essdir.Event) { e.EndsAt = e.StartsAt.Add(-time.Minute) }, "ends_at"},
		"ErrUnknownZone":        {func(e *essdir.Event) { e.Timezone = "Mars/Olympus" }, "timezone"},
		"ErrPriceFormat":        {func(e *essdir.Event) { e.PriceEUR = "1,50" }, "price_eur"},
		"ErrPriceTooLarge":      {func(e *essdir.Event) { e.PriceEUR = "123456789" }, "price_eur"},
		"ErrFreeWithPrice":      {func(e *essdir.Event) { e.IsFree = &free }, "price_eur"},
		"ErrEdition":            {func(e *essdir.Event) { e.Edition = &zero }, "edition"},
		"ErrAudience":           {func(e *essdir.Event) { e.Audiences = []essdir.Audience{"aliens"} }, "audiences[0]"},
		"ErrFormat":             {func(e *essdir.Event) { e.Formats = []essdir.EventFormat{"rave"} }, "formats[0]"},
		"ErrOrganizerBoth":      {func(e *essdir.Event) { e.Organizers = []essdir.Organizer{{StructureID: s, CollectivityID: s}} }, "organizers[0]"},
		"ErrOrganizerTwice":     {func(e *essdir.Event) { e.Organizers = []essdir.Organizer{{StructureID: s}, {StructureID: s}} }, "organizers[1]"},
		"ErrParticipantRole":    {func(e *essdir.Event) { e.Participants = []essdir.Participant{{StructureID: s, Role: "dj"}} }, "participants[0].role"},
		"ErrRegistrationURL":    {func(e *essdir.Event) { e.RegistrationURL = "javascript:alert(1)" }, "registration_url"},
		"ErrExternalIDNoSource": {func(e *essdir.Event) { e.ExternalID = "x" }, "external_id"},
		"ErrVenueLocation":      {func(e *essdir.Event) { e.Venue.Location = &essdir.Location{Lat: 91} }, "venue.location.lat"},
	} {
		t.Run(name, func(t *testing.T) {
			e := validEvent()
			tc.edit(e)
			var v essdir.Violations
			e.Derive(context.Background(), nil, nil, &v)
			err := e.Validate()
			fe, ok := err.(*essdir.Error)
			if !ok || len(fe.Fields) != 1 || fe.Fields[0].Field != tc.field {
				t.Errorf("error = %v, want one on %s", err, tc.field)
			}
		})
	}
	t.Run("FreeAtZero", func(t *testing.T) {
		e := validEvent()
		e.IsFree, e.PriceEUR = &free, "0"
		var v essdir.Violations
		e.Derive(context.Background(), nil, nil, &v)
		if err := e.Validate(); err != nil || e.PriceEUR != "0.00" {
			t.Errorf("free at %q: %v", e.PriceEUR, err)
		}
	})
}

func TestZone(t *testing.T) {
	for _, name := range []string{"Europe/Paris", "America/Cayenne", "Indian/Reunion", "UTC"} {
		if _, err := essdir.Zone(name); err != nil {
			t.Errorf("Zone(%q): %v", name, err)
		}
	}
	for _, name := range []string{"", "Local", "Europe/Dijon", "../../etc/passwd"} {
		if _, err := essdir.Zone(name); err == nil {
			t.Errorf("Zone(%q) accepted", name)
		}
	}
}
