package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/essdir/essdir/internal/essdir"
	"github.com/essdir/essdir/internal/parallel"
)

// A batch's new records are the bulk of its work, twice over: their checks
// in Go (essdir.Prepare: normalisation, validation, the geography), then
// their COPY in PostgreSQL (the table's indexes and triggers). Done one
// after the other, each side waits for the other; streamCreated does them
// at once: the COPY starts as soon as the slugs are known, and sends each
// new record as soon as its checks are done, in the items' order, while
// the next ones are checked on the other core.
//
// The slugs are derived before the checks, from the names as the checks
// will leave them (essdir.CleanText, which is all the write rule does to a
// name); each record's is compared with its checked name before it is
// sent. Nothing else may use the connection while the COPY runs: the
// geography answers from the commune cache alone (a question for the
// database ends the attempt). Whatever stops the stream (a bad item, a
// name the checks changed, such a question), the items are all checked,
// and the batch either reports every bad item, as the plain path does, or
// is run again on the plain path (errStreamFallback).

// errStreamFallback ends a streamed attempt that the plain path must redo.
var errStreamFallback = errors.New("bulk write: streamed attempt redone in order")

// errStreamStopped ends a COPY whose items turned out invalid.
var errStreamStopped = errors.New("bulk write: an item is invalid")

// canStream tells whether t's new records may be streamed: no hook that
// would use the connection per record.
func (t *table[D, R]) canStream() bool { return t.checkRefs == nil && t.saveChildren == nil }

// streamSlugs are the slugs of a streamed batch's new records, derived
// before their checks (deriveStreamSlugs).
type streamSlugs struct {
	slugOf  []int    // per item, its index in the slices below, or -1
	pre     []string // the bases derived before the checks
	cleaned []string // per item, the name they derive from
	free    []string // their slugs
}

// deriveStreamSlugs derives the slugs of the new items (fresh) whose
// slugs are not given, from their names as the checks will leave them
// (each item's name, essdir.CleanText).
func deriveStreamSlugs[D, R any](tx *gorm.DB, t *table[D, R], items []essdir.BulkItem[D], fresh func(i int) bool, givenSlug []bool) (*streamSlugs, error) {
	n := len(items)
	sl := &streamSlugs{slugOf: make([]int, n), cleaned: make([]string, n)}
	if givenSlug == nil {
		for i := range sl.slugOf {
			sl.slugOf[i] = -1
		}
		return sl, nil
	}
	derived := make([]string, n)
	parallel.For(n, func(i int) {
		if fresh(i) && !givenSlug[i] {
			_, base := t.slug(items[i].Record)
			sl.cleaned[i] = essdir.CleanText(base)
			derived[i] = essdir.Slugify(sl.cleaned[i])
		}
	})
	var chosen []string
	for i := range n {
		sl.slugOf[i] = -1
		switch {
		case fresh(i) && !givenSlug[i]:
			sl.slugOf[i] = len(sl.pre)
			sl.pre = append(sl.pre, derived[i])
		case fresh(i):
			slug, _ := t.slug(items[i].Record)
			chosen = append(chosen, *slug)
		}
	}
	if len(sl.pre) > 0 {
		var err error
		if sl.free, err = freeSlugs(tx, t.name, sl.pre, chosen); err != nil {
			return nil, err
		}
	}
	return sl, nil
}

// streamCreated checks every item (prepare(i)) and COPYs the new ones
// (fresh, not refused) into t as they are checked, with their id,
// timestamps and derived slug (slugs). It returns when both are done. A
// bad item stops the COPY (its error is the items', reported by the
// caller); a COPY error is returned. names[i] is the name a new item's
// slug derives from, as its checks leave it.
func streamCreated[D any, P essdir.Writable[D], R any](ctx context.Context, tx *gorm.DB, conn *sql.Conn, t *table[D, R],
	items []essdir.BulkItem[D], fresh func(i int) bool, slugs *streamSlugs, prepare func(i int), failed []error, names []string, now time.Time) (err error) {
	cols, err := columnsOf[R](tx)
	if err != nil {
		return err
	}
	ready := make([]chan struct{}, len(items))
	for i := range ready {
		ready[i] = make(chan struct{})
	}
	checked := make(chan struct{})
	// A panic in the checks is raised again below, in the caller's
	// goroutine (where the server's recovery answers it), after the items
	// left waiting are released so that the COPY stops.
	var panicked any
	done := make([]bool, len(items))
	// The checks run in one goroutine, in the items' order, the order the
	// COPY takes them in: one core checks an item in a sixth of the time
	// PostgreSQL takes to write it, so the COPY never waits, and the other
	// core is PostgreSQL's. Spread over both cores (the second half of the
	// items checked from the start), they took CPU from the COPY it did not
	// need yet.
	go func() {
		defer close(checked)
		defer func() {
			if panicked = recover(); panicked != nil {
				for i := range ready {
					if !done[i] {
						failed[i] = errStreamStopped
						close(ready[i])
					}
				}
			}
		}()
		for i := range items {
			prepare(i)
			done[i] = true
			close(ready[i])
		}
	}()
	defer func() {
		<-checked
		if panicked != nil {
			panic(panicked)
		}
	}()
	src := &createdSource[D, P, R]{ctx: ctx, t: t, cols: cols, items: items, fresh: fresh, ready: ready, failed: failed,
		slugs: slugs, names: names, now: now}
	err = copySource(ctx, conn, t.name, cols.names, src)
	if src.err != nil {
		return src.err
	}
	return err
}

// createdSource feeds the COPY of streamCreated (pgx.CopyFromSource).
type createdSource[D any, P essdir.Writable[D], R any] struct {
	ctx    context.Context
	t      *table[D, R]
	cols   *copyColumns
	items  []essdir.BulkItem[D]
	fresh  func(i int) bool
	ready  []chan struct{}
	failed []error
	slugs  *streamSlugs
	names  []string // the names after the checks
	now    time.Time

	next   int
	values []any
	err    error
}

// Next readies the next new item, waiting for its checks.
func (c *createdSource[D, P, R]) Next() bool {
	for ; c.next < len(c.items); c.next++ {
		i := c.next
		if !c.fresh(i) {
			continue
		}
		<-c.ready[i]
		if c.failed[i] != nil {
			c.err = errStreamStopped
			if errors.Is(c.failed[i], errStreamFallback) {
				c.err = errStreamFallback
			}
			return false
		}
		rec := P(c.items[i].Record)
		if j := c.slugs.slugOf[i]; j >= 0 {
			if c.names[i] != c.slugs.cleaned[i] && essdir.Slugify(c.names[i]) != c.slugs.pre[j] {
				c.err = errStreamFallback
				return false
			}
			slug, _ := c.t.slug(c.items[i].Record)
			*slug = c.slugs.free[j]
		}
		rec.Head().ID = uuid.Must(uuid.NewV7())
		rec.Head().Touch(c.now)
		if c.values, c.err = rowValues(c.ctx, c.cols, c.t.toRow(c.items[i].Record)); c.err != nil {
			return false
		}
		c.next++
		return true
	}
	return false
}

func (c *createdSource[D, P, R]) Values() ([]any, error) { return c.values, nil }
func (c *createdSource[D, P, R]) Err() error             { return c.err }

// offlineGeography answers no question: the geography of a streamed batch
// when the commune cache does not know the answer.
type offlineGeography struct{}

func (offlineGeography) Commune(context.Context, string) (*essdir.Commune, error) {
	return nil, errStreamFallback
}
func (offlineGeography) FormerCommune(context.Context, string) (string, bool, error) {
	return "", false, errStreamFallback
}
func (offlineGeography) CommunesByPostalCode(context.Context, string) ([]essdir.Commune, error) {
	return nil, errStreamFallback
}
func (offlineGeography) SearchCommunes(context.Context, string, int) ([]essdir.Commune, error) {
	return nil, errStreamFallback
}
func (offlineGeography) Department(context.Context, string) (*essdir.Department, error) {
	return nil, errStreamFallback
}
func (offlineGeography) Region(context.Context, string) (*essdir.Region, error) {
	return nil, errStreamFallback
}
func (offlineGeography) EPCI(context.Context, string) (*essdir.EPCI, error) {
	return nil, errStreamFallback
}
