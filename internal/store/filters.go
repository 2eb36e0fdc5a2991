package store

import (
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/essdir/essdir/internal/essdir"
)

// filter adds a list's conditions to a query. Values are bound parameters
// (statuses excepted, a closed set); column names come from this package's
// code only. An empty
// value list or a nil time adds nothing: an absent filter does not filter.
// Without a query (q nil), the conditions are kept in conds, for a
// statement written natively (nativeSelect).
type filter struct {
	q     *gorm.DB
	conds []cond
}

// cond is one condition: SQL with ? placeholders, as GORM's Where takes it
// (a []string or []uuid.UUID value is a parenthesised list).
type cond struct {
	sql  string
	args []any
}

// where adds one condition.
func (f *filter) where(sql string, args ...any) *filter {
	if f.q != nil {
		f.q = f.q.Where(sql, args...)
	} else {
		f.conds = append(f.conds, cond{sql, args})
	}
	return f
}

// statuses keeps rows whose status column is one of vals, written as
// literals rather than bound parameters. The values are a closed set
// (essdir.Status.Valid: any other is refused here, never quoted), and a
// literal lets PostgreSQL keep one generic plan for a prepared list: with
// status = $1 the generic plan expects a quarter of the rows for any status
// (while nearly all are published), costs more than the custom plan, and so
// is never chosen, and every execution of the statement is planned anew.
func (f *filter) statuses(column string, vals []essdir.Status) *filter {
	if len(vals) == 0 {
		return f
	}
	quoted := make([]string, len(vals))
	for i, v := range vals {
		if !v.Valid() {
			f.where(column+" IN ?", toStrings(vals))
			return f
		}
		quoted[i] = "'" + string(v) + "'"
	}
	f.where(column + " IN (" + strings.Join(quoted, ", ") + ")")
	return f
}

// in keeps rows whose column is one of vals.
func (f *filter) in(column string, vals []string) *filter {
	if len(vals) > 0 {
		f.where(column+" IN ?", vals)
	}
	return f
}

// inFolded keeps rows whose column is one of vals, ignoring case.
func (f *filter) inFolded(column string, vals []string) *filter {
	if len(vals) > 0 {
		lowered := make([]string, len(vals))
		for i, v := range vals {
			lowered[i] = strings.ToLower(v)
		}
		f.where("lower("+column+") IN ?", lowered)
	}
	return f
}

// overlaps keeps rows whose array column shares a value with vals.
func (f *filter) overlaps(column string, vals []string) *filter {
	if len(vals) > 0 {
		f.where(column+" && ?::text[]", textArray(vals))
	}
	return f
}

// since keeps rows whose column is at or after t.
func (f *filter) since(column string, t *time.Time) *filter {
	if t != nil {
		f.where(column+" >= ?", *t)
	}
	return f
}

// before keeps rows whose column is strictly before t.
func (f *filter) before(column string, t *time.Time) *filter {
	if t != nil {
		f.where(column+" < ?", *t)
	}
	return f
}

// ids keeps rows whose uuid column is one of vals.
func (f *filter) ids(column string, vals []uuid.UUID) *filter {
	if len(vals) > 0 {
		f.where(column+" IN ?", vals)
	}
	return f
}
