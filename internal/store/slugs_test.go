package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/essdir/essdir/internal/essdir"
	"github.com/essdir/essdir/internal/store"
)

// named is a structure of source with this name, for a bulk item (an
// external id) or a single write.
func named(source, name string, n int) *essdir.Structure {
	s := boucle(source)
	s.Name, s.ExternalID = name, fmt.Sprintf("%s-%d", source, n)
	return s
}

// createNamed creates a structure named name by a single write and returns
// its slug.
func createNamed(tb testing.TB, st *store.Store, source, name, slug string) string {
	tb.Helper()
	s := boucle(source)
	s.Name, s.Slug = name, slug
	if err := st.CreateStructure(context.Background(), s, essdir.Echo{}); err != nil {
		tb.Fatal(err)
	}
	return s.Slug
}

// bulkSlugs upserts structures of these names (new external ids) in one
// batch and returns their slugs, read back.
func bulkSlugs(tb testing.TB, st *store.Store, source string, first int, names ...string) []string {
	tb.Helper()
	ctx := context.Background()
	items := make([]essdir.BulkItem[essdir.Structure], len(names))
	for i, name := range names {
		items[i].Record = named(source, name, first+i)
	}
	done, err := st.UpsertStructures(ctx, items, nil)
	if err != nil {
		tb.Fatal(err)
	}
	slugs := make([]string, len(done))
	for i, d := range done {
		got, err := st.FindStructureByID(ctx, d.ID)
		if err != nil {
			tb.Fatal(err)
		}
		slugs[i] = got.Slug
	}
	return slugs
}

func execSQL(tb testing.TB, sql string, args ...any) {
	tb.Helper()
	if _, err := dbConn(tb).Exec(context.Background(), sql, args...); err != nil {
		tb.Fatal(err)
	}
}

// A derived slug is the first free candidate of its name (name, name-2,
// name-3…), whoever holds the others: single writes and bulk batches give
// the same answers, and skip what a client chose, what another name's
// candidates took, what was given before the counters existed; a structure
// deleted for good frees its slug.
func TestDerivedSlugIsTheFirstFreeCandidate(t *testing.T) {
	st := openStore(t)

	t.Run("SingleWritesSkipAChosenSlug", func(t *testing.T) {
		tag := newTag("chosen")
		name, base := "Les Jardins "+tag, "les-jardins-"+tag
		got := []string{createNamed(t, st, tag, name, "")}
		createNamed(t, st, tag, "Autre nom", base+"-3")
		for range 2 {
			got = append(got, createNamed(t, st, tag, name, ""))
		}
		if want := []string{base, base + "-2", base + "-4"}; !slices.Equal(got, want) {
			t.Errorf("slugs = %v, want %v", got, want)
		}
	})

	t.Run("BulkGivesWhatSingleWritesGive", func(t *testing.T) {
		tag := newTag("same")
		name, base := "Les Jardins "+tag, "les-jardins-"+tag
		createNamed(t, st, tag, name, "")
		createNamed(t, st, tag, name, "")
		createNamed(t, st, tag, "Autre nom", base+"-4")
		got := bulkSlugs(t, st, tag, 0, name, "Autre "+tag, name, name)
		if want := []string{base + "-3", "autre-" + tag, base + "-5", base + "-6"}; !slices.Equal(got, want) {
			t.Errorf("bulk slugs = %v, want %v", got, want)
		}
		if got := createNamed(t, st, tag, name, ""); got != base+"-7" {
			t.Errorf("single slug after the batch = %s, want %s-7", got, base)
		}
	})

	t.Run("NamesWhoseCandidatesMeet", func(t *testing.T) {
		// "X 2" is slugged x-2, which is also the second candidate of "X".
		tag := newTag("meet")
		name, base := "Maison "+tag, "maison-"+tag
		got := bulkSlugs(t, st, tag, 0, name+" 2", name, name, name+" 2")
		if want := []string{base + "-2", base, base + "-3", base + "-2-2"}; !slices.Equal(got, want) {
			t.Errorf("slugs = %v, want %v", got, want)
		}
	})

	t.Run("SlugsGivenBeforeTheCountersAreProbed", func(t *testing.T) {
		// Rows written without the counters (an old database, a COPY): the
		// first write of the name probes on until a free candidate.
		tag := newTag("old")
		base := "ancien-" + tag
		execSQL(t, `INSERT INTO structures (id, slug, name, status, source, created_at, updated_at)
			SELECT gen_random_uuid(), CASE n WHEN 1 THEN $1 ELSE $1 || '-' || n END, 'Ancien', 'published', $2, now(), now()
			FROM generate_series(1, 40) AS n WHERE n <> 7`, base, tag)
		single := createNamed(t, st, tag, "Ancien "+tag, "")
		batch := bulkSlugs(t, st, tag, 0, "Ancien "+tag, "Ancien "+tag)
		if single != base+"-7" || !slices.Equal(batch, []string{base + "-41", base + "-42"}) {
			t.Errorf("slugs = %s then %v, want %s-7 then -41, -42", single, batch, base)
		}
	})

	t.Run("ADeleteForGoodFreesTheSlug", func(t *testing.T) {
		tag := newTag("purge")
		name, base := "Atelier "+tag, "atelier-"+tag
		for range 3 {
			createNamed(t, st, tag, name, "")
		}
		execSQL(t, `DELETE FROM structures WHERE slug = $1`, base+"-2")
		if got := bulkSlugs(t, st, tag, 0, name, name); !slices.Equal(got, []string{base + "-2", base + "-4"}) {
			t.Errorf("slugs = %v, want %s-2, -4", got, base)
		}
	})

	t.Run("CandidatesAfterACounterHeldOrChosen", func(t *testing.T) {
		// The name's counter is at 3 (three single writes), but the rows
		// after it were written without the counters (base-4…-6) and the
		// batch's other item chooses base-7: the batch probes past its
		// first span of candidates after the counter, all taken, and past
		// the chosen one.
		tag := newTag("after")
		name, base := "Verger "+tag, "verger-"+tag
		for range 3 {
			createNamed(t, st, tag, name, "")
		}
		execSQL(t, `INSERT INTO structures (id, slug, name, status, source, created_at, updated_at)
			SELECT gen_random_uuid(), $1 || '-' || n, 'Verger', 'published', $2, now(), now()
			FROM generate_series(4, 6) AS n`, base, tag)
		items := make([]essdir.BulkItem[essdir.Structure], 3)
		for i, n := range []string{name, "Autre " + tag, name} {
			items[i].Record = named(tag, n, i)
		}
		items[1].Record.Slug = base + "-7"
		done, err := st.UpsertStructures(context.Background(), items, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range done {
			s, err := st.FindStructureByID(context.Background(), d.ID)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, s.Slug)
		}
		got = append(got, createNamed(t, st, tag, name, ""))
		if want := []string{base + "-8", base + "-7", base + "-9", base + "-10"}; !slices.Equal(got, want) {
			t.Errorf("slugs = %v, want %v", got, want)
		}
	})

	t.Run("LongNameWithACounterAndItsNextCandidateTaken", func(t *testing.T) {
		// A base long enough that its candidates are cut (base-2 is not
		// the base followed by "-2"), with a counter at 2 and its third
		// candidate written without the counters.
		tag := newTag("longer")
		name := tag + " " + string(slices.Repeat([]byte("abcdefghi "), 9))
		base := essdir.Slugify(name)
		cut := func(n int) string {
			suffix := fmt.Sprintf("-%d", n)
			return essdir.TrimSlug(base, essdir.MaxSlugLen-len(suffix)) + suffix
		}
		if cut(2) == base+"-2" {
			t.Fatalf("base %q is not cut", base)
		}
		createNamed(t, st, tag, name, "")
		createNamed(t, st, tag, name, "")
		execSQL(t, `INSERT INTO structures (id, slug, name, status, source, created_at, updated_at)
			VALUES (gen_random_uuid(), $1, 'Long', 'published', $2, now(), now())`, cut(3), tag)
		got := bulkSlugs(t, st, tag, 0, name, name)
		got = append(got, createNamed(t, st, tag, name, ""))
		if want := []string{cut(4), cut(5), cut(6)}; !slices.Equal(got, want) {
			t.Errorf("slugs = %v, want %v", got, want)
		}
	})

	t.Run("LongNamesStayWithinTheLength", func(t *testing.T) {
		tag := newTag("long")
		name := tag + " " + string(slices.Repeat([]byte("abcdefghi "), 9))
		got := bulkSlugs(t, st, tag, 0, name, name, name)
		got = append(got, createNamed(t, st, tag, name, ""))
		seen := map[string]bool{}
		for i, s := range got {
			if len(s) > essdir.MaxSlugLen || seen[s] {
				t.Errorf("slug %d %q: %d characters, or given twice", i, s, len(s))
			}
			seen[s] = true
		}
		if want := fmt.Sprintf("-%d", len(got)); got[len(got)-1][len(got[len(got)-1])-len(want):] != want {
			t.Errorf("slugs = %v", got)
		}
	})
}

// Batches of the same names, concurrently and in opposite orders, wait for
// each other's counters (no deadlock) and share out name, name-2… without
// a gap or a duplicate.
func TestConcurrentBatchesShareOutSlugs(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	tag := newTag("slugbatch")
	names := []string{"Alpha " + tag, "Beta " + tag, "Gamma " + tag}
	const writers, rounds = 4, 3
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds)
	for w := range writers {
		wg.Go(func() {
			for r := range rounds {
				items := make([]essdir.BulkItem[essdir.Structure], 0, 6)
				for k := range 6 {
					name := names[k%len(names)]
					if w%2 == 1 {
						name = names[len(names)-1-k%len(names)]
					}
					items = append(items, essdir.BulkItem[essdir.Structure]{Record: named(tag, name, (w*rounds+r)*6+k)})
				}
				if _, err := st.UpsertStructures(ctx, items, nil); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, testDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, `SELECT slug FROM structures WHERE source = $1`, tag)
	slugs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, s := range slugs {
		got[s] = true
	}
	each := writers * rounds * 6 / len(names)
	for _, name := range names {
		base := essdir.Slugify(name)
		for n := 1; n <= each; n++ {
			c := base
			if n > 1 {
				c = fmt.Sprintf("%s-%d", base, n)
			}
			if !got[c] {
				t.Errorf("%s was not given (%d structures)", c, len(slugs))
			}
		}
	}
	if len(got) != writers*rounds*6 {
		t.Errorf("%d distinct slugs for %d structures", len(got), writers*rounds*6)
	}
}

// TestBulkWaitsForTheSlugLockUnderItsOwnTimeout: a batch that waits for the
// slug lock (held alone by a retry) waits under the bulk statement timeout
// (an import's), not the pool's request timeout.
func TestBulkWaitsForTheSlugLockUnderItsOwnTimeout(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, testDSN, store.Options{MaxOpenConns: 2, StatementTimeout: 200 * time.Millisecond, BulkStatementTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	holder, err := pgx.Connect(ctx, testDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, store.SlugLock); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(time.Second, func() { _ = tx.Rollback(ctx) })
	tag := newTag("lockwait")
	items := []essdir.BulkItem[essdir.Structure]{{Record: named(tag, "Attente "+tag, 0)}}
	if _, err := st.UpsertStructures(ctx, items, nil); err != nil {
		t.Fatalf("a batch that waited 1 s for the slug lock: %v", err)
	}
}

// TestWritesRetryADeadlock: PostgreSQL ends a write's transaction to
// break a deadlock on the slug counters (SQLSTATE 40P01); the write, a
// batch or a single creation, is run again and succeeds, with the slugs the
// rule gives. The circle is made with a session of the test's own, so that
// it happens every time: it locks the counter of a name the write gives,
// waits until the write waits for it (holding, by then, the slug lock
// shared and, a batch, the counter of its other name), then asks for the
// slug lock alone. The write's session finds the deadlock (its
// deadlock_timeout is the shorter) and is the one PostgreSQL ends.
func TestWritesRetryADeadlock(t *testing.T) {
	ctx := context.Background()
	tag := newTag("deadlock")
	// The writes' sessions look for a deadlock after 2 s of waiting, ours
	// after a minute: time enough for the circle to close first.
	st, err := store.Open(ctx, testDSN+"&deadlock_timeout=2000", store.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	first, second := "Alpha "+tag, "Omega "+tag // a batch upserts their counters in this order
	bulkSlugs(t, st, tag, 0, first, first, second, second)
	base1, base2 := essdir.Slugify(first), essdir.Slugify(second)

	for _, tc := range []struct {
		name  string
		write func() ([]string, error)
		want  []string
	}{
		{"Batch", func() ([]string, error) {
			items := make([]essdir.BulkItem[essdir.Structure], 4)
			for i, name := range []string{first, second, first, second} {
				items[i].Record = named(tag, name, 10+i)
			}
			out, err := st.UpsertStructures(ctx, items, nil)
			var slugs []string
			for _, d := range out {
				got, err := st.FindStructureByID(ctx, d.ID)
				if err != nil {
					return nil, err
				}
				slugs = append(slugs, got.Slug)
			}
			return slugs, err
		}, []string{base1 + "-3", base2 + "-3", base1 + "-4", base2 + "-4"}},
		{"SingleCreate", func() ([]string, error) {
			s := named(tag, second, 20)
			err := st.CreateStructure(ctx, s, essdir.Echo{})
			return []string{s.Slug}, err
		}, []string{base2 + "-5"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := pgx.Connect(ctx, testDSN)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			var ours int
			if _, err := conn.Exec(ctx, "SET deadlock_timeout = '60s'"); err != nil {
				t.Fatal(err)
			}
			if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&ours); err != nil {
				t.Fatal(err)
			}
			tx, err := conn.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			if _, err := tx.Exec(ctx, `SELECT 1 FROM slug_counters WHERE tbl = 'structures' AND base = $1 FOR UPDATE`, base2); err != nil {
				t.Fatal(err)
			}
			type result struct {
				slugs []string
				err   error
			}
			done := make(chan result, 1)
			go func() {
				slugs, err := tc.write()
				done <- result{slugs, err}
			}()
			// The write waits for our counter.
			deadline := time.Now().Add(time.Minute)
			for {
				var waiting int
				err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
					WHERE datname = current_database() AND pid <> $1 AND wait_event_type = 'Lock'`, ours).Scan(&waiting)
				if err != nil {
					t.Fatal(err)
				}
				if waiting > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the write never waited for the counter")
				}
				time.Sleep(20 * time.Millisecond)
			}
			// We wait for the slug lock it holds: a circle, broken by ending
			// the write's transaction, after which ours goes on and ends.
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(0x65737364_736c7567)); err != nil {
				t.Fatalf("our session was ended, not the write's: %v", err)
			}
			if err := tx.Rollback(ctx); err != nil {
				t.Fatal(err)
			}
			r := <-done
			if r.err != nil {
				var e *essdir.Error
				if errors.As(r.err, &e) && e.Err != nil {
					t.Fatalf("the write was not run again after the deadlock: %v (%v)", r.err, e.Err)
				}
				t.Fatalf("the write was not run again after the deadlock: %v", r.err)
			}
			if !slices.Equal(r.slugs, tc.want) {
				t.Errorf("slugs %v, want %v", r.slugs, tc.want)
			}
		})
	}
}

// TestConcurrentBatchesOfNewNames: bulk writers deriving the same names at
// once, round after round (names new in each round, so that their counters
// are created concurrently, and names of every round), all succeed, and
// every name's slugs are name, name-2… without a gap or a duplicate.
func TestConcurrentBatchesOfNewNames(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	tag := newTag("newnames")
	const writers, rounds, each = 3, 30, 4 // each name 4 times a batch
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []error
	written := map[string]int{} // name → structures
	for r := range rounds {
		var names []string
		for k := range 6 {
			names = append(names, fmt.Sprintf("Nouveau %d %s %d", k, tag, r), fmt.Sprintf("Ancien %d %s", k, tag))
		}
		for w := range writers {
			wg.Go(func() {
				items := make([]essdir.BulkItem[essdir.Structure], 0, len(names)*each)
				for k := range len(names) * each {
					name := names[(k*(w+1)+w)%len(names)] // another order for each writer
					if w == 1 {
						name = names[len(names)-1-k%len(names)]
					}
					items = append(items, essdir.BulkItem[essdir.Structure]{Record: named(tag, name, (r*writers+w)*1000+k)})
				}
				if _, err := st.UpsertStructures(ctx, items, nil); err != nil {
					mu.Lock()
					failures = append(failures, fmt.Errorf("round %d, writer %d: %w", r, w, err))
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		for w := range writers {
			for k := range len(names) * each {
				name := names[(k*(w+1)+w)%len(names)]
				if w == 1 {
					name = names[len(names)-1-k%len(names)]
				}
				written[name]++
			}
		}
	}
	for _, err := range failures {
		t.Error(err)
	}
	conn, err := pgx.Connect(ctx, testDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, `SELECT slug FROM structures WHERE source = $1`, tag)
	slugs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, s := range slugs {
		got[s]++
	}
	want := 0
	for name, n := range written {
		want += n
		base := essdir.Slugify(name)
		for k := 1; k <= n; k++ {
			if c := slugCandidateOf(base, k); got[c] != 1 {
				t.Errorf("%s given %d times (%d structures named %q)", c, got[c], n, name)
			}
		}
	}
	if len(slugs) != want || len(got) != want {
		t.Errorf("%d structures, %d distinct slugs, want %d", len(slugs), len(got), want)
	}
}

// slugCandidateOf is the n-th candidate of base (short bases: no trimming).
func slugCandidateOf(base string, n int) string {
	if n == 1 {
		return base
	}
	return fmt.Sprintf("%s-%d", base, n)
}
