package store

import (
	"context"
	"database/sql"
	"slices"
	"strconv"

	"gorm.io/gorm"

	"github.com/essdir/essdir/internal/essdir"
)

// A derived slug is the first free candidate of its base (the slugified
// name): base itself, then base-2, base-3… (slugCandidate), among every slug
// ever given in the table (deleted records keep theirs). Finding it must
// not read every candidate already taken: with common names ("association
// solidaire" thousands of times) that read grew with the table and was, on
// 100,000 rows, a fifth of a bulk batch's SQL.
//
// slug_counters (migration 00011) keeps, per table and base, a count taken
// such that the base's candidates 1…taken are all taken. Slugs are never
// freed (a rename keeps its slug, a soft delete too; a DELETE or TRUNCATE of
// the table forgets the counters, by trigger), so the first free candidate
// is at taken+1 or after it: freeSlugs probes taken+1, taken+2… by exact
// slug on the unique index (a client-chosen slug, another base's candidate
// or a slug given before the counter existed may hold one), gives the free
// ones, and moves the counter past what it gave. Most names are given once:
// a base without a counter starts at 0, its first probe reads one candidate
// more than it needs (so a name's second structure needs no second probe),
// and it gets a counter only from its second slug on — a table's worth of
// counters for names given once would cost more than the probes it saves.
// A base whose candidates are taken is probed farther, twice as far each
// time (an old database: log₂ of its taken slugs in round trips, once).
// Counters are not locked. Every writer that derives slugs holds
// slugLock, shared, for its whole transaction: two writers of a base may
// give the same slug, and the second meets the unique index; it tries
// again holding the lock alone (lockSlugs), so that no other writer
// derives slugs until it has committed, and it finds the first's slug and
// counter. A retry is therefore the last one, whatever the contention
// (unless a client chooses that very slug meanwhile: chosen slugs take no
// lock).
// The answer is the one the rule gives, for a single write as for a batch.

// slugLock is the key of the advisory lock of slug derivation (an
// arbitrary constant: "essdir slugs").
const slugLock = 0x65737364_736c7567

// lockSlugs takes slugLock until the end of the transaction (slugLockSQL).
func lockSlugs(tx *gorm.DB, alone bool) error {
	return tx.Exec(slugLockSQL(alone)).Error
}

// slugLockSQL takes slugLock until the end of the transaction: shared on a
// first attempt, alone on a retry after a slug conflict. It must come
// first in the transaction: a writer holds no other lock while it waits
// for this one, so the wait never closes a circle.
func slugLockSQL(alone bool) string {
	if alone {
		return "SELECT pg_advisory_xact_lock(" + strconv.FormatInt(slugLock, 10) + ")"
	}
	return "SELECT pg_advisory_xact_lock_shared(" + strconv.FormatInt(slugLock, 10) + ")"
}

// slugCandidate is the n-th candidate of base: base, then base-n, the base
// cut so that the whole stays within essdir.MaxSlugLen.
func slugCandidate(base string, n int) string {
	if n == 1 {
		return base
	}
	suffix := "-" + strconv.Itoa(n)
	return essdir.TrimSlug(base, essdir.MaxSlugLen-len(suffix)) + suffix
}

// freeSlug returns the first free candidate of base (see above); the
// transaction holds slugLock.
func freeSlug(tx *gorm.DB, tableName, base string) (string, error) {
	free, err := freeSlugs(tx, tableName, []string{base}, nil)
	if err != nil {
		return "", err
	}
	return free[0], nil
}

// freeSlugs is freeSlug for a batch: each base gets the first candidate
// that neither the table, nor an earlier base of the batch, nor a slug the
// batch's other items chose (chosen) holds, as when the same records are
// written one by one; the transaction holds slugLock. Its statements do
// not grow with the table: one reads the counters and probes the
// candidates after them (firstProbe; rarely a few more probes, when some
// are taken), one moves the counters.
func freeSlugs(tx *gorm.DB, tableName string, bases, chosen []string) ([]string, error) {
	distinct := slices.Clone(bases)
	slices.Sort(distinct)
	distinct = slices.Compact(distinct)
	span := map[string]int{} // how many candidates of a base the next probe reads
	for _, base := range bases {
		if span[base] == 0 {
			span[base] = 1 // the next one too
		}
		span[base]++
	}
	held := map[string]bool{}   // candidates probed and found taken
	probed := map[string]bool{} // candidates probed, or about to be
	for _, c := range chosen {
		held[c], probed[c] = true, true
	}
	taken, err := firstProbe(tx, tableName, distinct, span, probed, held)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(bases))
	last := make(map[string]int, len(distinct)) // the last candidate given, per base
	claimed := claimedSlugs(tx)
	for {
		// Give each base its first candidate not known to be held, nor given
		// to an earlier item; a candidate not probed yet is probed, with the
		// next span of its base's candidates (twice as many each time), and
		// the pass is done again with the answer.
		var probe []string
		clear(last)
		given := make(map[string]bool, len(bases))
		for i, base := range bases {
			n, ok := last[base]
			if !ok {
				n = taken[base]
			}
			for n++; ; n++ {
				c := slugCandidate(base, n)
				if !probed[c] {
					for k := range span[base] {
						if c := slugCandidate(base, n+k); !probed[c] {
							probed[c] = true
							probe = append(probe, c)
						}
					}
					span[base] *= 2
				}
				if !held[c] && !given[c] && !claimed(c) {
					break
				}
			}
			out[i], last[base] = slugCandidate(base, n), n
			given[out[i]] = true
		}
		if len(probe) == 0 {
			break
		}
		if err := probeSlugs(tx, tableName, probe, held); err != nil {
			return nil, err
		}
	}
	// Each base's candidates up to the last one given are now taken, and so
	// are those probed taken right after it; a counter at 1 is not kept. In
	// the order of the bases, so that two writers never wait for each
	// other's counters in a circle.
	var moved, counts []string
	for _, base := range distinct {
		n := last[base]
		for held[slugCandidate(base, n+1)] {
			n++
		}
		if n > max(taken[base], 1) {
			moved, counts = append(moved, base), append(counts, strconv.Itoa(n))
		}
	}
	if len(moved) == 0 {
		return out, nil
	}
	err = tx.Exec(`INSERT INTO slug_counters (tbl, base, taken)
		SELECT ?, u.base, u.taken FROM unnest(?::text[], ?::int[]) WITH ORDINALITY AS u(base, taken, n) ORDER BY n
		ON CONFLICT (tbl, base) DO UPDATE SET taken = greatest(slug_counters.taken, EXCLUDED.taken)`,
		tableName, textArray(moved), textArray(counts)).Error
	return out, err
}

// claimedSlugsKey marks a context whose slug derivations take the slugs
// its function says are claimed for taken (WithClaimedSlugs).
type claimedSlugsKey struct{}

// WithClaimedSlugs is ctx for bulk writes that derive slugs as if the
// slugs claimed says are claimed were taken: an import's --strict check,
// whose batches are rolled back, derives each batch's slugs as the writing
// will, after the batches before it.
func WithClaimedSlugs(ctx context.Context, claimed func(slug string) bool) context.Context {
	return context.WithValue(ctx, claimedSlugsKey{}, claimed)
}

func claimedSlugs(tx *gorm.DB) func(string) bool {
	if ctx := tx.Statement.Context; ctx != nil {
		if claimed, ok := ctx.Value(claimedSlugsKey{}).(func(string) bool); ok {
			return claimed
		}
	}
	return func(string) bool { return false }
}

// probeSlugs marks in held which of these slugs the table holds.
func probeSlugs(tx *gorm.DB, tableName string, slugs []string, held map[string]bool) error {
	rows, err := tx.Raw(`SELECT slug FROM `+tableName+` WHERE slug = ANY(?::text[])`, keyArray(slugs)).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var slug string
		if err := rows.Scan(&slug); err != nil {
			return err
		}
		held[slug] = true
	}
	return rows.Err()
}

// firstProbe reads the counters of these bases (their taken) and, in the
// same statement, probes the first span of candidates after each counter,
// those the first pass of freeSlugs would probe: one round trip where the
// counters' read and then the probe took two. The statement builds the
// candidates after the counter it has just read (a base without one
// starts at the base itself), as slugCandidate does when the base needs no
// cut: base, base-2…; a long base's candidates, cut, are left unprobed,
// for the next pass to probe (a second round trip, as when the first probe
// finds candidates taken). It marks the candidates it probed in probed,
// those the table holds in held, and doubles the spans, as a probe does.
func firstProbe(tx *gorm.DB, tableName string, bases []string, span map[string]int, probed, held map[string]bool) (map[string]int, error) {
	spans := make([]int32, len(bases))
	for i, base := range bases {
		spans[i] = int32(span[base])
	}
	// Base by base on the primary key of the counters, whatever the
	// statistics say: a subquery in the select list is run row by row,
	// never merged into a join. The LATERAL join it replaces was merged:
	// on counters never analyzed, its plans read every counter of the
	// table into a hash (100,000 counters: 40 ms a batch, then 4 ms by the
	// generic plan), as an earlier one compared every counter with every
	// base (60 ms a batch at 100,000 rows). The candidates are probed as
	// probeSlugs does, on the unique index of the slugs. A row is a
	// counter found (base, taken) or a candidate held (slug, NULL); a
	// counter at 0 is no counter.
	rows, err := tx.Raw(`WITH b AS MATERIALIZED (
			SELECT u.base, u.span, coalesce((SELECT taken FROM slug_counters WHERE tbl = ? AND base = u.base), 0) AS taken
			FROM unnest(?::text[], ?::int[]) AS u(base, span))
		SELECT base, taken FROM b WHERE taken > 0
		UNION ALL
		SELECT slug, NULL FROM `+tableName+` WHERE slug = ANY (ARRAY(
			SELECT CASE n WHEN 1 THEN base ELSE base || '-' || n END FROM b, generate_series(taken + 1, taken + span) AS n))`,
		tableName, keyArray(bases), keyArray(spans)).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	taken := make(map[string]int, len(bases))
	for rows.Next() {
		var key string
		var n sql.NullInt32
		if err := rows.Scan(&key, &n); err != nil {
			return nil, err
		}
		if n.Valid {
			taken[key] = int(n.Int32)
		} else {
			held[key] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, base := range bases {
		for n := taken[base] + 1; n <= taken[base]+span[base]; n++ {
			if c := slugCandidate(base, n); n == 1 || c == base+"-"+strconv.Itoa(n) {
				probed[c] = true
			}
		}
		span[base] *= 2
	}
	return taken, nil
}
