package store_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/essdir/essdir/internal/essdir"
	"github.com/essdir/essdir/internal/store"
)

// dbConn is a connection of the test's own to its database, closed when
// the test ends.
func dbConn(tb testing.TB) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(context.Background(), testDSN)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// countOf counts the structures of a source, deleted or not.
func countOf(tb testing.TB, source string) int {
	tb.Helper()
	var n int
	if err := dbConn(tb).QueryRow(context.Background(), `SELECT count(*) FROM structures WHERE source = $1`, source).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// A batch's new records are COPYed while the next are checked: whatever
// stops it halfway — an item found bad after hundreds were sent, a SIRET
// the table already holds — nothing is written, every bad item is named,
// and the same batch, mended, is written whole with the slugs it would
// have had.
func TestBulkStreamedBatchIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	tag := newTag("stream")
	after := lastSeq(t, st)

	t.Run("ErrBadItemsLate", func(t *testing.T) {
		items := realistic(t, tag, 600)
		items[450].Record.Address.PostalCode = "2100"
		items[599].Record.Website = "ftp://example.org"
		_, err := st.UpsertStructures(ctx, items, nil)
		wantCode(t, err, essdir.EINVALID)
		e := err.(*essdir.Error)
		if len(e.Fields) != 2 || e.Fields[0].Field != "items[450].address.postal_code" || e.Fields[1].Field != "items[599].website" {
			t.Errorf("fields = %+v", e.Fields)
		}
		if n := countOf(t, tag); n != 0 {
			t.Errorf("%d structures written", n)
		}
	})

	t.Run("ErrTakenSIRETLate", func(t *testing.T) {
		taken := boucle(tag + "-other")
		taken.SIRET = "73282932000074"
		if err := st.CreateStructure(ctx, taken, essdir.Echo{}); err != nil {
			t.Fatal(err)
		}
		items := realistic(t, tag, 600)
		items[500].Record.SIRET = taken.SIRET
		_, err := st.UpsertStructures(ctx, items, nil)
		wantCode(t, err, essdir.ECONFLICT)
		if n := countOf(t, tag); n != 0 {
			t.Errorf("%d structures written", n)
		}
		if err := st.DeleteStructure(ctx, taken.ID, nil); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("MendedBatchIsWrittenWhole", func(t *testing.T) {
		items := realistic(t, tag, 600)
		want := ruleSlugs(t, items)
		done, err := st.UpsertStructures(ctx, items, nil)
		if err != nil {
			t.Fatal(err)
		}
		wantSlugs(t, st, done, want)
		if n, feed := countOf(t, tag), len(feedSince(t, st, after)); n != 600 || feed < 600 {
			t.Errorf("%d structures, %d feed entries", n, feed)
		}
	})
}

// A panic in a streamed batch's checks (they run in goroutines of their
// own while the COPY waits for them) reaches the caller's goroutine, where
// the server's recovery answers it, rather than ending the process or
// leaving the COPY waiting for items that will never be checked: nothing
// is written, the connection goes back to the pool, and the same batch is
// written whole afterwards.
func TestBulkStreamedBatchRaisesAPanicInTheCaller(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	tag := newTag("panic")
	for _, at := range []int{0, 300, 450, 599} { // as many as the pool's connections (4)
		var checked atomic.Int32
		st.SetStreamCheck(func(i int) {
			checked.Add(1)
			if i == at {
				panic(fmt.Sprintf("check of item %d", i))
			}
		})
		func() {
			defer func() {
				if p := recover(); p != fmt.Sprintf("check of item %d", at) {
					t.Errorf("panic at item %d: recovered %v", at, p)
				}
			}()
			_, err := st.UpsertStructures(ctx, realistic(t, tag, 600), nil)
			t.Errorf("panic at item %d: UpsertStructures returned (%v)", at, err)
		}()
		if checked.Load() == 0 {
			t.Fatal("the batch was not streamed: the hook never ran")
		}
		if n := countOf(t, tag); n != 0 {
			t.Fatalf("panic at item %d: %d structures written", at, n)
		}
	}
	st.SetStreamCheck(nil)
	// Had each panic kept its connection, the pool would be empty, and this
	// batch would wait for one until its deadline.
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if _, err := st.UpsertStructures(ctx, realistic(t, tag, 600), nil); err != nil {
		t.Fatal(err)
	}
	if n := countOf(t, tag); n != 600 {
		t.Fatalf("%d structures written, want 600", n)
	}
}

// ruleSlugs are the slugs the rule gives new items, in the items' order,
// after every slug the table holds: the one it chose, or the first free
// candidate of its name.
func ruleSlugs(tb testing.TB, items []essdir.BulkItem[essdir.Structure]) []string {
	tb.Helper()
	ctx := context.Background()
	rows, _ := dbConn(tb).Query(ctx, `SELECT slug FROM structures`)
	slugs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		tb.Fatal(err)
	}
	taken := map[string]bool{}
	for _, s := range slugs {
		taken[s] = true
	}
	want := make([]string, len(items))
	for i, it := range items {
		if it.Record.Slug != "" {
			taken[it.Record.Slug], want[i] = true, it.Record.Slug
			continue
		}
		base := essdir.Slugify(essdir.CleanText(it.Record.Name))
		c := base
		for n := 2; taken[c]; n++ {
			suffix := fmt.Sprintf("-%d", n)
			c = essdir.TrimSlug(base, essdir.MaxSlugLen-len(suffix)) + suffix
		}
		taken[c], want[i] = true, c
	}
	return want
}

// wantSlugs checks that the records done created hold these slugs.
func wantSlugs(tb testing.TB, st *store.Store, done []essdir.Upserted, want []string) {
	tb.Helper()
	for i, d := range done {
		got, err := st.FindStructureByID(context.Background(), d.ID)
		if err != nil || d.Result != essdir.UpsertCreated {
			tb.Fatalf("items[%d]: %+v (%v)", i, d, err)
		}
		if got.Slug != want[i] {
			tb.Errorf("items[%d]: slug %q, want %q", i, got.Slug, want[i])
		}
	}
}
