package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/essdir/essdir/internal/benchdata"
	"github.com/essdir/essdir/internal/essdir"
	"github.com/essdir/essdir/internal/geo"
	"github.com/essdir/essdir/internal/pgtest"
	"github.com/essdir/essdir/internal/store"
)

// realistic makes n structures of source in as many communes (benchdata),
// without SIRETs (unique across every test's rows).
func realistic(tb testing.TB, source string, n int) []essdir.BulkItem[essdir.Structure] {
	tb.Helper()
	gen, err := benchdata.NewStructures(7)
	if err != nil {
		tb.Fatal(err)
	}
	items := make([]essdir.BulkItem[essdir.Structure], n)
	for i := range items {
		s := gen.Structure(source, i, 0)
		s.SIRET = ""
		items[i].Record = s
	}
	return items
}

// clone copies a structure's writable fields, for a second write of it.
func clone(s *essdir.Structure) *essdir.Structure {
	c := *s
	c.Record, c.Slug, c.DepartmentCode, c.RegionCode = essdir.Record{}, "", "", ""
	c.Sectors, c.Labels, c.Networks = slices.Clone(s.Sectors), slices.Clone(s.Labels), slices.Clone(s.Networks)
	c.SocialLinks, c.Contacts = slices.Clone(s.SocialLinks), slices.Clone(s.Contacts)
	if s.Location != nil {
		loc := *s.Location
		c.Location = &loc
	}
	return &c
}

// A batch checks its communes against the cached geography: each item of a
// batch spanning hundreds of communes (INSEE and postal codes, or the
// postal code and city alone) gets the codes a single write derives, and a
// bad code the single write's message.
func TestBulkChecksEachCommuneAsASingleWrite(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	tag := newTag("communes")
	items := realistic(t, tag, 300)
	singles := make([]*essdir.Structure, len(items))
	for i, it := range items {
		singles[i] = clone(it.Record)
		singles[i].Source = tag + "-single"
	}
	done, err := st.UpsertStructures(ctx, items, nil)
	if err != nil {
		t.Fatal(err)
	}
	communes := map[string]bool{}
	for i, d := range done {
		if err := st.CreateStructure(ctx, singles[i], essdir.Echo{}); err != nil {
			t.Fatal(err)
		}
		got, err := st.FindStructureByID(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := singles[i]
		if got.DepartmentCode != want.DepartmentCode || got.RegionCode != want.RegionCode || got.DepartmentCode == "" {
			t.Errorf("items[%d] (%s %s %s): bulk %s/%s, single %s/%s", i, want.Address.INSEECode, want.Address.PostalCode,
				want.Address.City, got.DepartmentCode, got.RegionCode, want.DepartmentCode, want.RegionCode)
		}
		communes[want.Address.PostalCode] = true
	}
	if len(communes) < 250 {
		t.Fatalf("the batch spans %d postal codes, want most of 300", len(communes))
	}

	t.Run("ErrBadCodesAsASingleWrite", func(t *testing.T) {
		ref, err := geo.Embedded()
		if err != nil {
			t.Fatal(err)
		}
		var merged essdir.Commune
		for _, c := range ref.Communes {
			if len(c.FormerCodes) > 0 && len(c.PostalCodes) > 0 {
				merged = c
				break
			}
		}
		bad := realistic(t, newTag("badcodes"), 4)
		bad[1].Record.Address = essdir.Address{INSEECode: merged.FormerCodes[0]}                 // a former commune
		bad[2].Record.Address = essdir.Address{PostalCode: "99999"}                              // no commune's
		bad[3].Record.Address = essdir.Address{INSEECode: merged.INSEECode, PostalCode: "21540"} // another commune's
		var want []essdir.FieldError
		for i, it := range bad[1:] {
			err := st.CreateStructure(ctx, clone(it.Record), essdir.Echo{})
			var e *essdir.Error
			if !errors.As(err, &e) || e.Code != essdir.EINVALID {
				t.Fatalf("single write of items[%d]: %v, want a 422", i+1, err)
			}
			want = append(want, essdir.ItemFields(i+1, e)...)
		}
		_, err = st.UpsertStructures(ctx, bad, nil)
		var e *essdir.Error
		if !errors.As(err, &e) || e.Code != essdir.EINVALID {
			t.Fatalf("bulk: %v, want a 422", err)
		}
		if fmt.Sprint(e.Fields) != fmt.Sprint(want) {
			t.Errorf("bulk errors\n%v\nwant the single writes'\n%v", e.Fields, want)
		}
	})
}

// A batch mixing created, changed and unchanged items answers each one's
// result and adds exactly one feed entry per created or changed item.
func TestBulkMixedBatchEmitsOnlyRealChanges(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	tag := newTag("mixed")
	first := realistic(t, tag, 4)
	done, err := st.UpsertStructures(ctx, first[:2], nil)
	if err != nil {
		t.Fatal(err)
	}
	after := lastSeq(t, st)
	again := realistic(t, tag, 4) // items 0 and 1 as stored, 2 and 3 new
	again[1].Record.Summary = "Ressourcerie et café réparation"
	got, err := st.UpsertStructures(ctx, again, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []essdir.UpsertResult{essdir.UpsertUnchanged, essdir.UpsertUpdated, essdir.UpsertCreated, essdir.UpsertCreated}
	for i, g := range got {
		if g.Result != want[i] || g.ExternalID != again[i].Record.ExternalID {
			t.Errorf("items[%d] = %+v, want %s", i, g, want[i])
		}
	}
	if got[0].ID != done[0].ID || got[1].ID != done[1].ID {
		t.Errorf("stored ids changed: %v, %v", got[0].ID, got[1].ID)
	}
	feed := feedSince(t, st, after)
	var ids []uuid.UUID
	for _, f := range feed {
		if f.Type != "structure" || f.Action != essdir.ChangeUpsert {
			t.Errorf("feed entry %+v", f)
		}
		ids = append(ids, f.ID)
	}
	wantIDs := []uuid.UUID{got[2].ID, got[3].ID, got[1].ID} // created, then changed
	if fmt.Sprint(ids) != fmt.Sprint(wantIDs) {
		t.Errorf("feed = %v, want %v (the created, then the changed)", ids, wantIDs)
	}
	if s, err := st.FindStructureByID(ctx, got[1].ID); err != nil || s.Version != 2 || s.Summary != "Ressourcerie et café réparation" {
		t.Errorf("changed item stored as %+v (%v)", s, err)
	}
	if s, err := st.FindStructureByID(ctx, got[0].ID); err != nil || s.Version != 1 {
		t.Errorf("unchanged item stored as %+v (%v)", s, err)
	}
}

// Changed rows go through a temporary table that the session keeps, emptied
// at each commit: on one connection, a batch never rewrites the rows of the
// batch before it, nor of a dry run.
func TestBulkBatchesOnOneSessionWriteOnlyTheirRows(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, testDSN, store.Options{MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tag := newTag("session")
	items := realistic(t, tag, 3)
	if _, err := st.UpsertStructures(ctx, items, nil); err != nil {
		t.Fatal(err)
	}
	edit := func(i int, summary string) []essdir.BulkItem[essdir.Structure] {
		it := realistic(t, tag, 3)[i]
		it.Record.Summary = summary
		return []essdir.BulkItem[essdir.Structure]{it}
	}
	first, err := st.UpsertStructures(ctx, edit(0, "first batch"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Written since by another path: a row left from the first batch would
	// overwrite this.
	if _, err := st.UpdateStructure(ctx, first[0].ID, func(s *essdir.Structure) (*essdir.Structure, essdir.Echo, error) {
		next := *s
		next.Summary = "edited alone"
		return &next, essdir.Echo{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CheckStructures(ctx, edit(2, "dry run")); err != nil {
		t.Fatal(err)
	}
	got, err := st.UpsertStructures(ctx, edit(1, "second batch"), nil)

	if err != nil {
		t.Fatal(err)
	}
	if got[0].Result != essdir.UpsertUpdated {
		t.Fatalf("second batch: %+v", got)
	}
	want := map[string]struct {
		summary string
		version int
	}{"ext-0": {"edited alone", 3}, "ext-1": {"second batch", 2}, "ext-2": {items[2].Record.Summary, 1}}
	page, err := st.FindStructures(ctx, essdir.StructureFilter{Sources: []string{tag}, List: essdir.List{Limit: 10}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range page.Items {
		if w := want[s.ExternalID]; s.Summary != w.summary || s.Version != w.version {
			t.Errorf("%s: %q v%d, want %q v%d", s.ExternalID, s.Summary, s.Version, w.summary, w.version)
		}
	}
}

// The communes a process caches for bulk writes follow the database: after
// another geography is imported, a batch is judged against it.
func TestBulkGeographyFollowsAnImport(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, pgtest.Fresh(t), store.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	item := func(ext string) []essdir.BulkItem[essdir.Structure] {
		s := boucle("geocache")
		s.ExternalID, s.Name = ext, "La Boucle "+ext
		return []essdir.BulkItem[essdir.Structure]{{Record: s}}
	}
	if _, err := st.UpsertStructures(ctx, item("before"), nil); err != nil {
		t.Fatal(err)
	}
	ref, err := geo.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	ref.Communes = slices.DeleteFunc(ref.Communes, func(c essdir.Commune) bool { return c.INSEECode == "21611" })
	if err := st.ImportGeography(ctx, ref); err != nil {
		t.Fatal(err)
	}
	_, err = st.UpsertStructures(ctx, item("after"), nil)
	var e *essdir.Error
	if !errors.As(err, &e) || e.Code != essdir.EINVALID || len(e.Fields) == 0 || e.Fields[0].Field != "items[0].address.insee_code" {
		t.Fatalf("a commune the imported geography lacks: %v, want a 422 on items[0].address.insee_code", err)
	}
}

// Statistics taken of an empty table make a batch's lookups scan whole
// indexes once per key; a bulk write ANALYZEs the table first when its
// statistics say empty and it is not.
func TestBulkRefreshesStatisticsOfAGrowingTable(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Fresh(t)
	st, err := store.Open(ctx, dsn, store.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE structures"); err != nil {
		t.Fatal(err)
	}
	reltuples := func() float64 {
		var n float64
		if err := conn.QueryRow(ctx, "SELECT reltuples FROM pg_class WHERE oid = 'structures'::regclass").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	items := realistic(t, "stats", 600)
	if _, err := st.UpsertStructures(ctx, items[:300], nil); err != nil {
		t.Fatal(err)
	}
	if n := reltuples(); n != 0 {
		t.Fatalf("reltuples = %v before the table grew, want 0 (analyzed empty)", n)
	}
	if _, err := st.UpsertStructures(ctx, items[300:], nil); err != nil {
		t.Fatal(err)
	}
	if n := reltuples(); n < 300 {
		t.Errorf("reltuples = %v after a batch on a table of 300 rows analyzed empty, want them counted", n)
	}
}

// TestBulkStatisticsAfterDryRuns: dry runs on an empty table (an import's
// --strict: every batch written and rolled back) leave only dead rows, and
// an ANALYZE (autovacuum's, or a batch's) then records pages of no rows:
// the planner looked each stored key up by a whole scan of another index
// (a 20,000-line --strict import took 10 minutes). The next batch puts
// statistics back that plan the key lookup on the key's index.
func TestBulkStatisticsAfterDryRuns(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Fresh(t)
	st, err := store.Open(ctx, dsn, store.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	items := realistic(t, "dry", 3000)
	for from := 0; from < 2000; from += 1000 {
		if _, err := st.CheckStructures(ctx, items[from:from+1000]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.Exec(ctx, "ANALYZE structures"); err != nil {
		t.Fatal(err)
	}
	pagesOfNoRows := func() bool {
		var yes bool
		err := conn.QueryRow(ctx, "SELECT relpages > 0 AND reltuples = 0 FROM pg_class WHERE oid = 'structures'::regclass").Scan(&yes)
		if err != nil {
			t.Fatal(err)
		}
		return yes
	}
	if !pagesOfNoRows() {
		t.Fatal("the dry runs and ANALYZE did not leave pages of no rows: the test proves nothing")
	}
	// The lookup a batch makes, planned as a batch plans it.
	keyLookupIndex := func() string {
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
			t.Fatal(err)
		}
		rows, _ := tx.Query(ctx, `EXPLAIN SELECT r.* FROM unnest($1::text[], $2::text[]) AS k(source, external_id),
			LATERAL (SELECT * FROM structures WHERE source = k.source AND external_id = k.external_id
				AND external_id IS NOT NULL AND deleted_at IS NULL FOR UPDATE) r`, []string{"dry"}, []string{"x"})
		plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range plan {
			if _, index, ok := strings.Cut(line, "Index Scan using "); ok {
				return strings.Fields(index)[0]
			}
		}
		return strings.Join(plan, "\n")
	}
	if _, err := st.CheckStructures(ctx, items[2000:]); err != nil {
		t.Fatal(err)
	}
	if pagesOfNoRows() {
		t.Error("a batch on a table of pages of no rows left its statistics as they were")
	}
	if got := keyLookupIndex(); got != "structures_source_external_id_key" {
		t.Errorf("stored keys are looked up with %s, want structures_source_external_id_key", got)
	}
	for from := 0; from < 3000; from += 1000 {
		if _, err := st.UpsertStructures(ctx, items[from:from+1000], nil); err != nil {
			t.Fatal(err)
		}
	}
	if pagesOfNoRows() {
		t.Error("pages of no rows after the batches were written")
	}
	if got := keyLookupIndex(); got != "structures_source_external_id_key" {
		t.Errorf("after the writes, stored keys are looked up with %s, want structures_source_external_id_key", got)
	}
}
