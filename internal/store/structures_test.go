package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/essdir/essdir/internal/essdir"
	"github.com/essdir/essdir/internal/store"
)

// boucle is La Boucle from the forum report, in the given source.
func boucle(source string) *essdir.Structure {
	return &essdir.Structure{
		Name:        "La Boucle",
		LegalForm:   essdir.LegalFormAssociation,
		Summary:     "Recyclerie et ateliers de réparation",
		Sectors:     []essdir.Sector{essdir.SectorReuse, essdir.SectorReuse},
		Address:     essdir.Address{City: "Sombernon", PostalCode: "21540", INSEECode: "21611"},
		Location:    &essdir.Location{Lat: 47.308, Lon: 4.707},
		SocialLinks: []essdir.SocialLink{{Network: "Facebook", URL: "https://www.facebook.com/laboucle"}},
		Contacts:    []essdir.Contact{{Name: "Tao Marcuz"}},
		Networks:    []string{"PES21"},
		Source:      source,
	}
}

// newTag makes a source or name part unique to one run of one test, so that
// tests (and go test -count=N) never see each other's rows.
func newTag(prefix string) string {
	return prefix + "-" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
}

func TestStructureRoundTrip(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	s := boucle("roundtrip")
	if err := st.CreateStructure(ctx, s, essdir.Echo{}); err != nil {
		t.Fatal(err)
	}
	got, err := st.FindStructureByID(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.DepartmentCode != "21" || got.RegionCode != "27" {
		t.Errorf("territory = %q/%q, want 21/27", got.DepartmentCode, got.RegionCode)
	}
	if len(got.Sectors) != 1 || got.SocialLinks[0].Network != "facebook" || got.Contacts[0].Name != "Tao Marcuz" {
		t.Errorf("lists not stored as normalised: %+v", got)
	}
	if got.Location == nil || got.Location.Lat != 47.308 || got.Version != 1 || got.Status != essdir.StatusPublished {
		t.Errorf("got %+v", got)
	}
}

func TestStructureSlugs(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	tag := newTag("slugs")
	a, b := boucle(tag), boucle(tag)
	a.Name, b.Name = "Le Thé du Phœnix "+tag, "Le Thé du Phœnix "+tag
	for _, s := range []*essdir.Structure{a, b} {
		if err := st.CreateStructure(ctx, s, essdir.Echo{}); err != nil {
			t.Fatal(err)
		}
	}
	if a.Slug != "le-the-du-phoenix-"+tag || b.Slug != "le-the-du-phoenix-"+tag+"-2" {
		t.Errorf("slugs = %q, %q", a.Slug, b.Slug)
	}
	c := boucle(tag)
	c.Slug = a.Slug
	wantCode(t, st.CreateStructure(ctx, c, essdir.Echo{}), essdir.ECONFLICT)
}

func TestStructureDuplicateSIRET(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	a, b := boucle("siret"), boucle("siret")
	a.SIRET, b.SIRET = "73282932000074", "73282932000074"
	if err := st.CreateStructure(ctx, a, essdir.Echo{}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, st.CreateStructure(ctx, b, essdir.Echo{}), essdir.ECONFLICT)
	// Once the first is deleted, its SIRET is free again.
	if err := st.DeleteStructure(ctx, a.ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateStructure(ctx, b, essdir.Echo{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.DeleteStructure(ctx, b.ID, nil) })
	_, err := st.FindStructureByID(ctx, a.ID)
	wantCode(t, err, essdir.ENOTFOUND)
}

func TestStructureUpdate(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	s := boucle("update")
	if err := st.CreateStructure(ctx, s, essdir.Echo{}); err != nil {
		t.Fatal(err)
	}
	same, err := st.UpdateStructure(ctx, s.ID, edit(func(*essdir.Structure) error { return nil }))
	if err != nil || same.Version != 1 || !same.UpdatedAt.Equal(s.UpdatedAt) {
		t.Fatalf("unchanged update bumped the record: %+v, %v", same, err)
	}
	next, err := st.UpdateStructure(ctx, s.ID, edit(func(x *essdir.Structure) error { x.Summary = "Ressourcerie"; return nil }))
	if err != nil || next.Version != 2 || next.Summary != "Ressourcerie" || next.Slug != s.Slug {
		t.Fatalf("update = %+v, %v", next, err)
	}
	_, err = st.UpdateStructure(ctx, s.ID, edit(func(x *essdir.Structure) error { x.Name = ""; return nil }))
	wantCode(t, err, essdir.EINVALID)
	_, err = st.UpdateStructure(ctx, uuid.New(), edit(func(*essdir.Structure) error { return nil }))
	wantCode(t, err, essdir.ENOTFOUND)
}

func TestFindStructuresKeyset(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	source := newTag("keyset")
	for _, name := range []string{"Delta", "Alpha", "Charlie", "Bravo", "Echo"} {
		s := boucle(source)
		s.Name = name
		if err := st.CreateStructure(ctx, s, essdir.Echo{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, sort := range []essdir.Sort{essdir.SortName, essdir.SortUpdatedAtDesc} {
		var names []string
		f := essdir.StructureFilter{Sources: []string{source}, List: essdir.List{Sort: sort, Limit: 2, IncludeTotal: true}}
		for range 5 {
			page, err := st.FindStructures(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if *page.Total != 5 {
				t.Errorf("total = %d", *page.Total)
			}
			for _, s := range page.Items {
				names = append(names, s.Name)
			}
			if page.NextCursor == "" {
				break
			}
			f.Cursor = page.NextCursor
		}
		want := "Alpha Bravo Charlie Delta Echo"
		if sort == essdir.SortUpdatedAtDesc {
			want = "Echo Bravo Charlie Alpha Delta"
		}
		if got := join(names); got != want {
			t.Errorf("%s: pages = %s, want %s", sort, got, want)
		}
	}
	_, err := st.FindStructures(ctx, essdir.StructureFilter{List: essdir.List{Sort: essdir.SortName, Limit: 2, Cursor: "garbage!"}})
	wantCode(t, err, essdir.EMALFORMED)
}

// TestDeepPagesKeepOnePlan proves that the statement of a page after a
// cursor is planned once, not at every page: PostgreSQL's plan cache
// settles on the generic plan of the prepared statement after five
// executions (pg_prepared_statements counts them), as it does for page 1.
// Planned anew, a page 10,000 cost twice a page 1 on the 1M set.
func TestDeepPagesKeepOnePlan(t *testing.T) {
	ctx := context.Background()
	// One connection: the prepared statements counted are the pages'.
	st, err := store.Open(ctx, testDSN, store.Options{MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	source := newTag("deep")
	for i := range 10 {
		s := boucle(source)
		s.Name = fmt.Sprintf("Deep %02d", i)
		if err := st.CreateStructure(ctx, s, essdir.Echo{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, sort := range []essdir.Sort{essdir.SortName, essdir.SortUpdatedAtDesc} {
		f := essdir.StructureFilter{Sources: []string{source}, List: essdir.List{Sort: sort, Limit: 1}}
		pages := 0
		for {
			page, err := st.FindStructures(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if page.NextCursor == "" {
				break
			}
			f.Cursor = page.NextCursor
		}
		if pages != 10 {
			t.Fatalf("%s: %d pages, want 10", sort, pages)
		}
		var generic, custom int
		err := st.SQL().QueryRowContext(ctx, `SELECT generic_plans, custom_plans FROM pg_prepared_statements
			WHERE statement ~ 'FROM "?structures"? ' AND statement LIKE '%' || $1 || '%'`,
			map[essdir.Sort]string{essdir.SortName: "(name, id) >", essdir.SortUpdatedAtDesc: "(updated_at, id) <"}[sort]).Scan(&generic, &custom)
		if err != nil {
			t.Fatalf("%s: the page statement after a cursor is not among the prepared statements: %v", sort, err)
		}
		// 9 pages follow a cursor: 5 custom plans, then the generic one.
		if generic != 4 || custom != 5 {
			t.Errorf("%s: %d generic and %d custom plans for 9 pages, want 4 and 5", sort, generic, custom)
		}
	}
}

func TestFindStructuresFilters(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	source := newTag("filters")
	a := boucle(source)
	b := boucle(source)
	b.Name, b.Sectors, b.Address = "Le Champ des Sourires", []essdir.Sector{essdir.SectorAgriculture}, essdir.Address{City: "Longvic", PostalCode: "21600"}
	for _, s := range []*essdir.Structure{a, b} {
		if err := st.CreateStructure(ctx, s, essdir.Echo{}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := st.FindStructures(ctx, essdir.StructureFilter{Sources: []string{source}, Sectors: []essdir.Sector{"agriculture", "food"}, Cities: []string{"LONGVIC"}, List: essdir.List{Sort: essdir.SortName, Limit: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].ID != b.ID {
		t.Errorf("filter found %d structures", len(page.Items))
	}
}

// edit is a change that applies f to a copy of the stored structure, as a
// client editing what it read would.
func edit(f func(*essdir.Structure) error) essdir.Change[essdir.Structure] {
	return func(stored *essdir.Structure) (*essdir.Structure, essdir.Echo, error) {
		next := *stored
		return &next, essdir.Echo{}, f(&next)
	}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}

// TestConcurrentUpdatesSeeLockedRecord: the update function runs on the
// locked row, so of several writers holding the same version exactly one wins.
func TestConcurrentUpdatesSeeLockedRecord(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	s := boucle("concurrent")
	if err := st.CreateStructure(ctx, s, essdir.Echo{}); err != nil {
		t.Fatal(err)
	}
	const writers = 6
	errs := make(chan error, writers)
	for i := range writers {
		go func() {
			_, err := st.UpdateStructure(ctx, s.ID, edit(func(x *essdir.Structure) error {
				if x.Version != 1 {
					return essdir.Errorf(essdir.EPRECONDITION, "stale")
				}
				x.Summary = fmt.Sprintf("writer %d", i)
				return nil
			}))
			errs <- err
		}()
	}
	wins := 0
	for range writers {
		err := <-errs
		switch essdir.ErrorCode(err) {
		case essdir.EPRECONDITION:
		default:
			if err != nil {
				t.Fatal(err)
			}
			wins++
		}
	}
	if wins != 1 {
		t.Errorf("%d writers won, want exactly 1", wins)
	}
}

// TestConcurrentCreatesGetDistinctSlugs: derived slugs that collide are
// retried with the next suffix.
func TestConcurrentCreatesGetDistinctSlugs(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	const n = 4
	slugs := make(chan string, n)
	errs := make(chan error, n)
	for range n {
		go func() {
			s := boucle("slugrace")
			s.Name = "Pimms Médiation Dijon"
			err := st.CreateStructure(ctx, s, essdir.Echo{})
			errs <- err
			slugs <- s.Slug
		}()
	}
	seen := map[string]bool{}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		slug := <-slugs
		if seen[slug] {
			t.Errorf("slug %s given twice", slug)
		}
		seen[slug] = true
	}
}

// TestCountIsCapped: include_total counts at most essdir.MaxCount rows; past
// that the total is a lower bound, so a count never costs more.
func TestCountIsCapped(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	source := newTag("count")
	conn, err := pgx.Connect(ctx, testDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `INSERT INTO structures (id, slug, name, status, source, created_at, updated_at)
		SELECT gen_random_uuid(), $1 || '-' || n, 'Structure ' || n, 'published', $1, now(), now()
		FROM generate_series(1, $2::int) AS n`, source, essdir.MaxCount+1)
	if err != nil {
		t.Fatal(err)
	}
	list := func(source string) *essdir.Page[essdir.Structure] {
		page, err := st.FindStructures(ctx, essdir.StructureFilter{Sources: []string{source}, List: essdir.List{IncludeTotal: true, Limit: 1}})
		if err != nil {
			t.Fatal(err)
		}
		return page
	}
	if p := list(source); *p.Total != essdir.MaxCount || !p.TotalIsLowerBound {
		t.Errorf("total = %d (lower bound %v), want %d as a lower bound", *p.Total, p.TotalIsLowerBound, essdir.MaxCount)
	}
	if _, err := conn.Exec(ctx, `DELETE FROM structures WHERE source = $1 AND slug = $1 || '-1'`, source); err != nil {
		t.Fatal(err)
	}
	if p := list(source); *p.Total != essdir.MaxCount || p.TotalIsLowerBound {
		t.Errorf("total = %d (lower bound %v), want exactly %d", *p.Total, p.TotalIsLowerBound, essdir.MaxCount)
	}
}

// TestStoreTakesNoPageSizeOnTrust: a zero, negative or huge limit is brought
// back within 1..MaxLimit instead of panicking or reading everything.
func TestStoreTakesNoPageSizeOnTrust(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	source := newTag("limit")
	for range 3 {
		if err := st.CreateStructure(ctx, boucle(source), essdir.Echo{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, limit := range []int{0, -5, 1 << 30} {
		page, err := st.FindStructures(ctx, essdir.StructureFilter{Sources: []string{source}, List: essdir.List{Limit: limit}})
		if err != nil || len(page.Items) != 3 {
			t.Errorf("limit %d: %v, %v", limit, page, err)
		}
	}
	_, err := st.FindStructures(ctx, essdir.StructureFilter{List: essdir.List{Sort: "-name; DROP TABLE structures"}})
	wantCode(t, err, essdir.EMALFORMED)
}

// TestDeleteErasesContacts: the tombstone keeps no personal data.
func TestDeleteErasesContacts(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	s := boucle(newTag("erase"))
	if err := st.CreateStructure(ctx, s, essdir.Echo{}); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteStructure(ctx, s.ID, nil); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, testDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var contacts string
	if err := conn.QueryRow(ctx, "SELECT contacts::text FROM structures WHERE id = $1", s.ID).Scan(&contacts); err != nil {
		t.Fatal(err)
	}
	if contacts != "[]" {
		t.Errorf("the deleted row keeps contacts %s", contacts)
	}
}

// TestFindStructuresOffersRowsToKnown: with List.Known, each row is offered
// with its id and a digest that is the same while the row is, and another
// once it changes; a known row is no item (nil, its id in IDs), and the
// cursor is still made from the page's last row.
func TestFindStructuresOffersRowsToKnown(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	source := newTag("known")
	for _, name := range []string{"Alpha", "Bravo", "Charlie", "Delta"} {
		s := boucle(source)
		s.Name = name
		if err := st.CreateStructure(ctx, s, essdir.Echo{}); err != nil {
			t.Fatal(err)
		}
	}
	read := func(known func(uuid.UUID, uint64) bool) *essdir.Page[essdir.Structure] {
		t.Helper()
		page, err := st.FindStructures(ctx, essdir.StructureFilter{Sources: []string{source},
			List: essdir.List{Sort: essdir.SortName, Limit: 3, Known: known}})
		if err != nil {
			t.Fatal(err)
		}
		return page
	}
	if page := read(nil); page.Digests != nil || page.Known != nil || page.IDs != nil {
		t.Fatal("a read without Known marks its rows")
	}
	offered := map[uuid.UUID]uint64{}
	first := read(func(id uuid.UUID, digest uint64) bool { offered[id] = digest; return false })
	// The fourth row only says another page follows: it is not offered.
	if len(offered) != 3 || len(first.Items) != 3 || len(first.Digests) != 3 || first.NextCursor == "" {
		t.Fatalf("offered %d rows, page of %d with %d digests", len(offered), len(first.Items), len(first.Digests))
	}
	for i, s := range first.Items {
		if first.Known[i] || s.Name == "" || first.Digests[i] != offered[s.ID] || first.IDs[i] != s.ID {
			t.Fatalf("item %d: %+v known=%v digest %x, offered %x", i, s, first.Known[i], first.Digests[i], offered[s.ID])
		}
	}
	all := read(func(id uuid.UUID, digest uint64) bool { return offered[id] == digest })
	for i, s := range all.Items {
		if !all.Known[i] || all.IDs[i] != first.Items[i].ID || all.Digests[i] != first.Digests[i] {
			t.Fatalf("item %d not known as the same row", i)
		}
		if s != nil {
			t.Fatalf("known item %d was made: %+v", i, s)
		}
	}
	if all.NextCursor != first.NextCursor {
		t.Fatalf("cursor %q, want %q", all.NextCursor, first.NextCursor)
	}
	// A known last row gives the cursor its keys alone, in any order.
	for _, sort := range []essdir.Sort{essdir.SortName, essdir.SortUpdatedAtDesc} {
		var cursors [2]string
		for i, known := range []func(uuid.UUID, uint64) bool{nil, func(uuid.UUID, uint64) bool { return true }} {
			page, err := st.FindStructures(ctx, essdir.StructureFilter{Sources: []string{source},
				List: essdir.List{Sort: sort, Limit: 2, Known: known}})
			if err != nil || page.NextCursor == "" {
				t.Fatalf("%s: %v, cursor %q", sort, err, page.NextCursor)
			}
			cursors[i] = page.NextCursor
		}
		if cursors[0] != cursors[1] {
			t.Fatalf("%s: cursor of a known page %q, of a read one %q", sort, cursors[1], cursors[0])
		}
	}
	// The digest is the row's, not the statement's: another page size, a
	// filter with more values or a cursor reads the same rows alike (the
	// page of 10 offers Delta, which the first read did not offer; the page
	// after the cursor is Delta).
	for _, f := range []essdir.StructureFilter{
		{Sources: []string{source}, List: essdir.List{Sort: essdir.SortName, Limit: 10}},
		{Sources: []string{source, "another"}, Cities: []string{"sombernon"}, List: essdir.List{Sort: essdir.SortName, Limit: 1, Cursor: first.NextCursor}},
	} {
		seen := 0
		f.Known = func(id uuid.UUID, digest uint64) bool {
			if d, ok := offered[id]; !ok {
				offered[id] = digest
			} else if digest != d {
				t.Errorf("%v: another digest for the same row", f.List)
			}
			seen++
			return false
		}
		if _, err := st.FindStructures(ctx, f); err != nil || seen == 0 {
			t.Fatalf("%v: %v, %d offered", f.List, err, seen)
		}
	}
	// A change makes another digest: the row is not known any more.
	bravo := first.Items[1].ID
	if _, err := st.UpdateStructure(ctx, bravo, edit(func(s *essdir.Structure) error { s.Summary = "Autre"; return nil })); err != nil {
		t.Fatal(err)
	}
	again := read(func(id uuid.UUID, digest uint64) bool { return offered[id] == digest })
	if again.Known[1] || again.Items[1].Summary != "Autre" || again.Digests[1] == first.Digests[1] || !again.Known[0] || again.Items[0] != nil {
		t.Fatalf("after a change: known %v, summary %q", again.Known, again.Items[1].Summary)
	}
}
