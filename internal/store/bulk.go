package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/essdir/essdir/internal/essdir"
	"github.com/essdir/essdir/internal/parallel"
)

// errDryRun rolls back the transaction of a dry run.
var errDryRun = errors.New("dry run: rolled back")

// syncKey is the key partners upsert by.
type syncKey struct{ source, externalID string }

// syncKeyOf is the key of a record of this source and external id, as
// partners upsert by it (essdir.SyncKey).
func syncKeyOf(source, externalID string) syncKey {
	source, externalID = essdir.SyncKey(source, externalID)
	return syncKey{source, externalID}
}

// originOf gives the (source, external_id) of any record that has one.
type originOf[D any] func(*D) (source, externalID string)

// upsertMany writes a batch of records by (source, external_id), in one
// transaction: each item replaces the live record of its key as a PUT
// does (the write rule of essdir.Prepare, given the stored record), or is
// created. Every item is judged before anything is written; one bad item
// and nothing is: a 422 naming every bad field as items[i].field, or a
// 403 when authorize refuses items. Unchanged items touch nothing and
// emit no change. The statements do not grow with the batch where it can
// be helped: one SELECT of every stored key (locked), one of the slugs,
// a COPY of the new rows straight into the table, a COPY of the changed
// ones into a temporary table and one INSERT … SELECT … ON CONFLICT DO
// UPDATE from it, one COPY of the feed entries. The communes come from a
// cache of the loaded geography (geocache.go), and the items' checks run
// on every core. Only tables with reference checks or child rows (events'
// organizers) still cost statements per changed item.
//
// With commit false the batch is written and rolled back: the same checks
// down to the database's constraints, nothing kept (a dry run).
func upsertMany[D any, P essdir.Writable[D], R any](ctx context.Context, s *Store, t *table[D, R], items []essdir.BulkItem[D], origin originOf[D], authorize essdir.Authorize[D], commit bool) ([]essdir.Upserted, error) {
	var bad essdir.Violations
	keys := make([]syncKey, len(items))
	first := map[syncKey]int{}
	var sources, externalIDs []string
	for i, it := range items {
		k := syncKeyOf(origin(it.Record))
		keys[i] = k
		if k.source == "" {
			bad.Add(fmt.Sprintf("items[%d].source", i), "is required: bulk upserts match records by source and external_id")
		}
		if k.externalID == "" {
			bad.Add(fmt.Sprintf("items[%d].external_id", i), "is required: bulk upserts match records by source and external_id")
		}
		if k.source == "" || k.externalID == "" {
			continue
		}
		if j, dup := first[k]; dup {
			bad.Add(fmt.Sprintf("items[%d].external_id", i), "repeats the source and external_id of items[%d]", j)
			continue
		}
		first[k] = i
		sources, externalIDs = append(sources, k.source), append(externalIDs, k.externalID)
	}
	// A client-chosen slug is kept on a retry; a derived one is derived again.
	var givenSlug []bool
	if t.slug != nil {
		givenSlug = make([]bool, len(items))
		for i := range items {
			slug, _ := t.slug(items[i].Record)
			givenSlug[i] = *slug != ""
		}
		// The items are the caller's: a slug derived here is not left on
		// them, so that the same items may be sent again (after a dry run).
		defer func() {
			for i, it := range items {
				if slug, _ := t.slug(it.Record); !givenSlug[i] {
					*slug = ""
				}
			}
		}()
	}
	var out []essdir.Upserted
	slugConflict, stream := false, true
	transient := 0     // attempts ended by a deadlock
	refreshed := false // the table's statistics, once
	for attempt := 0; ; attempt++ {
		err := s.inCopyTx(ctx, func(tx *gorm.DB, conn *sql.Conn) error {
			// Before any other lock (slugLockSQL); alone after a slug
			// conflict, so that this attempt is the last.
			var slugLocking string
			if givenSlug != nil {
				slugLocking = slugLockSQL(slugConflict)
			}
			var err error
			out, err = upsertBatch[D, P](ctx, s, tx, conn, t, items, keys, sources, externalIDs, origin, authorize, bad, givenSlug, slugLocking, stream, !refreshed)
			if err == nil && t.slug != nil { // before the derived slugs leave the items
				for i, it := range items {
					if slug, _ := t.slug(it.Record); out[i].Result == essdir.UpsertCreated {
						out[i].Slug = *slug
					}
				}
			}
			if err == nil && !commit {
				return errDryRun
			}
			return err
		})
		if errors.Is(err, errDryRun) {
			return out, nil
		}
		if errors.Is(err, errStaleStatistics) {
			if err := s.freshStatistics(ctx, t.name); err != nil {
				return nil, translate(err)
			}
			refreshed = true
			attempt--
			continue
		}
		if errors.Is(err, errStreamFallback) && stream {
			stream = false // once more, checked then written
			attempt--
			continue
		}
		// Losing a race for a new key or a derived slug with a concurrent
		// writer: the next attempt finds its record, or the next free slug.
		if attempt < 3 && (isConflictOn(err, "slug") || isConflictOn(err, "external_id")) {
			slugConflict = slugConflict || isConflictOn(err, "slug")
			continue
		}
		// PostgreSQL broke a deadlock by ending this transaction: the whole
		// batch again, holding the slug lock alone, so that no other writer
		// of slugs (every structure batch and creation) runs beside it.
		if transient < maxTransientRetries && isTransient(err) {
			transient++
			slugConflict = givenSlug != nil
			attempt--
			continue
		}
		if isConflictOn(err, "slug") || isConflictOn(err, "siret") {
			named, lookupErr := itemConflicts(ctx, s, t, items, keys, givenSlug)
			if lookupErr != nil {
				return nil, lookupErr
			}
			if named != nil {
				return nil, named
			}
		}
		return out, err
	}
}

// maxTransientRetries bounds how many times a write runs its transaction
// again after PostgreSQL ended it to break a deadlock (isTransient).
const maxTransientRetries = 3

// errStaleStatistics ends an attempt that is to be made again once the
// table's statistics are refreshed (freshStatistics), outside it.
var errStaleStatistics = errors.New("bulk write: the table's statistics are stale")

// staleStatisticsSQL tells whether freshStatistics has something to do,
// in a statement of the batch's first round trip: most batches find the
// statistics fresh, and need no round trip of their own for them.
func staleStatisticsSQL(table string) string {
	return `SELECT (c.relpages = 0 OR c.reltuples = 0)
		AND pg_relation_size(c.oid) > 8 * current_setting('block_size')::bigint
		AND (c.relpages > 0 OR EXISTS (SELECT FROM ` + table + `))
		FROM pg_class c WHERE c.oid = '` + table + `'::regclass`
}

// freshStatistics ANALYZEs table, outside any transaction, when its
// statistics describe it as empty (taken when it was, or never) while it
// holds more than a few pages. A batch's lookups are planned from them,
// and statistics of an empty table make every index look free: the
// planner then scans a whole index with a filter once per key (the SIRET
// index for the stored keys, the slug index for free slugs), and a batch
// that took 50 ms took seconds at 7,000 rows. Statistics of a smaller
// table are enough (the planner scales them to the table's current size);
// autovacuum keeps them. So this costs a look at pg_class per batch (a
// statement of its first round trip: staleStatisticsSQL) and,
// after the table was emptied or created, one ANALYZE of a small table
// (ANALYZE each time the table doubled cost 8 % of a 100,000-row import).
//
// Pages of no rows are the worst statistics (relpages > 0, reltuples 0):
// what an ANALYZE or a VACUUM leaves on a table of dead rows only, as an
// import's --strict leaves it (every batch written and rolled back). The
// planner then reads every page as empty, and looked each stored key up
// by a whole scan of the shuffle index: a 20,000-line --strict import
// took 10 minutes. Such a table is ANALYZEd once it holds a live row, and
// VACUUMed before (the dead rows gone and the pages given back, the
// planner reads its real size again).
func (s *Store) freshStatistics(ctx context.Context, table string) error {
	var stale, pagesOfNoRows bool
	err := s.sql.QueryRowContext(ctx, `SELECT (c.relpages = 0 OR c.reltuples = 0)
		AND pg_relation_size(c.oid) > 8 * current_setting('block_size')::bigint, c.relpages > 0
		FROM pg_class c WHERE c.oid = $1::regclass`, table).Scan(&stale, &pagesOfNoRows)
	if err != nil || !stale {
		return err
	}
	var live bool
	if err := s.sql.QueryRowContext(ctx, "SELECT EXISTS (SELECT FROM "+table+")").Scan(&live); err != nil {
		return err
	}
	switch {
	case live:
		_, err = s.sql.ExecContext(ctx, "ANALYZE "+table)
	case pagesOfNoRows:
		_, err = s.sql.ExecContext(ctx, "VACUUM "+table)
	}
	return err
}

// upsertBatch is one attempt of upsertMany, inside its transaction.
func upsertBatch[D any, P essdir.Writable[D], R any](ctx context.Context, s *Store, tx *gorm.DB, conn *sql.Conn, t *table[D, R],
	items []essdir.BulkItem[D], keys []syncKey, sources, externalIDs []string, origin originOf[D],
	authorize essdir.Authorize[D], bad essdir.Violations, givenSlug []bool, slugLocking string, stream bool,
	checkStatistics bool) ([]essdir.Upserted, error) {
	// Every statement of a batch is a lookup by key (stored records, free
	// slugs, the geography, references): index scans, whatever the
	// statistics say. Right after a large import they may still describe a
	// near-empty table, and the planner would scan the table once per key.
	// No JIT either: disabling the scan makes every plan that keeps one
	// (the COPYed temporary table's) look dear enough to be compiled, which
	// cost 70–130 ms a statement, more than the statement itself.
	// One round trip for the settings, the slug lock (the first lock the
	// transaction takes, after them: waiting for it counts against the
	// batch's own statement timeout, an import's, not a request's) and the
	// key of the loaded geography (geocache.go).
	settings := "SET LOCAL enable_seqscan = off; SET LOCAL jit = off"
	if s.bulkStatementTimeout > 0 {
		settings += "; SET LOCAL statement_timeout = " + strconv.FormatInt(s.bulkStatementTimeout.Milliseconds(), 10)
	}
	if slugLocking != "" {
		settings += "; " + slugLocking
	}
	geoKey, geoLoaded, stale, err := batchStart(ctx, conn, settings, t.name)
	if err != nil {
		return nil, err
	}
	if stale && checkStatistics {
		return nil, errStaleStatistics
	}
	stored, err := findByOrigin(tx, t, sources, externalIDs, origin)
	if err != nil {
		return nil, err
	}
	geo, err := s.geographyFor(ctx, tx, conn, geoKey, geoLoaded)
	if err != nil {
		return nil, err
	}
	mayStream := stream && t.canStream() && len(bad) == 0 &&
		slices.ContainsFunc(keys, func(k syncKey) bool { return stored[k] == nil })
	// The new records are checked and COPYed at once (bulkstream.go) when
	// nothing else needs the connection meanwhile; else checked, then
	// written. Their slugs are derived first.
	var slugs *streamSlugs
	if mayStream {
		if slugs, err = deriveStreamSlugs(tx, t, items, func(i int) bool { return stored[keys[i]] == nil }, givenSlug); err != nil {
			return nil, err
		}
	}
	now := s.now()
	invalid := append(essdir.Violations(nil), bad...)
	var forbidden essdir.Violations
	out := make([]essdir.Upserted, len(items))
	var created, changed, changedFrom []*D // changedFrom: the stored record of each changed one
	var slugged []int                      // indexes in created whose slug is derived
	var slugBases []string                 // and the bases of their slugs
	var written []*D                       // new records already written (streamed)
	// The caller's rule first, on each item as sent (a status left out is
	// the partner's moderation), then the write rule, on every core: the
	// items are independent, and their checks are most of a batch's own
	// work (the geography's answers are shared, read-only or locked).
	refused := make([]bool, len(items))
	for i, it := range items {
		*P(it.Record).Head() = essdir.Record{} // fresh on every attempt
		if givenSlug != nil && !givenSlug[i] {
			slug, _ := t.slug(it.Record)
			*slug = ""
		}
		if authorize == nil {
			continue
		}
		if err := authorize(i, stored[keys[i]], it.Record); err != nil {
			var e *essdir.Error
			if !errors.As(err, &e) || e.Code != essdir.EFORBIDDEN {
				return nil, err
			}
			forbidden = append(forbidden, essdir.ItemFields(i, e)...)
			refused[i] = true
		}
	}
	differs := make([]bool, len(items))
	failed := make([]error, len(items))
	bases := make([]string, len(items)) // the slug a new item's would derive from
	names := make([]string, len(items)) // or, streamed, the name it derives from
	var streamed bool
	prepare := func(i int) {
		if !refused[i] {
			differs[i], failed[i] = essdir.Prepare[D, P](ctx, geo, stored[keys[i]], P(items[i].Record), items[i].Echo)
			if givenSlug != nil && !givenSlug[i] && stored[keys[i]] == nil && failed[i] == nil {
				_, base := t.slug(items[i].Record)
				if streamed {
					names[i] = base // its slug is derived already
				} else {
					bases[i] = essdir.Slugify(base)
				}
			}
		}
	}
	fresh := func(i int) bool { return !refused[i] && stored[keys[i]] == nil }
	streamed = mayStream && len(forbidden) == 0
	var streamErr error // reported after the items' own errors
	if streamed {
		geo.geo = offlineGeography{}
		check := prepare
		if s.streamCheck != nil { // a test's
			check = func(i int) { s.streamCheck(i); prepare(i) }
		}
		streamErr = streamCreated[D, P](ctx, tx, conn, t, items, fresh, slugs, check, failed, names, now)
		if errors.Is(streamErr, errStreamStopped) {
			streamErr = nil
		}
		for _, f := range append(failed, streamErr) {
			if errors.Is(f, errStreamFallback) {
				return nil, errStreamFallback
			}
		}
	} else {
		parallel.For(len(items), prepare)
	}
	for i, it := range items {
		if refused[i] {
			continue
		}
		rec, old, ok := P(it.Record), stored[keys[i]], differs[i]
		if err := failed[i]; err != nil {
			var e *essdir.Error
			if !errors.As(err, &e) || (e.Code != essdir.EINVALID && e.Code != essdir.EMALFORMED && e.Code != essdir.ECONFLICT) {
				return nil, err
			}
			invalid = append(invalid, essdir.ItemFields(i, e)...)
			continue
		}
		out[i] = essdir.Upserted{ExternalID: keys[i].externalID, Result: essdir.UpsertUnchanged}
		switch {
		case old == nil && streamed: // written, with its id
			out[i].Result = essdir.UpsertCreated
			written = append(written, it.Record)
		case old == nil:
			rec.Head().ID = uuid.Must(uuid.NewV7())
			rec.Head().Touch(now)
			out[i].Result = essdir.UpsertCreated
			if givenSlug != nil && !givenSlug[i] {
				slugged = append(slugged, len(created))
				slugBases = append(slugBases, bases[i])
			}
			created = append(created, it.Record)
		case ok:
			rec.Head().Touch(now)
			out[i].Result = essdir.UpsertUpdated
			changed = append(changed, it.Record)
			changedFrom = append(changedFrom, old)
		}
		out[i].ID = rec.Head().ID
	}
	if len(forbidden) > 0 {
		return nil, &essdir.Error{Code: essdir.EFORBIDDEN, Message: "some items may not be written by this caller", Fields: forbidden}
	}
	if len(invalid) > 0 {
		return nil, &essdir.Error{Code: essdir.EINVALID, Message: "some items are invalid; nothing was written", Fields: invalid}
	}
	if streamErr != nil {
		return nil, streamErr
	}
	if len(slugged) > 0 {
		derives := make([]bool, len(created))
		for _, i := range slugged {
			derives[i] = true
		}
		var chosen []string // the slugs the other new items chose
		for i, rec := range created {
			if slug, _ := t.slug(rec); !derives[i] && slug != nil && *slug != "" {
				chosen = append(chosen, *slug)
			}
		}
		free, err := freeSlugs(tx, t.name, slugBases, chosen)
		if err != nil {
			return nil, err
		}
		for j, i := range slugged {
			slug, _ := t.slug(created[i])
			*slug = free[j]
		}
	}
	if err := writeMany(ctx, tx, conn, t, created, changed); err != nil {
		return nil, err
	}
	var changes []pendingChange
	for _, rec := range append(append(written, created...), changed...) {
		changes = append(changes, pendingChange{t.feedType(), P(rec).Head().ID, essdir.ChangeUpsert, now})
	}
	if t.afterChange != nil {
		for j, rec := range changed {
			more, err := t.afterChange(tx, changedFrom[j], rec, now)
			if err != nil {
				return nil, err
			}
			changes = append(changes, more...)
		}
	}
	return out, s.logChangesOn(tx.WithContext(ctx), conn, changes)
}

// writeMany inserts the created records and rewrites the changed ones,
// with the table's hooks, in a fixed number of statements (copyWrite).
func writeMany[D, R any](ctx context.Context, tx *gorm.DB, conn *sql.Conn, t *table[D, R], created, changed []*D) error {
	for _, recs := range [][]*D{created, changed} {
		if t.checkRefs != nil {
			for _, rec := range recs {
				if err := t.checkRefs(tx, rec); err != nil {
					return err
				}
			}
		}
	}
	if err := copyWrite(ctx, tx, conn, t.name, t.columns, rowsOf(t, created), rowsOf(t, changed)); err != nil {
		return err
	}
	if t.saveChildren != nil {
		for _, rec := range append(created, changed...) {
			if err := t.saveChildren(tx, rec); err != nil {
				return err
			}
		}
	}
	return nil
}

func rowsOf[D, R any](t *table[D, R], recs []*D) []*R {
	rows := make([]*R, len(recs))
	for i, rec := range recs {
		rows[i] = t.toRow(rec)
	}
	return rows
}

// findByOrigin reads and locks the live records of these keys, with their
// children, in a fixed number of statements.
func findByOrigin[D, R any](tx *gorm.DB, t *table[D, R], sources, externalIDs []string, origin originOf[D]) (map[syncKey]*D, error) {
	out := map[syncKey]*D{}
	if len(sources) == 0 {
		return out, nil
	}
	// Key by key on the unique index (source, external_id).
	var rows []R
	err := tx.Raw(`SELECT r.* FROM unnest(?::text[], ?::text[]) AS k(source, external_id),
		LATERAL (SELECT * FROM `+t.name+` WHERE source = k.source AND external_id = k.external_id
			AND external_id IS NOT NULL AND deleted_at IS NULL FOR UPDATE) r`,
		keyArray(sources), keyArray(externalIDs)).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	recs := make([]*D, len(rows))
	for i := range rows {
		recs[i] = t.toDomain(&rows[i])
		src, ext := origin(recs[i])
		out[syncKey{src, ext}] = recs[i]
	}
	if t.loadChildren != nil && len(recs) > 0 {
		if err := t.loadChildren(tx, recs); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// UpsertStructures upserts a batch of structures by (source, external_id).
func (s *Store) UpsertStructures(ctx context.Context, items []essdir.BulkItem[essdir.Structure], authorize essdir.Authorize[essdir.Structure]) ([]essdir.Upserted, error) {
	return upsertMany(ctx, s, structures, items, structureOrigin, authorize, true)
}

// CheckStructures judges a batch as UpsertStructures would, down to the
// database's constraints, and writes nothing: what an import's --strict
// runs over the whole file before writing any of it.
func (s *Store) CheckStructures(ctx context.Context, items []essdir.BulkItem[essdir.Structure]) ([]essdir.Upserted, error) {
	return upsertMany(ctx, s, structures, items, structureOrigin, nil, false)
}

func structureOrigin(st *essdir.Structure) (string, string) { return st.Source, st.ExternalID }

func eventOrigin(e *essdir.Event) (string, string) { return e.Source, e.ExternalID }

// UpsertEvents upserts a batch of events by (source, external_id).
func (s *Store) UpsertEvents(ctx context.Context, items []essdir.BulkItem[essdir.Event], authorize essdir.Authorize[essdir.Event]) ([]essdir.Upserted, error) {
	return upsertMany(ctx, s, events, items, eventOrigin, authorize, true)
}
