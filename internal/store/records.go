package store

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/essdir/essdir/internal/essdir"
)

// table describes how one resource is stored; the generic helpers of this
// file do the rest, so that every resource finds, creates, updates, deletes
// and pages its records the same way. D is the domain type, R its row.
type table[D any, R any] struct {
	name     string   // the SQL table
	kind     string   // the record's name in messages ("structure")
	columns  []string // the columns an update writes: an explicit allowlist
	toRow    func(*D) *R
	toDomain func(*R) *D
	// field and readColumns, both optional, let the hot reads (by id, a
	// page) scan rows natively (native.go): field names the destination of
	// each column, readColumns is what a read by id selects.
	field       fieldFunc[R]
	readColumns string
	byID        struct { // the native read by id's statement (byIDQuery)
		once  sync.Once
		query string
	}
	// sorts are the orders a list may take (the first is the default), each
	// described by its keys.
	sorts []sortSpec[R]
	// slug, when the resource has one, gives the record's slug field and the
	// text a missing slug is derived from.
	slug func(*D) (slug *string, base string)
	// erase lists the columns a delete clears at once (personal data).
	erase map[string]any
	// unique lists the values a unique index keeps to one record, besides
	// source and external_id (bulkconflicts.go).
	unique []uniqueValue[D]

	// Hooks, each optional, run inside the write's transaction:
	// checkRefs verifies that the records rec references exist and are live
	// (a missing one is a 422 naming the field); saveChildren replaces the
	// rows rec owns in other tables (funders, organizers…) after its own row
	// is written; loadChildren reads them back for a batch of records (one
	// query per child table, never one per record); onDelete refuses a
	// delete (409 naming what still references the record) or deletes what
	// goes with it (a structure's activities), returning the tombstones of
	// the records it deleted for the change feed.
	checkRefs    func(tx *gorm.DB, rec *D) error
	saveChildren func(tx *gorm.DB, rec *D) error
	loadChildren func(db *gorm.DB, recs []*D) error
	onDelete     func(tx *gorm.DB, rec *D, now time.Time) ([]pendingChange, error)
	// afterChange runs after a real change of a stored record (single or
	// bulk): what else the change alters (records that show this one).
	afterChange func(tx *gorm.DB, stored, next *D, now time.Time) ([]pendingChange, error)
}

// take reads the one row q selects into dest, or answers "<kind> not found":
// the one not-found of every table.
func take(q *gorm.DB, kind string, dest any) error {
	res := q.Limit(1).Find(dest)
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return essdir.Errorf(essdir.ENOTFOUND, "%s not found", kind)
	}
	return nil
}

// find reads a live record, locking its row when the caller will write it.
func (t *table[D, R]) find(tx *gorm.DB, id uuid.UUID, lock bool) (*D, error) {
	var row R
	q := tx.Table(t.name).Where("id = ? AND deleted_at IS NULL", id)
	if lock {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := take(q, t.kind, &row); err != nil {
		return nil, err
	}
	rec := t.toDomain(&row)
	if t.loadChildren != nil {
		if err := t.loadChildren(tx, []*D{rec}); err != nil {
			return nil, translate(err)
		}
	}
	return rec, nil
}

// write runs the hooks around the statement that writes rec's own row.
func (t *table[D, R]) write(tx *gorm.DB, rec *D, statement func() error) error {
	if t.checkRefs != nil {
		if err := t.checkRefs(tx, rec); err != nil {
			return err
		}
	}
	if err := statement(); err != nil {
		return err
	}
	if t.saveChildren != nil {
		return t.saveChildren(tx, rec)
	}
	return nil
}

// within is the store bound to a transaction: lookups made while a write
// holds its connection (the geography of a derived field) must use that
// connection, or writers waiting on a row lock exhaust the pool.
func (s *Store) within(tx *gorm.DB) *Store {
	bound := *s
	bound.db = tx
	return &bound
}

// findByID reads one live record.
func findByID[D, R any](ctx context.Context, s *Store, t *table[D, R], id uuid.UUID) (*D, error) {
	if t.field == nil || t.readColumns == "" || t.loadChildren != nil {
		return t.find(s.db.WithContext(ctx), id, false)
	}
	// The native read of native.go, with the SQL t.find would build.
	var row R
	found := false
	s.statements.Add(1)
	query := t.byIDQuery()
	err := queryNative(ctx, s.sql, query, []any{[16]byte(id)}, func(r pgx.Rows) error {
		if !r.Next() {
			return r.Err()
		}
		found = true
		return newNativeScanner(query, t.field).scan(r, &row)
	})
	if err != nil {
		return nil, translate(err)
	}
	if !found {
		return nil, essdir.Errorf(essdir.ENOTFOUND, "%s not found", t.kind)
	}
	return t.toDomain(&row), nil
}

// byIDQuery is the statement of findByID's native read, made once.
func (t *table[D, R]) byIDQuery() string {
	t.byID.once.Do(func() {
		t.byID.query = "SELECT " + t.readColumns + " FROM " + t.name + " WHERE " + t.name + ".id = $1 AND " +
			t.name + ".deleted_at IS NULL LIMIT 1"
	})
	return t.byID.query
}

// create applies the write rule to a new record, gives it its id, version 1
// and timestamps, derives its slug when it has none, and inserts it.
func create[D any, P essdir.Writable[D], R any](ctx context.Context, s *Store, t *table[D, R], rec P, echo essdir.Echo) error {
	if _, err := essdir.Prepare[D, P](ctx, s, nil, rec, echo); err != nil {
		return err
	}
	head := rec.Head()
	if head.ID == uuid.Nil { // a trusted caller (the demo seed) may choose it
		head.ID = uuid.Must(uuid.NewV7())
	}
	head.Touch(s.now())
	var slug *string
	var base string
	if t.slug != nil {
		if slug, base = t.slug((*D)(rec)); *slug != "" {
			slug = nil // chosen by the client: taken is a conflict, not a retry
		}
	}
	// A derived slug can lose a race with a concurrent insert of the same
	// name: try again with the next free suffix. A deadlock broken by
	// PostgreSQL (the counter upsert among bulk writers) is tried again too.
	transient := 0
	for attempt := 0; ; attempt++ {
		err := s.inTx(ctx, func(tx *gorm.DB) error {
			if slug != nil {
				if err := lockSlugs(tx, attempt > 0 || transient > 0); err != nil {
					return err
				}
				free, err := freeSlug(tx, t.name, essdir.Slugify(base))
				if err != nil {
					return err
				}
				*slug = free
			}
			err := t.write(tx, (*D)(rec), func() error { return tx.Table(t.name).Create(t.toRow((*D)(rec))).Error })
			if err != nil {
				return err
			}
			return s.logChanges(tx, []pendingChange{{t.feedType(), head.ID, essdir.ChangeUpsert, head.UpdatedAt}})
		})
		if slug != nil && attempt < 5 && isConflictOn(err, "slug") {
			continue
		}
		if transient < maxTransientRetries && isTransient(err) {
			transient++
			attempt--
			continue
		}
		return err
	}
}

// update locks the live record, lets change build its new state, applies the
// write rule and stores the result. A write that changes nothing touches
// nothing (same version, same updated_at, no feed entry); a real change bumps
// the version exactly once and is one upsert in the feed.
func update[D any, P essdir.Writable[D], R any](ctx context.Context, s *Store, t *table[D, R], id uuid.UUID, change essdir.Change[D]) (*D, error) {
	var out *D
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		stored, err := t.find(tx, id, true)
		if err != nil {
			return err
		}
		next, echo, err := change(stored)
		if err != nil {
			return err
		}
		changed, err := essdir.Prepare[D, P](ctx, s.within(tx), stored, next, echo)
		if err != nil || !changed {
			out = stored
			return err
		}
		P(next).Head().Touch(s.now())
		err = t.write(tx, next, func() error {
			return tx.Table(t.name).Where("id = ?", id).Select(t.columns).Updates(t.toRow(next)).Error
		})
		if err != nil {
			return err
		}
		out = next
		head := P(next).Head()
		changes := []pendingChange{{t.feedType(), head.ID, essdir.ChangeUpsert, head.UpdatedAt}}
		if t.afterChange != nil {
			more, err := t.afterChange(tx, stored, next, head.UpdatedAt)
			if err != nil {
				return err
			}
			changes = append(changes, more...)
		}
		return s.logChanges(tx, changes)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// softDelete marks a live record deleted after check approves it, and clears
// its personal data at once. The row stays as a tombstone for partners' sync;
// no read returns it. The feed gets a delete for it and for every record its
// onDelete took with it.
func softDelete[D any, P essdir.Writable[D], R any](ctx context.Context, s *Store, t *table[D, R], id uuid.UUID, check func(*D) error) error {
	return s.inTx(ctx, func(tx *gorm.DB) error {
		stored, err := t.find(tx, id, true)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(stored); err != nil {
				return err
			}
		}
		now := s.now()
		changes := []pendingChange{{t.feedType(), id, essdir.ChangeDelete, now}}
		if t.onDelete != nil {
			cascaded, err := t.onDelete(tx, stored, now)
			if err != nil {
				return err
			}
			changes = append(changes, cascaded...)
		}
		set := map[string]any{"deleted_at": now, "updated_at": now, "version": P(stored).Head().Version + 1}
		for col, v := range t.erase {
			set[col] = v
		}
		if err := tx.Table(t.name).Where("id = ?", id).Updates(set).Error; err != nil {
			return err
		}
		return s.logChanges(tx, changes)
	})
}

func isConflictOn(err error, field string) bool {
	e, ok := err.(*essdir.Error)
	if !ok || e.Code != essdir.ECONFLICT {
		return false
	}
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// findMany reads the live records selected by q (a condition on the
// table), with their children: a fixed number of queries whatever their
// count, for embedding related records without N+1 queries.
func findMany[D, R any](q *gorm.DB, t *table[D, R]) ([]*D, error) {
	var rows []R
	if err := q.Table(t.name).Where(t.name + ".deleted_at IS NULL").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]*D, len(rows))
	for i := range rows {
		out[i] = t.toDomain(&rows[i])
	}
	if t.loadChildren != nil && len(out) > 0 {
		if err := t.loadChildren(q.Session(&gorm.Session{NewDB: true}), out); err != nil {
			return nil, translate(err)
		}
	}
	return out, nil
}

// findPage returns one page of the live records q selects (q carries the
// resource's filters), in the order l names, after l's cursor. The store
// takes no page size on trust: out of range, it is brought back within
// 1..MaxLimit. With IncludeTotal the count stops at essdir.MaxCount.
//
// The page size is written into the statement (LIMIT 21), not bound: with
// LIMIT $n PostgreSQL's generic plan assumes a tenth of the matches is
// wanted, costs far more than the custom plan and is never chosen, so every
// execution of the prepared statement would be planned again (0.1–0.15 ms
// of the server's CPU for a page that takes 0.03 ms to read on the L set).
// Sizes are 1..MaxLimit+1: a few statements per filter shape in pgx's cache.
func findPage[D, R any](q *gorm.DB, t *table[D, R], l essdir.List) (*essdir.Page[D], error) {
	return pageOf(q.Table(t.name).Where(t.name+".deleted_at IS NULL"), t, l, true)
}

// pageOf is findPage over q's own FROM (a subquery of live rows with
// computed sort keys, such as a relevance or a distance); literalLimit
// writes the page size into the statement (see findPage).
func pageOf[D, R any](q *gorm.DB, t *table[D, R], l essdir.List, literalLimit bool) (*essdir.Page[D], error) {
	order, err := t.sort(l.Sort)
	if err != nil {
		return nil, err
	}
	limit := pageLimit(l)
	page := &essdir.Page[D]{}
	if l.IncludeTotal {
		if page.Total, page.TotalIsLowerBound, err = cappedCount(q); err != nil {
			return nil, err
		}
	}
	if q, err = order.apply(q.Session(&gorm.Session{}), t.name, l.Cursor); err != nil {
		return nil, err
	}
	if literalLimit {
		q = q.Clauses(limitLiteral(limit + 1))
	} else {
		q = q.Limit(limit + 1)
	}
	rows, marks, err := findRows(q, t.field, limit+1, offerRows(l.Known, order))
	if err != nil {
		return nil, translate(err)
	}
	return fillPage(page, t, order, rows, marks, limit, q.Session(&gorm.Session{NewDB: true}))
}

// pageLimit is l's page size, brought within 1..MaxLimit.
func pageLimit(l essdir.List) int {
	if l.Limit <= 0 {
		return essdir.DefaultLimit
	}
	return min(l.Limit, essdir.MaxLimit)
}

// fillPage completes page with the rows read for it (up to limit+1, the
// extra one saying a next page exists): the next cursor, the marks of
// List.Known, the records and their children (loaded through db).
func fillPage[D, R any](page *essdir.Page[D], t *table[D, R], order *sortSpec[R], rows []R, marks *rowMarks, limit int, db *gorm.DB) (*essdir.Page[D], error) {
	if len(rows) > limit {
		rows = rows[:limit]
		page.NextCursor = order.encode(t.name, &rows[len(rows)-1])
	}
	page.Items = make([]*D, len(rows))
	if marks != nil {
		if t.loadChildren != nil {
			return nil, fmt.Errorf("store: %s loads children: its rows cannot be offered to List.Known", t.name)
		}
		page.IDs, page.Digests, page.Known = marks.ids[:len(rows)], marks.digests[:len(rows)], marks.known[:len(rows)]
	}
	for i := range rows {
		if marks != nil && marks.known[i] {
			continue // the caller has it: no item is made
		}
		page.Items[i] = t.toDomain(&rows[i])
	}
	if t.loadChildren != nil && len(rows) > 0 {
		if err := t.loadChildren(db, page.Items); err != nil {
			return nil, translate(err)
		}
	}
	return page, nil
}

// selectColumns selects a written-out column list, with the values of its
// placeholders. GORM's Select(cols) without values would look each "name"
// of it up in the model's schema, and the whole list is one name to it:
// snake-casing those ~600 characters on every list was 3 % of the server's
// CPU per request.
//
// Without values the list is written as one string: clause.Expr copies its
// SQL a byte at a time looking for placeholders (2 % of a list's CPU).
func selectColumns(q *gorm.DB, cols string, args ...any) *gorm.DB {
	if len(args) == 0 {
		return q.Clauses(clause.Select{Expression: rawSQL(cols)})
	}
	return q.Clauses(clause.Select{Expression: clause.Expr{SQL: cols, Vars: args}})
}

// rawSQL is SQL of this package's own, with no placeholder, written as is.
type rawSQL string

// Build writes the SQL.
func (s rawSQL) Build(b clause.Builder) { b.WriteString(string(s)) }

// limitLiteral is GORM's LIMIT clause with the number written out rather
// than bound (see findPage). It is an int: nothing else can reach the SQL.
type limitLiteral int

// Name is the clause GORM's SELECT builds it as.
func (limitLiteral) Name() string { return "LIMIT" }

// Build writes LIMIT n.
func (n limitLiteral) Build(b clause.Builder) {
	b.WriteString("LIMIT ")
	b.WriteString(strconv.Itoa(int(n)))
}

// MergeClause replaces any LIMIT set before.
func (n limitLiteral) MergeClause(c *clause.Clause) {
	c.Name = ""
	c.Expression = n
}

// sort finds the order named s ("" is the table's default).
func (t *table[D, R]) sort(s essdir.Sort) (*sortSpec[R], error) {
	if s == "" {
		return &t.sorts[0], nil
	}
	for i := range t.sorts {
		if t.sorts[i].name == s {
			return &t.sorts[i], nil
		}
	}
	return nil, &essdir.Error{Code: essdir.EMALFORMED, Message: "unknown sort",
		Fields: []essdir.FieldError{{Field: "sort", Message: fmt.Sprintf("%q is not a sort of %s lists", s, t.kind)}}}
}

// cappedCount counts the rows q selects, but never more than MaxCount + 1:
// past MaxCount the total is a lower bound.
func cappedCount(q *gorm.DB) (*int, bool, error) {
	var n int64
	sub := q.Session(&gorm.Session{}).Select("1").Limit(essdir.MaxCount + 1)
	if err := q.Session(&gorm.Session{NewDB: true}).Table("(?) AS capped", sub).Count(&n).Error; err != nil {
		return nil, false, translate(err)
	}
	total := int(min(n, essdir.MaxCount))
	return &total, n > essdir.MaxCount, nil
}
