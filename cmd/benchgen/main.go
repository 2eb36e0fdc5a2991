// Command benchgen fills a benchmark database with a reproducible directory:
// S = 10,000 structures, L = 1,000,000, three activities each, in real
// communes (the geography reference of the database), with names drawn from
// a Zipf-distributed French vocabulary, loaded through COPY. The same seed
// gives the same rows. See docs/BENCHMARKS.md and BENCH.md.
//
//	benchgen --size S [--seed 1] [--db postgres://…/essdir_bench]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/essdir/essdir/internal/essdir"
	"github.com/essdir/essdir/internal/store"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchgen:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("benchgen", flag.ContinueOnError)
	size := fs.String("size", "S", "S (10k structures) or L (1M), or a number")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same data")
	dsn := fs.String("db", "postgres://postgres@127.0.0.1:5432/essdir_bench?sslmode=disable", "benchmark database (its name must contain \"bench\": it is emptied)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	n := map[string]int{"S": 10_000, "L": 1_000_000}[*size]
	if n == 0 {
		if _, err := fmt.Sscan(*size, &n); err != nil || n <= 0 {
			return fmt.Errorf("--size must be S, L or a positive number")
		}
	}
	cfg, err := pgx.ParseConfig(*dsn)
	if err != nil {
		return err
	}
	if !strings.Contains(cfg.Database, "bench") {
		return fmt.Errorf("refusing to empty %q: a benchmark database's name contains \"bench\"", cfg.Database)
	}
	st, err := store.Open(ctx, *dsn, store.Options{MaxOpenConns: 2})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := store.Migrate(ctx, st.SQL(), "up", io.Discard); err != nil {
		return err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	start := time.Now()
	g, err := newGenerator(ctx, conn, *seed)
	if err != nil {
		return err
	}
	if err := g.load(ctx, conn, n); err != nil {
		return err
	}
	fmt.Fprintf(out, "benchgen: %d structures, %d activities, COPY, then indexes built, in %.1fs (%.0f structures/s)\n",
		n, 3*n, time.Since(start).Seconds(), float64(n)/time.Since(start).Seconds())
	return nil
}

// commune is a place structures are generated in.
type commune struct {
	insee, name, postal, dept, region string
	lat, lon                          float64 // the centre given to its département, plus a jitter
}

type generator struct {
	pcg      *rand.PCG // rng's state, copied to replay a stream
	rng      *rand.Rand
	communes []commune
	words    *zipf
	kinds    *zipf
	sectors  []string
	labels   []string
	forms    []string
	audience []string
}

func newGenerator(ctx context.Context, conn *pgx.Conn, seed uint64) (*generator, error) {
	rows, err := conn.Query(ctx, `SELECT insee_code, name, coalesce(postal_codes[1], ''), department_code, region_code
		FROM geo_communes WHERE kind = 'commune' ORDER BY insee_code`)
	if err != nil {
		return nil, err
	}
	pcg := rand.NewPCG(seed, seed^0x5eed)
	g := &generator{pcg: pcg, rng: rand.New(pcg)}
	for rows.Next() {
		var c commune
		if err := rows.Scan(&c.insee, &c.name, &c.postal, &c.dept, &c.region); err != nil {
			return nil, err
		}
		if essdir.ValidDepartmentCode(c.dept) { // the overseas collectivities (975, 98x) are no filter value
			g.communes = append(g.communes, c)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(g.communes) == 0 {
		return nil, fmt.Errorf("the database has no geography")
	}
	g.words = newZipf(vocabulary, 1.0)
	g.kinds = newZipf(kinds, 1.1)
	codes := func(v *essdir.Vocabulary) []string {
		var out []string
		for _, t := range v.Terms {
			out = append(out, t.Value)
		}
		return out
	}
	g.sectors, g.labels, g.forms, g.audience = codes(essdir.Sectors), codes(essdir.Labels), codes(essdir.LegalForms), codes(essdir.Audiences)
	return g, nil
}

// departmentCentre is a synthetic, reproducible point for a département:
// the geography package has no coordinates. Metropolitan codes spread over
// mainland France's box; overseas ones keep their own region of the globe.
func departmentCentre(dept string) (lat, lon float64) {
	h := fnv.New64a()
	h.Write([]byte(dept))
	v := h.Sum64()
	u1, u2 := float64(v&0xffff)/0xffff, float64((v>>16)&0xffff)/0xffff
	switch {
	case strings.HasPrefix(dept, "971"), strings.HasPrefix(dept, "972"):
		return 15.5 + u1, -61.5 + u2/2
	case strings.HasPrefix(dept, "973"):
		return 4 + u1, -53 + u2
	case strings.HasPrefix(dept, "974"):
		return -21.1 + u1/4, 55.3 + u2/4
	case strings.HasPrefix(dept, "97"):
		return -12.8 + u1/4, 45.1 + u2/4
	}
	return 43 + 7*u1, -1 + 7*u2
}

func (g *generator) name() string {
	kind := g.kinds.pick(g.rng)
	n := 1 + g.rng.IntN(3)
	parts := []string{kind}
	for range n {
		parts = append(parts, g.words.pick(g.rng))
	}
	return strings.Join(parts, " ")
}

func (g *generator) sentence(words int) string {
	parts := make([]string, words)
	for i := range parts {
		parts[i] = g.words.pick(g.rng)
	}
	return strings.Join(parts, " ")
}

func (g *generator) some(from []string, max int) []string {
	n := g.rng.IntN(max + 1)
	seen := map[string]bool{}
	var out []string
	for range n {
		v := from[g.rng.IntN(len(from))]
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// load empties the directory tables and copies n structures and 3n
// activities in. Each structure's activity_names (what the activities
// trigger would write, read by the generated search_vector) is written in
// the structures' own COPY: the activities are drawn from a second stream
// of the generator, in step with the structures, and drawn again, the same,
// for their own COPY. The trigger is off during the load, so no UPDATE of
// every structure is needed (it did not finish in 4 minutes on L). The
// typo dictionary's insert trigger is off too: the dictionary is filled
// once, after the COPY, by the function the trigger calls. The
// secondary indexes of both tables (not those of constraints) are dropped
// before the COPY and built again after it: maintaining the GIN indexes row
// by row held the load at 600–1,300 structures/s.
//
// The draws are those of a single stream (structures, then activities), as
// before this change: the same seed gives the same rows.
func (g *generator) load(ctx context.Context, conn *pgx.Conn, n int) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	var indexes []string
	rows, err := tx.Query(ctx, `SELECT indexname, indexdef FROM pg_indexes i
		WHERE schemaname = current_schema() AND tablename IN ('structures', 'activities')
		AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`)
	if err != nil {
		return err
	}
	var drops []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return err
		}
		drops, indexes = append(drops, "DROP INDEX "+pgx.Identifier{name}.Sanitize()), append(indexes, def)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, stmt := range append([]string{
		"SET LOCAL maintenance_work_mem = '256MB'",
		"SET LOCAL synchronous_commit = off",
		"TRUNCATE structures, activities, collectivity_links, support_scheme_beneficiaries, support_scheme_funders, support_schemes, collectivities, search_words CASCADE",
		"ALTER TABLE activities DISABLE TRIGGER activities_search_text",
		"ALTER TABLE structures DISABLE TRIGGER structures_search_words_insert",
	}, drops...) {
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	// The activities' stream starts where the structures' draws end: run
	// those once, discarded, on a copy of the state.
	structState := *g.pcg
	for k := range n {
		g.structure(k, base)
	}
	actState := *g.pcg
	*g.pcg = structState
	acts := g.activities(actState, base)
	ids := make([]uuid.UUID, n)
	i := 0
	structRows := pgx.CopyFromFunc(func() ([]any, error) {
		if i >= n {
			return nil, nil
		}
		id, row := g.structure(i, base)
		ids[i] = id
		row = append(row, acts.names(i))
		i++
		return row, nil
	})
	cols := []string{"id", "slug", "name", "legal_form", "summary", "description", "sectors", "labels",
		"postal_code", "city", "insee_code", "department_code", "region_code", "lat", "lon",
		"networks", "status", "source", "external_id", "created_at", "updated_at", "version", "activity_names"}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"structures"}, cols, structRows); err != nil {
		return fmt.Errorf("copy structures: %w", err)
	}
	acts = g.activities(actState, base)
	j := 0
	actRows := pgx.CopyFromFunc(func() ([]any, error) {
		if j >= 3*n {
			return nil, nil
		}
		a := acts.next()
		j++
		return []any{a.id, ids[a.structure], a.name, a.sectors, a.audiences, a.at, a.at, 1}, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"activities"}, []string{"id", "structure_id", "name", "sectors", "audiences", "created_at", "updated_at", "version"}, actRows); err != nil {
		return fmt.Errorf("copy activities: %w", err)
	}
	// The typo dictionary of the structures' names and cities, in one
	// statement over the loaded rows (what the statement trigger, off during
	// the COPY, would have added; its transition table would hold every row).
	for _, stmt := range []string{
		"ALTER TABLE activities ENABLE TRIGGER activities_search_text",
		"SELECT essdir_remember_words(array_agg(name_key)) FROM structures WHERE deleted_at IS NULL",
		"ALTER TABLE structures ENABLE TRIGGER structures_search_words_insert",
	} {
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	for _, def := range indexes {
		if _, err := tx.Exec(ctx, def); err != nil {
			return fmt.Errorf("%s: %w", def, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	for _, t := range []string{"structures", "activities", "search_words"} {
		if _, err := conn.Exec(ctx, "VACUUM ANALYZE "+t); err != nil {
			return err
		}
	}
	return nil
}

// structure draws the i-th structure's row (without activity_names).
func (g *generator) structure(i int, base time.Time) (uuid.UUID, []any) {
	c := g.communes[g.rng.IntN(len(g.communes))]
	lat, lon := departmentCentre(c.dept)
	lat += g.rng.Float64() * 0.8
	lon += g.rng.Float64() * 0.8
	name := g.name()
	id := uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "structure-%d", i))
	at := base.Add(time.Duration(g.rng.IntN(365*24*3600)) * time.Second)
	status := "published"
	if g.rng.IntN(20) == 0 {
		status = "draft"
	}
	return id, []any{id, essdir.Slugify(name) + fmt.Sprintf("-%d", i), name, g.forms[g.rng.IntN(len(g.forms))],
		g.sentence(8), g.sentence(30), g.some(g.sectors, 2), g.some(g.labels, 1),
		c.postal, c.name, c.insee, c.dept, c.region, round(lat), round(lon),
		[]string{}, status, "bench", fmt.Sprintf("bench-%d", i), at, at, 1}
}

// activity is one generated activity; the j-th belongs to structure j/3.
type activity struct {
	id                 uuid.UUID
	structure          int
	name               string
	sectors, audiences []string
	at                 time.Time
}

// activityStream draws the activities in order from its own generator
// state (a copy of the main one's), the same draws as the main generator
// would make from that state.
type activityStream struct {
	g    *generator
	j    int
	base time.Time
}

func (g *generator) activities(state rand.PCG, base time.Time) *activityStream {
	pcg := state
	sub := *g
	sub.pcg = &pcg
	sub.rng = rand.New(&pcg)
	return &activityStream{g: &sub, base: base}
}

func (s *activityStream) next() activity {
	j := s.j
	s.j++
	return activity{
		id:        uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "activity-%d", j)),
		structure: j / 3,
		name:      s.g.sentence(3),
		sectors:   s.g.some(s.g.sectors, 1),
		audiences: s.g.some(s.g.audience, 2),
		at:        s.base.Add(time.Duration(j) * time.Second),
	}
}

// names draws structure i's three activities (the stream must be at them)
// and joins their names as the trigger does: string_agg(name, ' ' ORDER
// BY name, id) (byte order: the database's collation is C.UTF-8; uuids
// compare as bytes).
func (s *activityStream) names(i int) string {
	as := make([]activity, 3)
	for k := range as {
		as[k] = s.next()
		if as[k].structure != i {
			panic(fmt.Sprintf("benchgen: activity %d drawn for structure %d", s.j-1, i))
		}
	}
	sort.Slice(as, func(a, b int) bool {
		if as[a].name != as[b].name {
			return as[a].name < as[b].name
		}
		return bytes.Compare(as[a].id[:], as[b].id[:]) < 0
	})
	return as[0].name + " " + as[1].name + " " + as[2].name
}

func round(v float64) float64 { return math.Round(v*1e5) / 1e5 }

// zipf draws words with probability proportional to 1/rank^s: the first
// words of the list ("association", "solidaire") are in a large share of
// names, as in real data, and the tail is rare.
type zipf struct {
	words []string
	cum   []float64
}

func newZipf(words []string, s float64) *zipf {
	z := &zipf{words: words, cum: make([]float64, len(words))}
	total := 0.0
	for i := range words {
		total += 1 / math.Pow(float64(i+1), s)
		z.cum[i] = total
	}
	for i := range z.cum {
		z.cum[i] /= total
	}
	return z
}

func (z *zipf) pick(rng *rand.Rand) string {
	u := rng.Float64()
	lo, hi := 0, len(z.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if z.cum[mid] < u {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return z.words[lo]
}
