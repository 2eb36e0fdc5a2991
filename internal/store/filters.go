package store

import (
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// filter adds a list's conditions to a query. Values are always bound
// parameters; column names come from this package's code only. An empty
// value list or a nil time adds nothing: an absent filter does not filter.
type filter struct{ q *gorm.DB }

// in keeps rows whose column is one of vals.
func (f *filter) in(column string, vals []string) *filter {
	if len(vals) > 0 {
		f.q = f.q.Where(column+" IN ?", vals)
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
		f.q = f.q.Where("lower("+column+") IN ?", lowered)
	}
	return f
}

// overlaps keeps rows whose array column shares a value with vals.
func (f *filter) overlaps(column string, vals []string) *filter {
	if len(vals) > 0 {
		f.q = f.q.Where(column+" && ?::text[]", textArray(vals))
	}
	return f
}

// since keeps rows whose column is at or after t.
func (f *filter) since(column string, t *time.Time) *filter {
	if t != nil {
		f.q = f.q.Where(column+" >= ?", *t)
	}
	return f
}

// before keeps rows whose column is strictly before t.
func (f *filter) before(column string, t *time.Time) *filter {
	if t != nil {
		f.q = f.q.Where(column+" < ?", *t)
	}
	return f
}

// ids keeps rows whose uuid column is one of vals.
func (f *filter) ids(column string, vals []uuid.UUID) *filter {
	if len(vals) > 0 {
		f.q = f.q.Where(column+" IN ?", vals)
	}
	return f
}
