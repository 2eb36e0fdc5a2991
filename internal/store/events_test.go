package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/essdir/essdir/internal/essdir"
)

// forum is the Forum ESS et collectivités of 28 November 2024 in Dijon,
// from the forum report, in the given source.
func forum(source string) *essdir.Event {
	paris := essdir.Paris()
	free := false
	edition := 3
	return &essdir.Event{
		Title:     "Forum ESS et collectivités",
		StartsAt:  time.Date(2024, 11, 28, 14, 0, 0, 0, paris),
		EndsAt:    time.Date(2024, 11, 28, 18, 0, 0, 0, paris),
		Venue:     essdir.Venue{Name: "Maison des associations", City: "Dijon", PostalCode: "21000", INSEECode: "21231", Location: &essdir.Location{Lat: 47.322, Lon: 5.041}},
		IsFree:    &free,
		PriceEUR:  "12.5",
		Audiences: []essdir.Audience{essdir.AudienceLocalOfficials, essdir.AudienceESSActors},
		Formats:   []essdir.EventFormat{essdir.FormatForum, essdir.FormatRoundTable},
		Campaign:  "Mois de l'ESS",
		Edition:   &edition,
		Source:    source,
	}
}

func createStructure(tb testing.TB, ctx context.Context, st interface {
	CreateStructure(context.Context, *essdir.Structure, essdir.Echo) error
}, source string, status essdir.Status) uuid.UUID {
	tb.Helper()
	s := boucle(source)
	s.Name, s.Status = "La Boucle "+newTag("ev"), status
	if err := st.CreateStructure(ctx, s, essdir.Echo{}); err != nil {
		tb.Fatal(err)
	}
	return s.ID
}

func TestEventRoundTrip(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	tag := newTag("evrt")
	published := createStructure(t, ctx, st, tag, essdir.StatusPublished)
	draft := createStructure(t, ctx, st, tag, essdir.StatusDraft)
	e := forum(tag)
	e.Organizers = []essdir.Organizer{{StructureID: published}, {StructureID: draft}}
	e.Participants = []essdir.Participant{{StructureID: draft, Role: essdir.ParticipantSpeaker}, {StructureID: published, Role: essdir.ParticipantExhibitor}}
	if err := st.CreateEvent(ctx, e, essdir.Echo{}); err != nil {
		t.Fatal(err)
	}
	got, err := st.FindEventByID(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.PriceEUR != "12.50" || got.Status != essdir.EventScheduled || got.Timezone != "Europe/Paris" ||
		got.Venue.DepartmentCode != "21" || got.Venue.RegionCode != "27" || *got.Edition != 3 {
		t.Errorf("got %+v", got)
	}
	if !got.StartsAt.Equal(e.StartsAt) || got.StartsAt.Location() != time.UTC {
		t.Errorf("starts_at = %v, want %v in UTC", got.StartsAt, e.StartsAt)
	}
	wantOrgs := []essdir.Organizer{{StructureID: published, Published: true}, {StructureID: draft, Published: false}}
	if len(got.Organizers) != 2 || got.Organizers[0] != wantOrgs[0] || got.Organizers[1] != wantOrgs[1] {
		t.Errorf("organizers = %+v, want %+v", got.Organizers, wantOrgs)
	}
	if len(got.Participants) != 2 || got.Participants[0].Published || !got.Participants[1].Published {
		t.Errorf("participants = %+v", got.Participants)
	}

	// The same record written again changes nothing.
	same, err := st.UpdateEvent(ctx, e.ID, func(stored *essdir.Event) (*essdir.Event, essdir.Echo, error) {
		next := *stored
		next.Organizers = append([]essdir.Organizer(nil), stored.Organizers...)
		next.Participants = append([]essdir.Participant(nil), stored.Participants...)
		for i := range next.Organizers {
			next.Organizers[i].Published = false // as a client sends them
		}
		next.Status = ""
		return &next, essdir.Echo{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if same.Version != 1 || same.Status != essdir.EventScheduled {
		t.Errorf("a no-op update made version %d, status %q", same.Version, same.Status)
	}
}

// TestEventDeletedReferencesLeftOut: a deleted structure disappears from
// the events that named it, for every caller.
func TestEventDeletedReferencesLeftOut(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	tag := newTag("evdel")
	gone := createStructure(t, ctx, st, tag, essdir.StatusPublished)
	kept := createStructure(t, ctx, st, tag, essdir.StatusPublished)
	e := forum(tag)
	e.Organizers = []essdir.Organizer{{StructureID: gone}, {StructureID: kept}}
	e.Participants = []essdir.Participant{{StructureID: gone, Role: essdir.ParticipantSpeaker}}
	if err := st.CreateEvent(ctx, e, essdir.Echo{}); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteStructure(ctx, gone, nil); err != nil {
		t.Fatal(err)
	}
	got, err := st.FindEventByID(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Organizers) != 1 || got.Organizers[0].StructureID != kept || len(got.Participants) != 0 {
		t.Errorf("organizers %+v participants %+v", got.Organizers, got.Participants)
	}
}

func TestEventReferencesMustBeLive(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	tag := newTag("evref")
	e := forum(tag)
	e.Organizers = []essdir.Organizer{{CollectivityID: uuid.New()}}
	e.Participants = []essdir.Participant{{StructureID: uuid.New(), Role: essdir.ParticipantSpeaker}}
	err := st.CreateEvent(ctx, e, essdir.Echo{})
	wantCode(t, err, essdir.EINVALID)
	fields := map[string]bool{}
	for _, f := range err.(*essdir.Error).Fields {
		fields[f.Field] = true
	}
	if !fields["organizers[0].collectivity_id"] || !fields["participants[0].structure_id"] || len(fields) != 2 {
		t.Errorf("fields = %v", fields)
	}
}

// TestEventFilters: from and to select the events overlapping the
// interval; the other filters narrow it.
func TestEventFilters(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	tag := newTag("evf")
	paris := essdir.Paris()
	at := func(day, hour int) time.Time { return time.Date(2024, 11, day, hour, 0, 0, 0, paris) }
	mk := func(title string, start, end time.Time, status essdir.EventStatus, dept string) *essdir.Event {
		e := forum(tag)
		e.Title, e.StartsAt, e.EndsAt, e.Status = title, start, end, status
		if dept == "75" {
			e.Venue = essdir.Venue{City: "Paris", PostalCode: "75001"}
		}
		if err := st.CreateEvent(ctx, e, essdir.Echo{}); err != nil {
			t.Fatal(err)
		}
		return e
	}
	mk("a", at(27, 9), at(27, 12), essdir.EventScheduled, "21")
	mk("b", at(27, 20), at(28, 10), essdir.EventCancelled, "21") // spans midnight
	mk("c", at(28, 14), at(28, 18), essdir.EventScheduled, "75")
	mk("d", at(29, 9), at(30, 18), essdir.EventPostponed, "21")
	mk("e", at(30, 20), at(30, 20), essdir.EventScheduled, "21") // no duration

	titles := func(f essdir.EventFilter) string {
		t.Helper()
		f.Sources, f.Limit = []string{tag}, 100
		page, err := st.FindEvents(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		out := ""
		for _, e := range page.Items {
			out += e.Title
		}
		return out
	}
	ptr := func(t time.Time) *time.Time { return &t }
	for name, tc := range map[string]struct {
		f    essdir.EventFilter
		want string
	}{
		"All":             {essdir.EventFilter{}, "abcde"},
		"FromExclusive":   {essdir.EventFilter{From: ptr(at(28, 10))}, "cde"}, // b ends at 10:00
		"InstantAtFrom":   {essdir.EventFilter{From: ptr(at(30, 20))}, "e"},
		"InstantAtTo":     {essdir.EventFilter{From: ptr(at(30, 19)), To: ptr(at(30, 20))}, ""},
		"Day28":           {essdir.EventFilter{From: ptr(at(28, 0)), To: ptr(at(29, 0))}, "bc"},
		"FromOnly":        {essdir.EventFilter{From: ptr(at(28, 11))}, "cde"},
		"ToExclusive":     {essdir.EventFilter{To: ptr(at(28, 14))}, "ab"},
		"Status":          {essdir.EventFilter{Statuses: []essdir.EventStatus{essdir.EventCancelled, essdir.EventPostponed}}, "bd"},
		"Department":      {essdir.EventFilter{DepartmentCodes: []string{"75"}}, "c"},
		"CampaignNoCase":  {essdir.EventFilter{Campaigns: []string{"mois de l'ess"}}, "abcde"},
		"CampaignMissing": {essdir.EventFilter{Campaigns: []string{"autre"}}, ""},
		"UpdatedSince":    {essdir.EventFilter{UpdatedSince: ptr(time.Now().Add(time.Hour))}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			if got := titles(tc.f); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestEventKeysetWalk: pages of one under each sort see every event once,
// in order.
func TestEventKeysetWalk(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	tag := newTag("evwalk")
	start := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := range 5 {
		e := forum(tag)
		// Two events share a start: the id breaks the tie.
		e.StartsAt = start.Add(time.Duration(i/2) * time.Hour)
		e.EndsAt = e.StartsAt.Add(time.Hour)
		if err := st.CreateEvent(ctx, e, essdir.Echo{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, sort := range essdir.EventSorts {
		t.Run(string(sort), func(t *testing.T) {
			f := essdir.EventFilter{Sources: []string{tag}, List: essdir.List{Sort: sort, Limit: 1}}
			var seen []*essdir.Event
			for range 10 {
				page, err := st.FindEvents(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				seen = append(seen, page.Items...)
				if page.NextCursor == "" {
					break
				}
				f.Cursor = page.NextCursor
			}
			if len(seen) != 5 {
				t.Fatalf("walked %d events, want 5", len(seen))
			}
			for i := 1; i < len(seen); i++ {
				a, b := seen[i-1], seen[i]
				ok := a.StartsAt.Before(b.StartsAt) || (a.StartsAt.Equal(b.StartsAt) && a.ID.String() < b.ID.String())
				if sort == essdir.SortUpdatedAtDesc {
					ok = a.UpdatedAt.After(b.UpdatedAt) || (a.UpdatedAt.Equal(b.UpdatedAt) && a.ID.String() > b.ID.String())
				}
				if !ok || a.ID == b.ID {
					t.Errorf("out of order at %d", i)
				}
			}
		})
	}
}
