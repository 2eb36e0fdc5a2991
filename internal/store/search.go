package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/essdir/essdir/internal/essdir"
)

// Search: how a text (q) and a place (near, bbox) select and order
// structures. The indexes are those of migrations/00004_search.sql,
// 00007_search_words.sql and 00012_search_places.sql (the full-text index,
// with the place columns).
//
// A text matches a structure when its French full text (name, summary,
// activity names, description, city; accents and case folded, words
// stemmed) matches the text's tsquery: websearch_to_tsquery(q) — whose
// syntax knows only "quotes", or and -, so that % _ : * & in q are plain
// characters — in which each word also accepts the words of names and
// cities spelled near it (the dictionary search_words, trigram similarity
// at least 0.5: "Sombornon" finds Sombernon). essdir_search_tsquery builds
// it once per request (textQuery); every statement of the request then
// binds it as a constant, so the planner sees the real lexemes and the
// full-text GIN index serves the whole match.
const searchMatch = `structures.search_vector @@ ?::tsquery`

// searchRank is the relevance of a match: a match of the text as written
// first (1), then its rank (cover density of the widened query, weighted by
// field, damped by length), then half the closeness of the spelling of the
// name and city to the text (at most 0.5: a near-spelling alone never
// outranks a match as written). The parts are real (float4) in PostgreSQL;
// the sum is float8 so that a cursor carries it exactly. It is computed
// for at most rankedMax rows.
const searchRank = `((structures.search_vector @@ websearch_to_tsquery('essdir_fr', ?))::int
	+ ts_rank_cd(structures.search_vector, ?::tsquery, 1)::float8
	+ word_similarity(essdir_fold(?), structures.name_key)::float8 / 2)`

// rankedMax bounds the matches a relevance order ranks: ranking every match
// of a common word costs a second on a million rows (BENCH.md). Above it,
// the matches come in the shuffle order (shuffleKey); the cursor remembers
// which order its list took.
var rankedMax = 1000

// sortRelevanceShuffled is the relevance order of a text with more than
// rankedMax matches. Clients never name it; their cursors do.
const sortRelevanceShuffled essdir.Sort = "relevance:shuffle"

// sortRelevanceByName is that order in a place whose index serves name
// order (inNamedPlace), and was the order everywhere before the shuffle:
// the cursors issued then still lead to their next page.
const sortRelevanceByName essdir.Sort = "relevance:name"

// shuffleKey places every structure in a fixed pseudo-random order: a hash
// of its id, served by the index structures_shuffle_idx (migration 00010).
// It is the order of a text too common to rank because it is unrelated to
// any text: the matches of any word are spread evenly along it, so walking
// its index finds a page of matches after about 21 × N / M rows (N
// structures, M matches) whatever the word. In name order the matches of a
// word that begins names gather under its letter: "ressourcerie" begins
// 65,967 names of the 1M set, the first after 755,633 others: a walk of
// the name index found none, and sorting every match took 0.5–1.1 s. The
// order is stable (an id never changes), the same for every page of a
// cursor and for every client, and favours no name.
//
// The statements of that order read the structures through a subquery that
// names the hash (keyed), so that the walk's index order carries to the
// page: ordered by uuid_hash(id) over the walk's rows, PostgreSQL could not
// tell they came in that order, and sorted all 4,000 instead of stopping at
// the page.
const shuffleKey = "shuffle"

// shuffleColumn computes shuffleKey, the expression of structures_shuffle_idx.
const shuffleColumn = "uuid_hash(structures.id) AS shuffle"

// selection is a filter whose text is resolved: tsquery is
// essdir_search_tsquery(Q) in PostgreSQL's text form ("" when Q is empty,
// or when Q has no word to search, which then matches nothing).
type selection struct {
	essdir.StructureFilter
	tsquery string
	// estimate is PostgreSQL's estimate of the matches (estimateMatches),
	// when estimated is set: made once per request, when a choice of plan
	// needs it.
	estimate  float64
	estimated bool
}

// textQuery resolves f's text, one statement, outside any transaction.
func (s *Store) textQuery(ctx context.Context, f essdir.StructureFilter) (selection, error) {
	sel := selection{StructureFilter: f}
	if f.Q == "" {
		return sel, nil
	}
	err := s.db.WithContext(ctx).Raw("SELECT essdir_search_tsquery(?)::text", f.Q).Row().Scan(&sel.tsquery)
	return sel, translate(err)
}

// earthRadiusKM is the mean radius of the Earth (IUGG).
const earthRadiusKM = 6371.0088

// structureReadColumns are the columns a list reads: the row, without the
// search columns (a tsvector is large and never shown).
const structureReadColumns = `structures.id, structures.slug, structures.name, structures.legal_form,
	structures.siret, structures.siren, structures.rna, structures.summary, structures.description,
	structures.sectors, structures.labels, structures.street, structures.postal_code, structures.city,
	structures.insee_code, structures.department_code, structures.region_code, structures.lat,
	structures.lon, structures.website, structures.email, structures.phone, structures.social_links,
	structures.contacts, structures.networks, structures.status, structures.source,
	structures.external_id, structures.created_at, structures.updated_at, structures.version,
	structures.deleted_at`

// distanceKM is the great-circle distance from (?, ?, ?) = (lat, lat, lon)
// to the row's location (haversine).
const distanceKM = `(` + "6371.0088" + ` * 2 * asin(least(1, sqrt(
	power(sin(radians(structures.lat - ?) / 2), 2)
	+ cos(radians(?)) * cos(radians(structures.lat)) * power(sin(radians(structures.lon - ?) / 2), 2)))))`

func distanceArgs(p *essdir.Point) []any { return []any{p.Lat, p.Lat, p.Lon} }

// near keeps the structures within radiusKM of p: a bounding box first,
// which the (lat, lon) index serves, then the exact distance.
func near(q *filter, p *essdir.Point, radiusKM float64) *filter {
	if p == nil {
		return q
	}
	dLat := radiusKM / earthRadiusKM * 180 / math.Pi
	minLat, maxLat := p.Lat-dLat, p.Lat+dLat
	q.where("structures.lat BETWEEN ? AND ?", max(minLat, -90), min(maxLat, 90))
	// The longitude span widens towards the poles; past a pole or across
	// the antimeridian the box keeps every longitude.
	if minLat > -90 && maxLat < 90 {
		dLon := math.Asin(math.Min(1, math.Sin(radiusKM/earthRadiusKM)/math.Cos(p.Lat*math.Pi/180))) * 180 / math.Pi
		if p.Lon-dLon >= -180 && p.Lon+dLon <= 180 {
			q.where("structures.lon BETWEEN ? AND ?", p.Lon-dLon, p.Lon+dLon)
		}
	}
	return q.where(distanceKM+" <= ?", append(distanceArgs(p), radiusKM)...)
}

// bbox keeps the structures located inside b.
func bbox(q *filter, b *essdir.BBox) *filter {
	if b == nil {
		return q
	}
	q.where("structures.lat BETWEEN ? AND ?", b.MinLat, b.MaxLat)
	if b.MinLon <= b.MaxLon {
		return q.where("structures.lon BETWEEN ? AND ?", b.MinLon, b.MaxLon)
	}
	return q.where("(structures.lon >= ? OR structures.lon <= ?)", b.MinLon, b.MaxLon)
}

// searching resolves f's text and runs fn with the selection: on the pool
// for a page (no setting: no transaction, and rows read natively), in a
// transaction whose statement timeout is the long one for whole-set reads
// (facets). The statements of a text search or a place are planned with
// their values (withCustomPlans): how many rows a tsquery matches, or a
// box holds, decides the plan — a generic plan of the radius search took
// its box for 8 rows and read all 7,074 of a 10 km box from the table
// (48 ms on the 1M set) instead of the nearest 51.
func (s *Store) searching(ctx context.Context, f essdir.StructureFilter, long bool, fn func(db *gorm.DB, sel selection) error) error {
	sel, err := s.textQuery(ctx, f)
	if err != nil {
		return err
	}
	if f.Q != "" || f.Near != nil || f.BBox != nil {
		ctx = withCustomPlans(ctx)
	}
	if !long {
		return translate(fn(s.db.WithContext(ctx), sel))
	}
	return s.inTx(ctx, func(tx *gorm.DB) error {
		for _, set := range s.searchSettings(f) {
			if err := tx.Exec(set).Error; err != nil {
				return err
			}
		}
		return fn(tx, sel)
	})
}

// searchSettings are the SET LOCAL statements of a whole-set read's
// transaction: the long statement timeout, and custom plans for a text
// (GORM's statements in a transaction are prepared and cached too).
func (s *Store) searchSettings(f essdir.StructureFilter) []string {
	var settings []string
	if s.longStatementTimeout > 0 {
		settings = append(settings, "SET LOCAL statement_timeout = "+strconv.FormatInt(s.longStatementTimeout.Milliseconds(), 10))
	}
	if f.Q != "" || f.Near != nil || f.BBox != nil {
		settings = append(settings, "SET LOCAL plan_cache_mode = force_custom_plan")
	}
	return settings
}

// searchQuery is the live structures sel selects, with their computed sort
// keys (rank with a text, distance_km near a point) as columns of a
// subquery named structures, so that the cursor's keys may name them.
func searchQuery(db *gorm.DB, sel selection, rank bool) *gorm.DB {
	if sel.Near != nil && (!rank || sel.Q == "") {
		return nearQuery(db, sel)
	}
	cols, args := searchColumns(sel, rank)
	inner := selectColumns(structureFilterQuery(db.Session(&gorm.Session{NewDB: true}).Table("structures"), sel).
		Where("structures.deleted_at IS NULL"), cols, args...)
	return db.Session(&gorm.Session{NewDB: true}).Table("(?) AS structures", inner)
}

// nearQuery is searchQuery near a point, in two steps: the ids and
// distances of the structures sel selects (with no other filter than
// status, an index-only scan of structures_location_cover_idx), then the
// rows of those the page keeps, by primary key. The page's order and limit
// apply to the first step, so that a page of the nearest 50 reads 50 rows
// of the table, not every row of the bounding box.
func nearQuery(db *gorm.DB, sel selection) *gorm.DB {
	near := structureFilterQuery(db.Session(&gorm.Session{NewDB: true}).Table("structures"), sel).
		Where("structures.deleted_at IS NULL").
		Select("structures.id AS near_id, "+distanceKM+" AS distance_km", distanceArgs(sel.Near)...)
	rows := selectColumns(db.Session(&gorm.Session{NewDB: true}).
		Table("(?) AS near JOIN structures ON structures.id = near.near_id", near), structureReadColumns+", near.distance_km")
	return db.Session(&gorm.Session{NewDB: true}).Table("(?) AS structures", rows)
}

// searchColumns are the columns a search reads: the row, its rank with a
// text when rank is set, its distance near a point, its place in the
// shuffle in that order.
func searchColumns(sel selection, rank bool) (string, []any) {
	cols := []string{structureReadColumns}
	var args []any
	if rank && sel.Q != "" {
		cols = append(cols, searchRank+" AS rank")
		args = append(args, sel.Q, sel.tsquery, sel.Q)
	}
	if sel.Near != nil {
		cols = append(cols, distanceKM+" AS distance_km")
		args = append(args, distanceArgs(sel.Near)...)
	}
	if sel.Sort == sortRelevanceShuffled {
		cols = append(cols, shuffleColumn)
	}
	return strings.Join(cols, ", "), args
}

// searchStructures is FindStructures with a text or a place.
func (s *Store) searchStructures(ctx context.Context, f essdir.StructureFilter) (*essdir.Page[essdir.Structure], error) {
	switch {
	case f.Sort == essdir.SortRelevance && f.Q == "":
		return nil, badSort("relevance needs a search text (q)")
	case f.Sort == essdir.SortDistance && f.Near == nil:
		return nil, badSort("distance needs a point (near)")
	case f.Sort == "" && f.Q != "":
		f.Sort = essdir.SortRelevance
	}
	var page *essdir.Page[essdir.Structure]
	err := s.searching(ctx, f, false, func(db *gorm.DB, sel selection) error {
		if sel.Sort == essdir.SortRelevance {
			order, err := relevanceOrder(db, &sel)
			if err != nil {
				return err
			}
			sel.Sort = order
		}
		var err error
		switch sel.Sort {
		case essdir.SortRelevance:
			page, err = pageOf(searchQuery(db, sel, true), structures, sel.List, false)
		case essdir.SortDistance:
			page, err = nearestPage(db, sel)
		default:
			page, err = textPageInIndexOrder(db, sel)
		}
		return err
	})
	return page, err
}

// nearestFirstRing is the share of the radius a page in distance order
// searches first (nearestPage).
const nearestFirstRing = 8

// nearestPage is one page in distance order. It searches the ring from
// the cursor's distance out to an eighth of the radius beyond it, then, while
// that holds less than the page, a wider ring (twice as wide, or as wide as
// the density of the last one says the page needs), and the whole radius
// last: the structures within a smaller radius come before any
// other, so a page found there is the page. The nearest 50 of a 10 km
// radius are usually within a kilometre or two (7,074 structures within 10
// km of the harness's point on the 1M set, 110 within 1.25 km): the
// distance of each structure of the box is computed and sorted, so the
// first ring costs about a sixtieth of the whole radius, and an empty one
// is followed by the whole radius (a sparse place: two statements, each
// cheap). A total counts the whole radius: such a page is read at once.
func nearestPage(db *gorm.DB, sel selection) (*essdir.Page[essdir.Structure], error) {
	whole := func() (*essdir.Page[essdir.Structure], error) {
		return pageOf(searchQuery(db, sel, false), structures, sel.List, false)
	}
	if sel.Near == nil || sel.RadiusKM <= 0 || sel.IncludeTotal {
		return whole()
	}
	from := 0.0
	if sel.Cursor != "" {
		order, err := structures.sort(essdir.SortDistance)
		if err != nil {
			return nil, err
		}
		keys, err := order.decode(structures.name, sel.Cursor)
		if err != nil {
			return nil, err
		}
		from = max(keys[0].(float64), 0)
	}
	limit := sel.Limit
	if limit <= 0 {
		limit = essdir.DefaultLimit
	}
	limit = min(limit, essdir.MaxLimit)
	for outer := from + sel.RadiusKM/nearestFirstRing; outer < sel.RadiusKM; {
		ring := sel
		ring.RadiusKM = outer
		page, err := pageOf(searchQuery(db, ring, false), structures, sel.List, false)
		if err != nil || page.NextCursor != "" {
			return page, err
		}
		// The next ring is twice as wide, or as wide as the density of
		// this one says the page needs (with half as many again), or the
		// whole radius when this one held nothing.
		next := from + 2*(outer-from)
		if k := len(page.Items); k == 0 {
			next = sel.RadiusKM
		} else {
			need := 1.5 * float64(limit+1) / float64(k)
			next = max(next, math.Sqrt(from*from+(outer*outer-from*from)*need))
		}
		outer = next
	}
	wholeRadius.Add(1)
	return whole()
}

// wholeRadius counts the pages in distance order read over the whole
// radius after their rings (for tests).
var wholeRadius atomic.Int64

// walkBudget bounds the rows a text search in an index order (the shuffle
// of a text too common to rank, name, -updated_at) reads along that index
// before it sorts its matches instead. Walking the index finds a page
// quickly when the matches are spread over it (21 rows of 949,666 for
// "solidaire"), not when there are few of them or they gather at one end
// (in name order, "mutuelle" begins 25,412 names, the first after 673,433
// others: 2.5–5 s walked, 0.24 s sorted on the 1M set; the shuffle spreads
// every word). Sorting costs a row per match, walking a row per row read:
// with a budget B the worst is about B + 21 × N / B rows, least near B =
// √(21 N), 4,500 for a million.
var walkBudget = 4000

// walks counts the walks of textPageInIndexOrder (for tests).
var walks atomic.Int64

// sortedMax: when PostgreSQL estimates a text's matches at most this, a
// text search in an index order sorts them without walking the index
// first (textPageInIndexOrder).
var sortedMax = 4000

// textPageInIndexOrder is one page of a text search in an index order: the
// first walkBudget rows of the other filters in list order, then the
// text, which stops at a full page; when that does not fill the page, or
// when PostgreSQL expects at most sortedMax matches, the matches after the
// cursor, sorted (the subquery is kept whole by OFFSET 0, so the planner
// reads the matches from the full-text index instead of walking the order's
// index with the text as a filter).
func textPageInIndexOrder(db *gorm.DB, sel selection) (*essdir.Page[essdir.Structure], error) {
	order, err := structures.sort(sel.Sort)
	if err != nil {
		return nil, err
	}
	others := sel
	others.Q = ""
	cols, args := searchColumns(others, false)
	rows := keyed(db, sel.Sort, selectColumns(structureFilterQuery(db.Session(&gorm.Session{NewDB: true}).Table("structures"), others).
		Where("structures.deleted_at IS NULL"), cols+", structures.search_vector", args...))
	if rows, err = order.apply(rows, structures.name, sel.Cursor); err != nil {
		return nil, err
	}
	shown := structureReadColumns
	if sel.Near != nil {
		shown += ", structures.distance_km"
	}
	if sel.Sort == sortRelevanceShuffled {
		shown += ", structures.shuffle"
	}
	// The total counts every match, not the walk's nor those after the
	// cursor: counted once, apart.
	list := sel.List
	list.IncludeTotal = false
	var total *int
	var lowerBound bool
	if sel.IncludeTotal {
		all := structureFilterQuery(db.Session(&gorm.Session{NewDB: true}).Table("structures"), sel).
			Where("structures.deleted_at IS NULL")
		if total, lowerBound, err = cappedCount(all); err != nil {
			return nil, err
		}
	}
	withTotal := func(page *essdir.Page[essdir.Structure], err error) (*essdir.Page[essdir.Structure], error) {
		if page != nil {
			page.Total, page.TotalIsLowerBound = total, lowerBound
		}
		return page, err
	}
	// When PostgreSQL expects at most sortedMax (walkBudget) matches, they
	// are sorted at once: the walk would read its whole budget for a page of them
	// unless they were all near its start (21 matches in a walk of 4,000
	// rows need 1 match in 190), and it was its costliest part on the 1M
	// set: "ressourcerie" in département 21 (1,290 matches of 19,782
	// structures, all but a few in names under R) walked 4,000 rows in
	// 46–100 ms for no match, then sorted the 1,290 matches in 17–25 ms.
	// Without a text (a place in name or date order) there is nothing to
	// walk for: the walk's condition would be an empty tsquery, which
	// matches nothing.
	if sel.Q != "" {
		if err := estimateMatches(db, &sel); err != nil {
			return nil, err
		}
	}
	if sel.Q != "" && (!sel.estimated || sel.estimate > float64(sortedMax)) {
		walks.Add(1)
		budget, err := placeWalkBudget(db, sel, others)
		if err != nil {
			return nil, err
		}
		lastWalkBudget.Store(int64(budget))
		walk := selectColumns(db.Session(&gorm.Session{NewDB: true}).Table("(?) AS structures", rows.Limit(budget)).
			Where(searchMatch, sel.tsquery), shown)
		page, err := pageOf(walk, structures, list, false)
		if err != nil || page.NextCursor != "" {
			return withTotal(page, err)
		}
	}
	cols, args = searchColumns(sel, false)
	matches := keyed(db, sel.Sort, selectColumns(structureFilterQuery(db.Session(&gorm.Session{NewDB: true}).Table("structures"), sel).
		Where("structures.deleted_at IS NULL"), cols, args...))
	if matches, err = order.startAfter(matches, structures.name, sel.Cursor); err != nil {
		return nil, err
	}
	return withTotal(pageOf(db.Session(&gorm.Session{NewDB: true}).Table("(? OFFSET 0) AS structures", matches), structures, list, false))
}

// placeWalkBudget is the walk's budget of a text too common to rank in a
// place, in name order: three times the rows a page needs if the matches
// were spread over the place's names (the page × the place's structures ÷
// its matches, both as PostgreSQL estimates them), at most walkBudget. A
// word that begins names gathers its matches under its letter, where no
// budget finds them from the start of the place: "ressourcerie" in région
// 27 (6,886 matches of about 99,000 structures) walked 4,000 rows for no
// match before sorting its matches; it now gives up after about 900. A
// word spread over the names fills its page in a third of that. Elsewhere
// (the shuffle spreads every word) the budget is walkBudget.
func placeWalkBudget(db *gorm.DB, sel, others selection) (int, error) {
	if sel.Sort != sortRelevanceByName || !sel.estimated || sel.estimate < 1 {
		return walkBudget, nil
	}
	place, ok, err := plannedRows(db, others)
	if err != nil || !ok {
		return walkBudget, err
	}
	limit := sel.Limit
	if limit <= 0 {
		limit = essdir.DefaultLimit
	}
	limit = min(limit, essdir.MaxLimit)
	spread := 3 * float64(limit+1) * place / sel.estimate
	return int(max(float64(limit+1), min(float64(walkBudget), math.Ceil(spread)))), nil
}

// lastWalkBudget is the budget of the last walk (for tests).
var lastWalkBudget atomic.Int64

// keyed is q, read through a subquery named structures when the order s
// sorts by a computed column (the shuffle), so that the cursor's condition
// and the order may name that column. PostgreSQL pulls the subquery up: the
// condition and the order still reach the index of the expression.
func keyed(db *gorm.DB, s essdir.Sort, q *gorm.DB) *gorm.DB {
	if s != sortRelevanceShuffled {
		return q
	}
	return db.Session(&gorm.Session{NewDB: true}).Table("(?) AS structures", q)
}

// relevanceOrder decides the relevance order of a list: ranked when the
// text matches at most rankedMax structures, else the shuffle, or the
// names in a place whose index serves them. A cursor keeps the decision of
// its first page.
//
// The matches are counted (up to rankedMax + 1) unless PostgreSQL's
// estimate of them (estimateMatches) is at least uncountedMin: a word that
// many structures hold is too common to rank without the count, which for
// such a word cost more than the page (15–60 ms on the 1M set, against
// 0.2–0.9 ms for the estimate). The estimate of a text alone comes from
// the statistics of the words (pg_stats.most_common_elems of
// search_vector, kept by ANALYZE): for a lexeme held by 10,000 of a
// million structures, ANALYZE's sample of 30,000 rows holds about 300, so
// it cannot be ten times too high. With other filters PostgreSQL takes
// them as independent of the text: a word ten times rarer in a place than
// elsewhere may be estimated at 10,000 there with at most 1,000 matches,
// and then comes in name or shuffle order instead of ranked; every record
// is still walked once.
func relevanceOrder(db *gorm.DB, sel *selection) (essdir.Sort, error) {
	if sel.Cursor != "" {
		if s := cursorSort(sel.Cursor); s == sortRelevanceShuffled || s == sortRelevanceByName {
			return s, nil
		}
		// Anyone can write a ranked cursor, and ranking every match of a
		// common word is what the bound is for: the matches are counted
		// again. They may have grown since the first page, hence twice the
		// bound; beyond it the walk must start again.
		n, err := countMatches(db, *sel, 2*rankedMax)
		switch {
		case err != nil:
			return "", err
		case n > int64(2*rankedMax):
			return "", &essdir.Error{Code: essdir.EMALFORMED, Message: "the search now matches too many structures to go on in relevance order",
				Fields: []essdir.FieldError{{Field: "cursor", Message: "start again without a cursor"}}}
		}
		return essdir.SortRelevance, nil
	}
	if err := estimateMatches(db, sel); err != nil {
		return "", err
	}
	if !sel.estimated || sel.estimate < float64(uncountedMin()) {
		n, err := countMatches(db, *sel, rankedMax)
		if err != nil {
			return "", err
		}
		if n <= int64(rankedMax) {
			return essdir.SortRelevance, nil
		}
	}
	if inNamedPlace(*sel) {
		return sortRelevanceByName, nil
	}
	return sortRelevanceShuffled, nil
}

// uncountedFactor: a text whose matches PostgreSQL estimates at
// uncountedFactor × rankedMax or more is not counted (relevanceOrder).
var uncountedFactor = 10

func uncountedMin() int { return uncountedFactor * rankedMax }

// estimateMatches sets sel.estimate to PostgreSQL's estimate of the live
// structures sel selects: the planned rows of the count's selection,
// planned with its values (EXPLAIN, a fraction of a millisecond, no row
// read). sel.estimated stays false for a text with a phrase (a hyphenated
// word is one: "tiers-lieu" is 'tiers-lieu' <-> 'tier' <-> 'lieu'), whose
// words PostgreSQL takes as independent although they come together: it
// estimated 167 matches of "tiers-lieu" on the 1M set, which has 52,164.
func estimateMatches(db *gorm.DB, sel *selection) error {
	if sel.estimated || strings.Contains(sel.tsquery, "<") {
		return nil
	}
	rows, ok, err := plannedRows(db, *sel)
	if err != nil || !ok {
		return err
	}
	sel.estimate, sel.estimated = rows, true
	return nil
}

// plannedRows is PostgreSQL's estimate of the live structures sel selects
// (EXPLAIN of the count's selection, planned with its values); ok is false
// inside a transaction (no page reads there), where there is none.
func plannedRows(db *gorm.DB, sel selection) (rows float64, ok bool, err error) {
	q := structureFilterQuery(db.Session(&gorm.Session{NewDB: true}).Table("structures"), sel).
		Where("structures.deleted_at IS NULL").Select("1")
	var dest []map[string]any
	stmt := q.Session(&gorm.Session{DryRun: true}).Find(&dest).Statement
	if stmt.Error != nil {
		return 0, false, stmt.Error
	}
	pool, ok := stmt.ConnPool.(*sql.DB)
	if !ok {
		return 0, false, nil
	}
	ctx := stmt.Context
	if ctx == nil {
		ctx = context.Background()
	}
	var plan string
	err = queryNative(ctx, pool, "EXPLAIN (FORMAT JSON) "+stmt.SQL.String(), stmt.Vars, func(r pgx.Rows) error {
		for r.Next() {
			if err := r.Scan(&plan); err != nil {
				return err
			}
		}
		return r.Err()
	})
	if err != nil {
		return 0, false, err
	}
	var plans []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		}
	}
	if err := json.Unmarshal([]byte(plan), &plans); err != nil || len(plans) != 1 {
		return 0, false, fmt.Errorf("store: reading the plan of a search: %v", err)
	}
	return plans[0].Plan.Rows, true, nil
}

// countMatches counts sel's live structures, up to max + 1.
func countMatches(db *gorm.DB, sel selection, max int) (int64, error) {
	sub := structureFilterQuery(db.Session(&gorm.Session{NewDB: true}).Table("structures"), sel).
		Where("structures.deleted_at IS NULL").Select("1").Limit(max + 1)
	return countNative(db.Session(&gorm.Session{NewDB: true}).Table("(?) AS matches", sub))
}

// inNamedPlace reports whether sel keeps one département, région, commune
// or legal form: their (code, name, id) indexes serve its structures in
// name order, so a text too common to rank comes in that order (on the 1M
// set, "solidaire" in one département: a page read from its index, 21 ms;
// in the shuffle, 0.4 s to order the département's 20,000 structures).
func inNamedPlace(sel selection) bool {
	return len(sel.DepartmentCodes) == 1 || len(sel.RegionCodes) == 1 || len(sel.INSEECodes) == 1 || len(sel.LegalForms) == 1
}

func badSort(msg string) error {
	return &essdir.Error{Code: essdir.EMALFORMED, Message: "unknown sort",
		Fields: []essdir.FieldError{{Field: "sort", Message: msg}}}
}
