package store_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/essdir/essdir/internal/essdir"
	"github.com/essdir/essdir/internal/store"
)

// searchSet stores a few structures of one source for the search tests.
func searchSet(t *testing.T, st *store.Store) (string, map[string]*essdir.Structure) {
	t.Helper()
	ctx := context.Background()
	source := newTag("search")
	recs := map[string]*essdir.Structure{}
	for i, spec := range []struct{ name, summary string }{
		{"La Boucle", "Recyclerie et ateliers de réparation"},
		{"Maison de l'Économie Sociale", "Accompagnement des projets solidaires"},
		{"Jardins 100% Solidaires", "Maraîchage d'insertion"},
		{"Le Champ des Sourires", "Ferme pédagogique"},
	} {
		s := boucle(source)
		s.Name, s.Summary, s.Contacts = spec.name, spec.summary, nil
		s.Location = &essdir.Location{Lat: 47.3 + float64(i)*0.05, Lon: 4.7}
		if err := st.CreateStructure(ctx, s, essdir.Echo{}); err != nil {
			t.Fatal(err)
		}
		recs[spec.name] = s
	}
	return source, recs
}

func names(page *essdir.Page[essdir.Structure]) string {
	var out []string
	for _, s := range page.Items {
		out = append(out, s.Name)
	}
	return strings.Join(out, "|")
}

func TestSearchText(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	source, _ := searchSet(t, st)
	for _, tc := range []struct{ name, q, want string }{
		{"AccentsFolded", "economie", "Maison de l'Économie Sociale"},
		{"CaseFolded", "ÉCONOMIE", "Maison de l'Économie Sociale"},
		{"DecomposedAccents", norm.NFD.String("réparation"), "La Boucle"},
		{"Stemmed", "recycleries", "La Boucle"},
		{"SummaryAndName", "solidaire", "Jardins 100% Solidaires|Maison de l'Économie Sociale"},
		{"TypoOnCity", "Sombornon", "Jardins 100% Solidaires|La Boucle|Le Champ des Sourires|Maison de l'Économie Sociale"},
		{"TypoOnName", "sourrires", "Le Champ des Sourires"},
		{"TypoAndExactWord", "sombornon solidaires", "Jardins 100% Solidaires|Maison de l'Économie Sociale"},
		{"EveryWordNeeded", "Sombornon xylophone", ""},
		{"NegationKeepsTypos", "sombornon -solidaires", "La Boucle|Le Champ des Sourires"},
		{"NegatedWordAsWritten", "sombernon -solidaire", "La Boucle|Le Champ des Sourires"},
		{"PercentIsLiteral", "%", ""},
		{"StopWordsOnly", "de la", ""},
		{"UnderscoreIsLiteral", "_", ""},
		{"OperatorsAreLiteral", "boucle:* & !", "La Boucle"},
		{"NoMatch", "xylophone", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := st.FindStructures(ctx, essdir.StructureFilter{Sources: []string{source}, Q: tc.q, List: essdir.List{Sort: essdir.SortName, Limit: 20}})
			if err != nil {
				t.Fatal(err)
			}
			if got := names(page); got != tc.want {
				t.Errorf("q=%q found %q, want %q", tc.q, got, tc.want)
			}
		})
	}
}

func TestSearchFindsActivityNames(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	source, recs := searchSet(t, st)
	find := func(q string) string {
		t.Helper()
		page, err := st.FindStructures(ctx, essdir.StructureFilter{Sources: []string{source}, Q: q, List: essdir.List{Limit: 20}})
		if err != nil {
			t.Fatal(err)
		}
		return names(page)
	}
	a := &essdir.Activity{StructureID: recs["Le Champ des Sourires"].ID, Name: "Vélo-école"}
	if err := st.CreateActivity(ctx, a, essdir.Echo{}); err != nil {
		t.Fatal(err)
	}
	if got := find("velo"); got != "Le Champ des Sourires" {
		t.Errorf("after create: %q", got)
	}
	_, err := st.UpdateActivity(ctx, a.ID, func(stored *essdir.Activity) (*essdir.Activity, essdir.Echo, error) {
		next := *stored
		next.Name = "Atelier couture"
		return &next, essdir.Echo{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := find("velo"); got != "" {
		t.Errorf("after rename, the old name still matches: %q", got)
	}
	if got := find("ateliers de couture"); got != "Le Champ des Sourires" {
		t.Errorf("after rename: %q", got)
	}
	if err := st.DeleteActivity(ctx, a.ID, nil); err != nil {
		t.Fatal(err)
	}
	if got := find("couture"); got != "" {
		t.Errorf("after delete: %q", got)
	}
}

// walk pages through f with pages of 2 and returns every item.
func walk(t *testing.T, st *store.Store, f essdir.StructureFilter) []*essdir.Structure {
	t.Helper()
	f.Limit = 2
	var all []*essdir.Structure
	for range 100 {
		page, err := st.FindStructures(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			return all
		}
		f.Cursor = page.NextCursor
	}
	t.Fatal("the cursor never ends")
	return nil
}

func TestSearchCursorWalksEveryRecordOnce(t *testing.T) {
	st := openStore(t)
	source, recs := searchSet(t, st)
	from := &essdir.Point{Lat: 47.3, Lon: 4.7}
	for _, tc := range []struct {
		name string
		f    essdir.StructureFilter
		want int
	}{
		{"Name", essdir.StructureFilter{List: essdir.List{Sort: essdir.SortName}}, 4},
		{"UpdatedAt", essdir.StructureFilter{List: essdir.List{Sort: essdir.SortUpdatedAtDesc}}, 4},
		{"Relevance", essdir.StructureFilter{Q: "sombernon"}, 4},
		{"RelevanceTwoWords", essdir.StructureFilter{Q: "Sombernon solidaires"}, 2},
		{"RelevanceTypo", essdir.StructureFilter{Q: "sombornon"}, 4},
		{"Distance", essdir.StructureFilter{Near: from, RadiusKM: 50, List: essdir.List{Sort: essdir.SortDistance}}, 4},
		{"DistanceRadius", essdir.StructureFilter{Near: from, RadiusKM: 6, List: essdir.List{Sort: essdir.SortDistance}}, 2},
		{"NameNear", essdir.StructureFilter{Near: from, RadiusKM: 50, List: essdir.List{Sort: essdir.SortName}}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.f.Sources = []string{source}
			got := walk(t, st, tc.f)
			seen := map[uuid.UUID]bool{}
			for i, s := range got {
				if seen[s.ID] {
					t.Errorf("%s seen twice", s.Name)
				}
				seen[s.ID] = true
				if i == 0 {
					continue
				}
				prev := got[i-1]
				switch tc.f.Sort {
				case essdir.SortDistance:
					if *s.DistanceKM < *prev.DistanceKM {
						t.Errorf("distance order broken: %v after %v", *s.DistanceKM, *prev.DistanceKM)
					}
				case essdir.SortName:
					if s.Name < prev.Name {
						t.Errorf("name order broken")
					}
				}
			}
			if len(seen) != tc.want {
				t.Errorf("walked %d records, want %d", len(seen), tc.want)
			}
		})
	}
	// Distances are those of the haversine formula.
	page, err := st.FindStructures(context.Background(), essdir.StructureFilter{Sources: []string{source}, Near: from, RadiusKM: 50, List: essdir.List{Sort: essdir.SortDistance}})
	if err != nil {
		t.Fatal(err)
	}
	if d := *page.Items[1].DistanceKM; d < 5.55 || d > 5.57 || page.Items[0].ID != recs["La Boucle"].ID {
		t.Errorf("second distance = %v km, want 5.56 (0.05° of latitude)", d)
	}
}

// shuffled is names in the shuffle order, the relevance order of a text
// too common to rank: the hash of the id, then the id.
func shuffled(t *testing.T, st *store.Store, source string, names ...string) string {
	t.Helper()
	rows, err := st.SQL().Query(`SELECT name FROM structures WHERE deleted_at IS NULL AND source = $1 AND name = ANY ($2)
		ORDER BY uuid_hash(id), id`, source, names)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, "|")
}

// indexOrderPaths are the ways a page of a text search in an index order is
// read: walking the order's index (the matches are spread), sorting the
// matches after a walk that did not fill the page (a budget of one row
// makes every page but the first few sort), and sorting them without a
// walk (PostgreSQL expects few matches). setIndexOrderPath sets one.
var indexOrderPaths = []struct {
	name              string
	budget, sortedMax int
}{{"Walk", 4000, -1}, {"WalkThenSort", 1, -1}, {"Sort", 4000, 1 << 30}}

func setIndexOrderPath(t *testing.T, budget, sortedMax int) {
	t.Helper()
	oldBudget, oldSorted := *store.WalkBudget, *store.SortedMax
	t.Cleanup(func() { *store.WalkBudget, *store.SortedMax = oldBudget, oldSorted })
	*store.WalkBudget, *store.SortedMax = budget, sortedMax
}

// TestSearchTextInIndexOrder proves that a text search in name or date
// order, or in the shuffle of a text too common to rank, gives every match
// once, in order, whichever way its pages are read (indexOrderPaths).
func TestSearchTextInIndexOrder(t *testing.T) {
	st := openStore(t)
	source, _ := searchSet(t, st)
	// Three matches are too many to rank: relevance falls back to names.
	oldMax := *store.RankedMax
	*store.RankedMax = 2
	t.Cleanup(func() { *store.RankedMax = oldMax })
	near := &essdir.Point{Lat: 47.3, Lon: 4.7}
	for _, path := range indexOrderPaths {
		budget := path.name
		oldBudget, oldSorted := *store.WalkBudget, *store.SortedMax
		*store.WalkBudget, *store.SortedMax = path.budget, path.sortedMax
		for _, tc := range []struct {
			sort   essdir.Sort
			q      string
			near   *essdir.Point
			want   string
			radius float64
		}{
			{essdir.SortName, "sombernon", nil, "Jardins 100% Solidaires|La Boucle|Le Champ des Sourires|Maison de l'Économie Sociale", 0},
			{essdir.SortName, "solidaires", nil, "Jardins 100% Solidaires|Maison de l'Économie Sociale", 0},
			{essdir.SortUpdatedAtDesc, "sombornon", nil, "Le Champ des Sourires|Jardins 100% Solidaires|Maison de l'Économie Sociale|La Boucle", 0},
			{"", "sombornon -boucle", nil, shuffled(t, st, source, "Jardins 100% Solidaires", "Le Champ des Sourires", "Maison de l'Économie Sociale"), 0},
			{essdir.SortName, "sombernon", near, "La Boucle|Maison de l'Économie Sociale", 8},
			// Three within 12 km, too many to rank: the shuffle, each with its distance.
			{"", "sombernon", near, shuffled(t, st, source, "La Boucle", "Maison de l'Économie Sociale", "Jardins 100% Solidaires"), 12},
		} {
			f := essdir.StructureFilter{Sources: []string{source}, Q: tc.q, List: essdir.List{Sort: tc.sort}}
			if tc.near != nil {
				f.Near, f.RadiusKM = tc.near, tc.radius
			}
			got := walk(t, st, f)
			var order []string
			for _, s := range got {
				order = append(order, s.Name)
				if (s.DistanceKM != nil) != (tc.near != nil) {
					t.Errorf("%s, %s, q=%q: %s has distance %v", budget, tc.sort, tc.q, s.Name, s.DistanceKM)
				}
			}
			if strings.Join(order, "|") != tc.want {
				t.Errorf("%s, %s, q=%q: %q, want %q", budget, tc.sort, tc.q, strings.Join(order, "|"), tc.want)
			}
		}
		*store.WalkBudget, *store.SortedMax = oldBudget, oldSorted
	}
}

func TestSearchRanksBoundedCandidates(t *testing.T) {
	st := openStore(t)
	source, recs := searchSet(t, st)
	old := *store.RankedMax
	*store.RankedMax = 2
	t.Cleanup(func() { *store.RankedMax = old })
	f := essdir.StructureFilter{Sources: []string{source}, Q: "sombernon"}
	got := walk(t, st, f)
	var order []string
	for _, s := range got {
		order = append(order, s.Name)
	}
	// Four matches, more than two: the shuffle order, over every page.
	want := shuffled(t, st, source, "Jardins 100% Solidaires", "La Boucle", "Le Champ des Sourires", "Maison de l'Économie Sociale")
	if strings.Join(order, "|") != want {
		t.Errorf("order = %q, want the shuffle %q", strings.Join(order, "|"), want)
	}
	// In one département, whose index serves name order: name order.
	inDept := f
	inDept.DepartmentCodes = []string{"21"}
	got = walk(t, st, inDept)
	order = order[:0]
	for _, s := range got {
		order = append(order, s.Name)
	}
	if want := "Jardins 100% Solidaires|La Boucle|Le Champ des Sourires|Maison de l'Économie Sociale"; strings.Join(order, "|") != want {
		t.Errorf("in a département: %q, want name order %q", strings.Join(order, "|"), want)
	}
	// A cursor issued when that order was the names' everywhere still
	// leads on in name order.
	jardins := recs["Jardins 100% Solidaires"]
	before := essdir.StructureFilter{Sources: []string{source}, Q: "sombernon", List: essdir.List{Limit: 2,
		Cursor: base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, `{"l":"structures","s":"relevance:name","k":[%q,%q]}`, jardins.Name, jardins.ID))}}
	page, err := st.FindStructures(context.Background(), before)
	if err != nil {
		t.Fatal(err)
	}
	if names(page) != "La Boucle|Le Champ des Sourires" {
		t.Errorf("after an old name-order cursor: %q", names(page))
	}
	f.Q = "solidaires"
	page, err = st.FindStructures(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if names(page) != "Jardins 100% Solidaires|Maison de l'Économie Sociale" {
		t.Errorf("ranked: %q (the name match first)", names(page))
	}
}

// TestSearchRankedCursorIsCounted: a cursor in ranked order (which anyone
// can write) does not make the store rank more than twice the bound.
func TestSearchRankedCursorIsCounted(t *testing.T) {
	st := openStore(t)
	source, recs := searchSet(t, st)
	old := *store.RankedMax
	t.Cleanup(func() { *store.RankedMax = old })
	// "sombernon" matches four structures: ranked under a bound of 4.
	*store.RankedMax = 4
	f := essdir.StructureFilter{Sources: []string{source}, Q: "sombernon", List: essdir.List{Limit: 1}}
	page, err := st.FindStructures(context.Background(), f)
	if err != nil || page.NextCursor == "" {
		t.Fatalf("page 1: %v, %v", page, err)
	}
	f.Cursor = page.NextCursor
	// Matches grown to twice the bound: the walk goes on.
	*store.RankedMax = 2
	if _, err := st.FindStructures(context.Background(), f); err != nil {
		t.Errorf("four matches, bound 2: %v", err)
	}
	// Beyond twice the bound, or a forged cursor over a common word: a 400.
	*store.RankedMax = 1
	_, err = st.FindStructures(context.Background(), f)
	if essdir.ErrorCode(err) != essdir.EMALFORMED {
		t.Errorf("four matches, bound 1: %v, want a malformed cursor", err)
	}
	jardins := recs["Jardins 100% Solidaires"]
	f.Cursor = base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, `{"l":"structures","s":"relevance","k":[1e308,%q]}`, jardins.ID))
	if _, err = st.FindStructures(context.Background(), f); essdir.ErrorCode(err) != essdir.EMALFORMED {
		t.Errorf("forged ranked cursor: %v, want a malformed cursor", err)
	}
}

// TestSearchTotalInIndexOrder: the total of a text search walked along an
// index counts every match, on every page, whatever the walk read.
func TestSearchTotalInIndexOrder(t *testing.T) {
	st := openStore(t)
	source, _ := searchSet(t, st)
	oldMax := *store.RankedMax
	t.Cleanup(func() { *store.RankedMax = oldMax })
	*store.RankedMax = 2 // four matches: the shuffle
	for _, path := range indexOrderPaths {
		budget := path.name
		setIndexOrderPath(t, path.budget, path.sortedMax)
		for _, sort := range []essdir.Sort{"", essdir.SortName, essdir.SortUpdatedAtDesc} {
			f := essdir.StructureFilter{Sources: []string{source}, Q: "sombernon", List: essdir.List{Sort: sort, Limit: 1, IncludeTotal: true}}
			for pageNo := 1; pageNo <= 4; pageNo++ {
				page, err := st.FindStructures(context.Background(), f)
				if err != nil {
					t.Fatal(err)
				}
				if page.Total == nil || *page.Total != 4 || page.TotalIsLowerBound {
					t.Errorf("%s, sort %q, page %d: total %v (lower bound %v), want 4", budget, sort, pageNo, page.Total, page.TotalIsLowerBound)
				}
				if f.Cursor = page.NextCursor; f.Cursor == "" {
					break
				}
			}
		}
	}
}

func TestSearchRanksFullMatchesFirst(t *testing.T) {
	st := openStore(t)
	source, _ := searchSet(t, st)
	for q, want := range map[string]string{
		// Both words match two structures; the others are near-spellings of
		// the commune only.
		"Sombernon solidaires": "Jardins 100% Solidaires|Maison de l'Économie Sociale",
		"Sourrires":            "Le Champ des Sourires",
	} {
		page, err := st.FindStructures(context.Background(), essdir.StructureFilter{Sources: []string{source}, Q: q, List: essdir.List{Limit: 20}})
		if err != nil {
			t.Fatal(err)
		}
		if got := names(page); !strings.HasPrefix(got, want) {
			t.Errorf("q=%q ranked %q, want %q first", q, got, want)
		}
	}
}

func TestSearchSortNeedsItsParameter(t *testing.T) {
	st := openStore(t)
	for _, sort := range []essdir.Sort{essdir.SortRelevance, essdir.SortDistance} {
		_, err := st.FindStructures(context.Background(), essdir.StructureFilter{List: essdir.List{Sort: sort}})
		wantCode(t, err, essdir.EMALFORMED)
	}
}

func TestSearchBBox(t *testing.T) {
	st := openStore(t)
	source, _ := searchSet(t, st)
	for _, tc := range []struct {
		box  essdir.BBox
		want int
	}{
		{essdir.BBox{MinLon: 4.6, MinLat: 47.29, MaxLon: 4.8, MaxLat: 47.36}, 2},
		{essdir.BBox{MinLon: 4.8, MinLat: 40, MaxLon: 4.6, MaxLat: 50}, 0}, // across the antimeridian: not France
		{essdir.BBox{MinLon: 4.6, MinLat: 40, MaxLon: -170, MaxLat: 50}, 4},
	} {
		box := tc.box
		got := walk(t, st, essdir.StructureFilter{Sources: []string{source}, BBox: &box, List: essdir.List{Sort: essdir.SortName}})
		if len(got) != tc.want {
			t.Errorf("%+v: %d structures, want %d", tc.box, len(got), tc.want)
		}
	}
}

func TestStructureFacets(t *testing.T) {
	st := openStore(t)
	source, recs := searchSet(t, st)
	_, err := st.UpdateStructure(context.Background(), recs["La Boucle"].ID, edit(func(s *essdir.Structure) error {
		s.Labels = []essdir.Label{"esus"}
		s.LegalForm = essdir.LegalForm("scic")
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	facets, err := st.FindStructureFacets(context.Background(), essdir.StructureFilter{Sources: []string{source}})
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(facets.LegalForm, facets.Sector, facets.Label, facets.DepartmentCode)
	if want := "[{association 3} {scic 1}] [{reuse 4}] [{esus 1}] [{21 4}]"; got != want {
		t.Errorf("facets = %s, want %s", got, want)
	}
}

func TestEachStructureStreamsTheSelection(t *testing.T) {
	st := openStore(t)
	source, _ := searchSet(t, st)
	var got []string
	err := st.EachStructure(context.Background(), essdir.StructureFilter{Sources: []string{source}, Q: "solidaire"}, func(s *essdir.Structure) error {
		got = append(got, s.Name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "|") != "Jardins 100% Solidaires|Maison de l'Économie Sociale" {
		t.Errorf("streamed %q", got)
	}
}

// TestFilteredListsReadAnIndexInOrder proves that the indexes of
// 00004_search.sql serve the frequent lists: a page of a département in
// name order is read from (department_code, name, id) and stops after the
// page, without sorting the département (the GIN, trigram and location
// indexes need a large table to be chosen: docs/BENCHMARKS.md shows their
// plans on the generated data set). The test table is small, so
// sequential scans are turned off: the planner then shows what it would do
// on a large table.
func TestFilteredListsReadAnIndexInOrder(t *testing.T) {
	st := openStore(t)
	// Fresh statistics, whatever autovacuum has done so far: without them
	// the plan of a near-empty table depended on the run (a tie of costs
	// between the name index and the filter's).
	if _, err := st.SQL().Exec("ANALYZE structures"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, where, index string }{
		{"Department", "department_code IN ('21') ORDER BY name, id LIMIT 21", "structures_department_name_idx"},
		{"Region", "region_code IN ('27') ORDER BY name, id LIMIT 21", "structures_region_name_idx"},
		{"Insee", "insee_code IN ('21611') ORDER BY name, id LIMIT 21", "structures_insee_name_idx"},
		{"LegalForm", "legal_form IN ('scic') ORDER BY name, id LIMIT 21", "structures_legal_form_name_idx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tx, err := st.SQL().Begin()
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if _, err := tx.Exec("SET LOCAL enable_seqscan = off"); err != nil {
				t.Fatal(err)
			}
			// The plan must not depend on what other tests left in the
			// table: give the planner a few thousand rows spread over many
			// territories and fresh statistics (all rolled back).
			if _, err := tx.Exec(`INSERT INTO structures (id, slug, name, status, department_code, region_code, insee_code, legal_form, created_at, updated_at)
				SELECT gen_random_uuid(), 'plan-' || n || '-' || md5(random()::text), 'Plan ' || n, 'published',
				       lpad((n % 95 + 1)::text, 2, '0'), (n % 13 + 11)::text, lpad((n % 95 + 1)::text, 2, '0') || lpad((n % 500)::text, 3, '0'),
				       (ARRAY['association','scop','scic','mutual','foundation'])[n % 5 + 1], now(), now()
				  FROM generate_series(1, 5000) AS n`); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec("ANALYZE structures"); err != nil {
				t.Fatal(err)
			}

			rows, err := tx.Query("EXPLAIN SELECT id FROM structures WHERE status IN ('published') AND deleted_at IS NULL AND " + tc.where)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, line)
			}
			text := strings.Join(plan, "\n")
			if !strings.Contains(text, tc.index) {
				t.Errorf("plan does not use %s:\n%s", tc.index, text)
			}
			if strings.Contains(text, "Sort") {
				t.Errorf("the selection is sorted:\n%s", text)
			}
		})
	}
}

// inventedWord is a word of letters no dictionary holds, unique to a run,
// and a misspelling of it (one letter changed in the middle).
func inventedWord() (word, typo string) {
	var b strings.Builder
	for _, c := range strings.ReplaceAll(uuid.NewString(), "-", "")[:10] {
		b.WriteByte('k' + byte(c%16)) // k…z: letters only
	}
	w := b.String()
	return w, w[:5] + "a" + w[6:]
}

// TestSearchTyposFollowWrites proves that the words of a structure written
// through any path (create, rename, bulk upsert) are in the typo
// dictionary as soon as the write returns: a misspelling finds them.
func TestSearchTyposFollowWrites(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	source := newTag("typos")
	find := func(q string) string {
		t.Helper()
		page, err := st.FindStructures(ctx, essdir.StructureFilter{Sources: []string{source}, Q: q, List: essdir.List{Sort: essdir.SortName, Limit: 20}})
		if err != nil {
			t.Fatal(err)
		}
		return names(page)
	}

	created, createdTypo := inventedWord()
	s := boucle(source)
	s.Name = "Atelier " + created
	if err := st.CreateStructure(ctx, s, essdir.Echo{}); err != nil {
		t.Fatal(err)
	}
	if got := find(createdTypo); got != s.Name {
		t.Errorf("created: %q finds %q, want %q", createdTypo, got, s.Name)
	}

	renamed, renamedTypo := inventedWord()
	city, cityTypo := inventedWord()
	_, err := st.UpdateStructure(ctx, s.ID, edit(func(next *essdir.Structure) error {
		next.Name = "Atelier " + renamed
		next.Address.City = city
		return nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{renamedTypo, cityTypo} {
		if got := find(q); got != "Atelier "+renamed {
			t.Errorf("renamed: %q finds %q", q, got)
		}
	}
	if got := find(createdTypo); got != "" {
		t.Errorf("the old name still matches: %q", got)
	}

	bulk, bulkTypo := inventedWord()
	item := boucle(source)
	item.Name, item.ExternalID, item.Contacts = "Recyclerie "+bulk, "typo-1", nil
	if _, err := st.UpsertStructures(ctx, []essdir.BulkItem[essdir.Structure]{{Record: item}}, nil); err != nil {
		t.Fatal(err)
	}
	if got := find(bulkTypo); got != item.Name {
		t.Errorf("bulk: %q finds %q, want %q", bulkTypo, got, item.Name)
	}
}

// TestSearchFewMatchesAreSortedWithoutAWalk: when PostgreSQL expects at
// most SortedMax matches, a text search in an index order sorts them
// without walking the index (the walk would read its whole budget for
// them), and gives the same pages.
func TestSearchFewMatchesAreSortedWithoutAWalk(t *testing.T) {
	st := openStore(t)
	source, _ := searchSet(t, st)
	f := essdir.StructureFilter{Sources: []string{source}, Q: "sombernon", DepartmentCodes: []string{"21"}, List: essdir.List{Sort: essdir.SortName}}
	want := "Jardins 100% Solidaires|La Boucle|Le Champ des Sourires|Maison de l'Économie Sociale"
	for _, tc := range []struct {
		sortedMax int
		walks     bool
	}{{1 << 30, false}, {-1, true}} {
		setIndexOrderPath(t, 4000, tc.sortedMax)
		before := store.Walks()
		var order []string
		for _, s := range walk(t, st, f) {
			order = append(order, s.Name)
		}
		if strings.Join(order, "|") != want {
			t.Errorf("sorted max %d: %q, want %q", tc.sortedMax, strings.Join(order, "|"), want)
		}
		if walked := store.Walks() > before; walked != tc.walks {
			t.Errorf("sorted max %d: walked %v, want %v", tc.sortedMax, walked, tc.walks)
		}
	}
}

// cursorOrder is the order a page's next cursor continues in.
func cursorOrder(t *testing.T, page *essdir.Page[essdir.Structure]) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(page.NextCursor)
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		S string `json:"s"`
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c.S
}

// TestSearchCommonTextIsNotCounted: a text PostgreSQL estimates at
// UncountedFactor × RankedMax matches or more is too common to rank without
// counting them (the shuffle, or names in a place), unless it holds a
// phrase (a hyphenated word), whose estimate is not trusted: that one is
// counted, and ranked when few.
func TestSearchCommonTextIsNotCounted(t *testing.T) {
	st := openStore(t)
	source, _ := searchSet(t, st)
	ctx := context.Background()
	for _, name := range []string{"Le Tiers-Lieu des Sources", "Tiers-Lieu du Val"} {
		s := boucle(source)
		s.Name, s.Contacts = name, nil
		if err := st.CreateStructure(ctx, s, essdir.Echo{}); err != nil {
			t.Fatal(err)
		}
	}
	old := *store.UncountedFactor
	t.Cleanup(func() { *store.UncountedFactor = old })
	for _, tc := range []struct {
		factor int
		q      string
		place  []string
		want   string
	}{
		{old, "sombernon", nil, "relevance"}, // six matches, counted: ranked
		{0, "sombernon", nil, "relevance:shuffle"},
		{0, "sombernon", []string{"21"}, "relevance:name"},
		{0, "tiers-lieu", nil, "relevance"}, // a phrase: counted (two matches)
	} {
		*store.UncountedFactor = tc.factor
		page, err := st.FindStructures(ctx, essdir.StructureFilter{Sources: []string{source}, Q: tc.q, DepartmentCodes: tc.place, List: essdir.List{Limit: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if page.NextCursor == "" {
			t.Fatalf("factor %d, q=%q: one page", tc.factor, tc.q)
		}
		if got := cursorOrder(t, page); got != tc.want {
			t.Errorf("factor %d, q=%q, place %v: order %q, want %q", tc.factor, tc.q, tc.place, got, tc.want)
		}
	}
}

// TestSearchInAPlaceIsOneIndexScan proves that a text inside a place
// (département, région, commune, legal form) is one scan of the full-text
// index, whose condition holds both the text and the place
// (migrations/00012_search_places.sql): PostgreSQL could not intersect the
// former full-text index with the place's btree, and read every structure
// of the place to check the text. As in TestFilteredListsReadAnIndexInOrder,
// sequential scans are off, on a few thousand rows rolled back.
func TestSearchInAPlaceIsOneIndexScan(t *testing.T) {
	st := openStore(t)
	for _, tc := range []struct{ name, where string }{
		{"Department", "department_code IN ('21')"},
		{"Region", "region_code IN ('17')"},
		{"Insee", "insee_code IN ('21042')"},
		{"LegalForm", "legal_form IN ('scic')"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tx, err := st.SQL().Begin()
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if _, err := tx.Exec("SET LOCAL enable_seqscan = off"); err != nil {
				t.Fatal(err)
			}
			// One structure in 97 is a ressourcerie; each place holds about
			// one in ten.
			if _, err := tx.Exec(`INSERT INTO structures (id, slug, name, status, department_code, region_code, insee_code, legal_form, created_at, updated_at)
				SELECT gen_random_uuid(), 'plan-' || n || '-' || md5(random()::text),
				       CASE WHEN n % 97 = 0 THEN 'Ressourcerie ' ELSE 'Atelier ' END || n, 'published',
				       lpad((n % 11 + 15)::text, 2, '0'), (n % 9 + 11)::text, lpad((n % 11 + 15)::text, 2, '0') || lpad((n % 7 + 40)::text, 3, '0'),
				       (ARRAY['association','scop','scic','mutual','foundation','sa','sarl','sas','ei','other'])[n % 13 % 10 + 1], now(), now()
				  FROM generate_series(1, 20000) AS n`); err != nil {
				t.Fatal(err)
			}
			// The rows wait in the index's pending list, which the planner
			// rightly costs as a scan of them all; a built index has none.
			if _, err := tx.Exec("SELECT gin_clean_pending_list('structures_search_place_idx'::regclass)"); err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec("ANALYZE structures"); err != nil {
				t.Fatal(err)
			}
			rows, err := tx.Query(`EXPLAIN SELECT count(*) FROM (SELECT 1 FROM structures WHERE status IN ('published') AND deleted_at IS NULL AND ` +
				tc.where + ` AND search_vector @@ 'ressourcer'::tsquery LIMIT 1001) AS matches`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, line)
			}
			text := strings.Join(plan, "\n")
			column := strings.Fields(tc.where)[0]
			var both bool
			for _, line := range plan {
				both = both || strings.Contains(line, "Index Cond") && strings.Contains(line, "search_vector") && strings.Contains(line, column)
			}
			if !strings.Contains(text, "structures_search_place_idx") || !both {
				t.Errorf("the text and %s are not one index condition:\n%s", column, text)
			}
		})
	}
}

// TestSearchNearestPagesComeFromRings: a page in distance order is read from
// the nearest ring that holds it (nearestPage), not from the whole radius,
// and the pages give every structure of the radius once, in the order of
// the whole radius: dense near the point, sparse farther out, so that the
// later pages widen their ring, and the last reads the whole radius.
func TestSearchNearestPagesComeFromRings(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	source := newTag("rings")
	from := &essdir.Point{Lat: 47.3, Lon: 4.7}
	// 24 structures within about 1 km, 6 between 3 and 9.5 km, 2 beyond 10 km.
	for i := range 32 {
		var dLat float64
		switch {
		case i < 24:
			dLat = 0.0004 * float64(i)
		case i < 30:
			dLat = 0.027 + 0.01*float64(i-24)
		default:
			dLat = 0.1 + 0.01*float64(i-30)
		}
		s := boucle(source)
		s.Name, s.Contacts = fmt.Sprintf("Anneau %02d", i), nil
		s.Location = &essdir.Location{Lat: from.Lat + dLat, Lon: from.Lon}
		if err := st.CreateStructure(ctx, s, essdir.Echo{}); err != nil {
			t.Fatal(err)
		}
	}
	// The order of the whole radius, computed apart.
	rows, err := st.SQL().Query(`SELECT name FROM structures WHERE source = $1 AND deleted_at IS NULL
		AND 6371.0088 * 2 * asin(least(1, sqrt(power(sin(radians(lat - $2) / 2), 2)
			+ cos(radians($2)) * cos(radians(lat)) * power(sin(radians(lon - $3) / 2), 2)))) <= 10
		ORDER BY 6371.0088 * 2 * asin(least(1, sqrt(power(sin(radians(lat - $2) / 2), 2)
			+ cos(radians($2)) * cos(radians(lat)) * power(sin(radians(lon - $3) / 2), 2)))), id`, source, from.Lat, from.Lon)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		want = append(want, name)
	}
	if err := rows.Close(); err != nil || len(want) != 30 {
		t.Fatalf("%d within 10 km (%v), want 30", len(want), err)
	}
	f := essdir.StructureFilter{Sources: []string{source}, Near: from, RadiusKM: 10, List: essdir.List{Sort: essdir.SortDistance, Limit: 5}}
	var got []string
	whole := store.WholeRadius()
	for pageNo := 1; ; pageNo++ {
		page, err := st.FindStructures(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.Items {
			got = append(got, s.Name)
		}
		if pageNo <= 4 && store.WholeRadius() != whole {
			t.Errorf("page %d read the whole radius", pageNo)
		}
		if f.Cursor = page.NextCursor; f.Cursor == "" {
			break
		}
		if pageNo > 20 {
			t.Fatal("the cursor never ends")
		}
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("pages:\n%v\nwant the whole radius's order:\n%v", got, want)
	}
	if store.WholeRadius() == whole {
		t.Error("the last pages never read the whole radius")
	}
}

// TestSearchNearInNameOrderDoesNotWalk: a place without a text, in name
// order, is sorted at once (a walk would look for an empty text, which
// matches nothing), every structure once, in name order.
func TestSearchNearInNameOrderDoesNotWalk(t *testing.T) {
	st := openStore(t)
	source, _ := searchSet(t, st)
	setIndexOrderPath(t, 4000, -1)
	before := store.Walks()
	var order []string
	for _, s := range walk(t, st, essdir.StructureFilter{Sources: []string{source}, Near: &essdir.Point{Lat: 47.3, Lon: 4.7}, RadiusKM: 50, List: essdir.List{Sort: essdir.SortName}}) {
		order = append(order, s.Name)
	}
	if want := "Jardins 100% Solidaires|La Boucle|Le Champ des Sourires|Maison de l'Économie Sociale"; strings.Join(order, "|") != want {
		t.Errorf("%q, want %q", strings.Join(order, "|"), want)
	}
	if store.Walks() != before {
		t.Error("a list near a point without a text walked for a text")
	}
}

// TestSearchWalkInAPlaceIsBoundedByDensity: in a place, in name order (a
// text too common to rank), the walk reads at most three times the rows a
// page would need if the matches were spread over the place, as PostgreSQL
// estimates both, not the whole walkBudget; the pages are the same.
func TestSearchWalkInAPlaceIsBoundedByDensity(t *testing.T) {
	st := openStore(t)
	source, _ := searchSet(t, st)
	oldMax := *store.RankedMax
	*store.RankedMax = 2 // four matches: too many to rank
	t.Cleanup(func() { *store.RankedMax = oldMax })
	setIndexOrderPath(t, 4000, -1) // always walk
	before := store.Walks()
	var order []string
	for _, s := range walk(t, st, essdir.StructureFilter{Sources: []string{source}, Q: "sombernon", DepartmentCodes: []string{"21"}}) {
		order = append(order, s.Name)
	}
	if want := "Jardins 100% Solidaires|La Boucle|Le Champ des Sourires|Maison de l'Économie Sociale"; strings.Join(order, "|") != want {
		t.Errorf("%q, want name order %q", strings.Join(order, "|"), want)
	}
	if store.Walks() == before {
		t.Fatal("no walk")
	}
	// Pages of 2: a page needs 3 rows; the place holds about as many
	// structures as matches.
	if b := store.LastWalkBudget(); b < 3 || b >= 4000 {
		t.Errorf("walk budget %d, want the density's (3 to 3,999)", b)
	}
}
