package store_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/essdir/essdir/internal/benchdata"
	"github.com/essdir/essdir/internal/essdir"
	"github.com/essdir/essdir/internal/store"
)

// lastSeq is the highest seq of the feed so far, to read only what a test adds.
func lastSeq(tb testing.TB, st *store.Store) int64 {
	tb.Helper()
	var after int64
	for {
		page, err := st.Changes(context.Background(), after, 1000, nil)
		if err != nil {
			tb.Fatal(err)
		}
		if len(page) == 0 {
			return after
		}
		after = page[len(page)-1].Seq
	}
}

// feedSince reads every entry after seq after.
func feedSince(tb testing.TB, st *store.Store, after int64, types ...string) []essdir.FeedEntry {
	tb.Helper()
	var out []essdir.FeedEntry
	for {
		page, err := st.Changes(context.Background(), after, 1000, types)
		if err != nil {
			tb.Fatal(err)
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
		after = page[len(page)-1].Seq
	}
}

func TestFeedUnchangedWriteEmitsNothing(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	s := boucle(newTag("feed"))
	if err := st.CreateStructure(ctx, s, essdir.Echo{}); err != nil {
		t.Fatal(err)
	}
	after := lastSeq(t, st)
	if _, err := st.UpdateStructure(ctx, s.ID, edit(func(*essdir.Structure) error { return nil })); err != nil {
		t.Fatal(err)
	}
	if got := feedSince(t, st, after); len(got) != 0 {
		t.Fatalf("an unchanged write emitted %+v", got)
	}
	if _, err := st.UpdateStructure(ctx, s.ID, edit(func(n *essdir.Structure) error { n.Summary = "Ressourcerie"; return nil })); err != nil {
		t.Fatal(err)
	}
	got := feedSince(t, st, after)
	if len(got) != 1 || got[0].ID != s.ID || got[0].Action != essdir.ChangeUpsert || got[0].Type != "structure" {
		t.Fatalf("a real change emitted %+v, want one structure upsert", got)
	}
}

func TestFeedCascadeTombstones(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	s := boucle(newTag("cascade"))
	if err := st.CreateStructure(ctx, s, essdir.Echo{}); err != nil {
		t.Fatal(err)
	}
	var acts []uuid.UUID
	for _, name := range []string{"Atelier vélo", "Recyclerie"} {
		a := &essdir.Activity{StructureID: s.ID, Name: name}
		if err := st.CreateActivity(ctx, a, essdir.Echo{}); err != nil {
			t.Fatal(err)
		}
		acts = append(acts, a.ID)
	}
	after := lastSeq(t, st)
	if err := st.DeleteStructure(ctx, s.ID, nil); err != nil {
		t.Fatal(err)
	}
	got := feedSince(t, st, after)
	want := map[uuid.UUID]string{s.ID: "structure", acts[0]: "activity", acts[1]: "activity"}
	if len(got) != len(want) {
		t.Fatalf("feed after the delete = %+v, want 3 tombstones", got)
	}
	for _, e := range got {
		if want[e.ID] != e.Type || e.Action != essdir.ChangeDelete {
			t.Errorf("unexpected entry %+v", e)
		}
	}
	if only := feedSince(t, st, after, "activity"); len(only) != 2 {
		t.Errorf("types=activity gave %+v", only)
	}
}

// TestFeedNoGapUnderConcurrentWriters runs writers that create, change and
// delete structures and activities while pollers follow the feed; every
// commit is slowed down at random after its feed entry is written, the
// window in which a naive feed lets a later seq overtake an earlier one.
// Each poller must see every seq exactly once, in order, and the state
// folded from the feed must be the database's.
func TestFeedNoGapUnderConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, testDSN, store.Options{MaxOpenConns: 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	st.SetBeforeCommit(func() { time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond) })
	start := lastSeq(t, st)
	source := newTag("race")

	const writers, pollers, rounds = 4, 3, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers+pollers)
	for w := range writers {
		wg.Go(func() {
			for r := range rounds {
				s := boucle(source)
				s.Name = fmt.Sprintf("Race %d-%d", w, r)
				s.Contacts = nil
				if err := st.CreateStructure(ctx, s, essdir.Echo{}); err != nil {
					errs <- err
					return
				}
				a := &essdir.Activity{StructureID: s.ID, Name: "Atelier"}
				if err := st.CreateActivity(ctx, a, essdir.Echo{}); err != nil {
					errs <- err
					return
				}
				if _, err := st.UpdateStructure(ctx, s.ID, edit(func(n *essdir.Structure) error { n.Summary = "v2"; return nil })); err != nil {
					errs <- err
					return
				}
				if r%3 == 0 {
					if err := st.DeleteStructure(ctx, s.ID, nil); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	done := make(chan struct{})
	seen := make([][]essdir.FeedEntry, pollers)
	var pollWG sync.WaitGroup
	for p := range pollers {
		pollWG.Go(func() {
			after, finished := start, false
			for {
				page, err := st.Changes(ctx, after, 7+p, nil)
				if err != nil {
					errs <- err
					return
				}
				for _, e := range page {
					seen[p] = append(seen[p], e)
					after = e.Seq
				}
				if len(page) == 0 {
					if finished {
						return // writers done and the feed read to its end
					}
					select {
					case <-done:
						finished = true
					case <-time.After(time.Millisecond):
					}
				}
			}
		})
	}
	wg.Wait()
	close(done)
	pollWG.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	all := feedSince(t, st, start)
	deletes := writers * ((rounds + 2) / 3) // every third round, from r = 0
	if want := writers*rounds*3 + deletes*2; len(all) != want {
		// a structure, its activity and an update per round, plus a
		// structure and an activity tombstone per delete
		t.Fatalf("the feed has %d entries, want %d", len(all), want)
	}
	for p, got := range seen {
		if len(got) != len(all) {
			t.Fatalf("poller %d saw %d entries, the feed has %d: a change was skipped", p, len(got), len(all))
		}
		for i := range got {
			if got[i].Seq != all[i].Seq {
				t.Fatalf("poller %d: entry %d is seq %d, want %d", p, i, got[i].Seq, all[i].Seq)
			}
		}
	}

	// The state folded from the feed is the database's: a record is live
	// exactly when its last entry is an upsert.
	last := map[uuid.UUID]essdir.ChangeAction{}
	for _, e := range seen[0] {
		last[e.ID] = e.Action
	}
	page, err := st.FindStructures(ctx, essdir.StructureFilter{Sources: []string{source}, List: essdir.List{Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	live := map[uuid.UUID]bool{}
	for _, s := range page.Items {
		live[s.ID] = true
	}
	acts, err := st.ActivitiesOf(ctx, slices.Collect(maps.Keys(last)))
	if err != nil {
		t.Fatal(err)
	}
	for _, list := range acts {
		for _, a := range list {
			live[a.ID] = true
		}
	}
	if wantLive := (writers*rounds - deletes) * 2; len(live) != wantLive {
		t.Errorf("%d live records, want %d", len(live), wantLive)
	}
	for id, action := range last {
		if (action == essdir.ChangeUpsert) != live[id] {
			t.Errorf("record %s: last feed entry %s, live in the database %v", id, action, live[id])
		}
	}
}

// TestFeedAnnouncesWhatADeleteChangesElsewhere: an event and a support
// scheme that name a deleted structure stop showing it; they get a new
// version and an upsert in the feed, so a mirror learns of it.
func TestFeedAnnouncesWhatADeleteChangesElsewhere(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	s := boucle(newTag("named"))
	if err := st.CreateStructure(ctx, s, essdir.Echo{}); err != nil {
		t.Fatal(err)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	ev := &essdir.Event{Title: "Forum", StartsAt: time.Date(2024, 11, 28, 14, 0, 0, 0, paris), EndsAt: time.Date(2024, 11, 28, 18, 0, 0, 0, paris),
		Organizers:   []essdir.Organizer{{StructureID: s.ID}},
		Participants: []essdir.Participant{{StructureID: s.ID, Role: essdir.ParticipantSpeaker}}}
	if err := st.CreateEvent(ctx, ev, essdir.Echo{}); err != nil {
		t.Fatal(err)
	}
	sc := &essdir.SupportScheme{Name: "Dispositif " + s.Source, OperatorStructureID: s.ID, Beneficiaries: []essdir.Beneficiary{{StructureID: s.ID}}}
	if err := st.CreateSupportScheme(ctx, sc, essdir.Echo{}); err != nil {
		t.Fatal(err)
	}
	after := lastSeq(t, st)
	if err := st.DeleteStructure(ctx, s.ID, nil); err != nil {
		t.Fatal(err)
	}
	seen := map[uuid.UUID]essdir.ChangeAction{}
	for _, e := range feedSince(t, st, after) {
		seen[e.ID] = e.Action
	}
	if seen[ev.ID] != essdir.ChangeUpsert || seen[sc.ID] != essdir.ChangeUpsert || seen[s.ID] != essdir.ChangeDelete {
		t.Errorf("feed after the delete: %v", seen)
	}
	gotEv, err := st.FindEventByID(ctx, ev.ID)
	if err != nil || gotEv.Version != ev.Version+1 || len(gotEv.Organizers) != 0 {
		t.Errorf("event after the delete: %+v, %v", gotEv, err)
	}
	gotSc, err := st.FindSupportSchemeByID(ctx, sc.ID)
	if err != nil || gotSc.Version != sc.Version+1 {
		t.Errorf("scheme after the delete: %+v, %v", gotSc, err)
	}
}

// TestFeedAnnouncesAPublicationChange: unpublishing a structure changes what
// anonymous callers see of an event that names it: a new version and an
// upsert in the feed; a change that keeps it published does not.
func TestFeedAnnouncesAPublicationChange(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	s := boucle(newTag("unpublish"))
	if err := st.CreateStructure(ctx, s, essdir.Echo{}); err != nil {
		t.Fatal(err)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	ev := &essdir.Event{Title: "Forum", StartsAt: time.Date(2024, 11, 28, 14, 0, 0, 0, paris), EndsAt: time.Date(2024, 11, 28, 18, 0, 0, 0, paris),
		Participants: []essdir.Participant{{StructureID: s.ID, Role: essdir.ParticipantExhibitor}}}
	if err := st.CreateEvent(ctx, ev, essdir.Echo{}); err != nil {
		t.Fatal(err)
	}
	version := func() int {
		got, err := st.FindEventByID(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Version
	}
	if _, err := st.UpdateStructure(ctx, s.ID, edit(func(x *essdir.Structure) error { x.Summary = "Autre"; return nil })); err != nil {
		t.Fatal(err)
	}
	if v := version(); v != 1 {
		t.Errorf("a change that keeps the structure published moved the event to version %d", v)
	}
	after := lastSeq(t, st)
	if _, err := st.UpdateStructure(ctx, s.ID, edit(func(x *essdir.Structure) error { x.Status = essdir.StatusDraft; return nil })); err != nil {
		t.Fatal(err)
	}
	if v := version(); v != 2 {
		t.Errorf("unpublishing the structure left the event at version %d", v)
	}
	seen := false
	for _, e := range feedSince(t, st, after) {
		seen = seen || (e.ID == ev.ID && e.Action == essdir.ChangeUpsert)
	}
	if !seen {
		t.Error("the feed does not announce the event's change")
	}
}

// TestFeedEntriesTakeTheFeedLock: the statement that adds a write's feed
// entries takes the feed's lock itself (the trigger of migration 00013:
// no statement of its own), and the write holds it from then until it
// commits, a single write (INSERT) and a bulk batch (COPY) alike.
func TestFeedEntriesTakeTheFeedLock(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	probe, err := pgx.Connect(ctx, testDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close(ctx)
	var held []bool
	st.SetBeforeCommit(func() {
		var free bool
		if err := probe.QueryRow(ctx, "SELECT pg_try_advisory_xact_lock($1)", int64(store.ChangeLogLock)).Scan(&free); err != nil {
			t.Error(err)
		}
		held = append(held, !free)
	})
	if err := st.CreateStructure(ctx, boucle(newTag("lock")), essdir.Echo{}); err != nil {
		t.Fatal(err)
	}
	gen, err := benchdata.NewStructures(7)
	if err != nil {
		t.Fatal(err)
	}
	source := newTag("lock")
	items := make([]essdir.BulkItem[essdir.Structure], 60) // COPYed entries (copyChangesFrom)
	for i := range items {
		items[i].Record = gen.Structure(source, 3<<20+i, 0)
	}
	if _, err := st.UpsertStructures(ctx, items, nil); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(held, []bool{true, true}) {
		t.Fatalf("the feed's lock held before commit by a single write, a bulk batch: %v, want both", held)
	}
}
