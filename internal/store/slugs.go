package store

import (
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
// slug_counters (migration 00010) keeps, per table and base, a count taken
// such that the base's candidates 1…taken are all taken. Slugs are never
// freed (a rename keeps its slug, a soft delete too; a DELETE or TRUNCATE of
// the table forgets the counters, by trigger), so the first free candidate
// is at taken+1 or after it: freeSlugs probes taken+1, taken+2… by exact
// slug on the unique index (a client-chosen slug, another base's candidate
// or a slug given before the counter existed may hold one), gives the free
// ones, and moves the counter past what it gave. A counter row is locked
// from the first statement to the commit, so two writers of the same base
// take turns rather than probe the same candidates; rows are locked in the
// order of their bases, so two batches never wait for each other in a
// circle. A base without a counter starts at 0, and its probes double in
// length while they find taken candidates (an old database: log₂ of its
// taken slugs in round trips, once). The answer is the one the rule gives,
// for a single write as for a batch.

// slugCandidate is the n-th candidate of base: base, then base-n, the base
// cut so that the whole stays within essdir.MaxSlugLen.
func slugCandidate(base string, n int) string {
	if n == 1 {
		return base
	}
	suffix := "-" + strconv.Itoa(n)
	return essdir.TrimSlug(base, essdir.MaxSlugLen-len(suffix)) + suffix
}

// freeSlug returns the first free candidate of base (see above).
func freeSlug(tx *gorm.DB, tableName, base string) (string, error) {
	free, err := freeSlugs(tx, tableName, []string{base})
	if err != nil {
		return "", err
	}
	return free[0], nil
}

// freeSlugs is freeSlug for a batch: each base gets the first candidate
// that neither the table nor an earlier base of the batch holds. Its
// statements do not grow with the table: one locks (or creates) the
// counters, one reads them, one probes the candidates (rarely a few more,
// when some are taken), one moves the counters.
func freeSlugs(tx *gorm.DB, tableName string, bases []string) ([]string, error) {
	distinct := slices.Clone(bases)
	slices.Sort(distinct)
	distinct = slices.Compact(distinct)
	// ON CONFLICT DO UPDATE … WHERE false writes nothing to a counter that
	// exists but locks it all the same; a new one starts at 0.
	err := tx.Exec(`INSERT INTO slug_counters (tbl, base, taken)
		SELECT ?, b, 0 FROM unnest(?::text[]) WITH ORDINALITY AS u(b, n) ORDER BY n
		ON CONFLICT (tbl, base) DO UPDATE SET taken = EXCLUDED.taken WHERE false`,
		tableName, textArray(distinct)).Error
	if err != nil {
		return nil, err
	}
	var counters []struct {
		Base  string
		Taken int
	}
	err = tx.Raw(`SELECT base, taken FROM slug_counters WHERE tbl = ? AND base = ANY(?::text[])`,
		tableName, textArray(distinct)).Scan(&counters).Error
	if err != nil {
		return nil, err
	}
	taken := make(map[string]int, len(distinct))
	for _, c := range counters {
		taken[c.Base] = c.Taken
	}

	need := map[string]int{} // items per base
	for _, base := range bases {
		need[base]++
	}
	held := map[string]bool{}   // candidates probed and found taken
	probed := map[string]bool{} // candidates probed, or about to be
	span := need                // how many candidates of a base the next probe reads
	out := make([]string, len(bases))
	last := make(map[string]int, len(distinct)) // the last candidate given, per base
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
				if !held[c] && !given[c] {
					break
				}
			}
			out[i], last[base] = slugCandidate(base, n), n
			given[out[i]] = true
		}
		if len(probe) == 0 {
			break
		}
		var found []string
		err := tx.Raw(`SELECT slug FROM `+tableName+` WHERE slug = ANY(?::text[])`, textArray(probe)).Scan(&found).Error
		if err != nil {
			return nil, err
		}
		for _, f := range found {
			held[f] = true
		}
	}
	// Each base's candidates up to the last one given are now taken, and so
	// are those probed taken right after it.
	moved := make([]string, 0, len(distinct))
	counts := make([]string, 0, len(distinct))
	for _, base := range distinct {
		n := last[base]
		for held[slugCandidate(base, n+1)] {
			n++
		}
		moved, counts = append(moved, base), append(counts, strconv.Itoa(n))
	}
	err = tx.Exec(`UPDATE slug_counters c SET taken = u.taken
		FROM unnest(?::text[], ?::int[]) AS u(base, taken)
		WHERE c.tbl = ? AND c.base = u.base AND c.taken < u.taken`,
		textArray(moved), textArray(counts), tableName).Error
	return out, err
}
