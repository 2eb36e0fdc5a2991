package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/essdir/essdir/internal/essdir"
)

// uniqueValue is a value of a record that a unique index keeps to one
// record, besides its source and external_id (a slug, a SIRET): a bulk
// batch that fails on one names the items that hold it (itemConflicts).
type uniqueValue[D any] struct {
	constraint string // the index, whose field and message the error takes (errors.go)
	column     string // SQL of this package's
	live       bool   // the index holds live records only (deleted_at IS NULL)
	given      bool   // only a value the client gave (a slug: a derived one is derived again)
	value      func(*D) string
}

// itemConflicts turns a batch's failure on a unique value into the items
// that cause it: each whose value another record holds (not the record the
// item replaces), or an earlier item of the batch. A partner learns which
// item to mend, and an import rejects those lines and writes the others,
// as it does for invalid items. Nil when no item holds a taken value (a
// derived slug another writer took meanwhile): the failure stands.
func itemConflicts[D any, R any](ctx context.Context, s *Store, t *table[D, R], items []essdir.BulkItem[D], keys []syncKey, givenSlug []bool) (*essdir.Error, error) {
	type named struct {
		item  int
		field essdir.FieldError
	}
	var found []named
	for _, u := range t.unique {
		c := constraints[u.constraint]
		byValue := map[string][]int{}
		var values []string
		for i, it := range items {
			if u.given && (givenSlug == nil || !givenSlug[i]) {
				continue
			}
			if v := u.value(it.Record); v != "" {
				if byValue[v] == nil {
					values = append(values, v)
				}
				byValue[v] = append(byValue[v], i)
			}
		}
		if len(values) == 0 {
			continue
		}
		var holders []struct {
			Value, Source, ExternalID string
			Live                      bool
		}
		q := "SELECT " + u.column + " AS value, coalesce(source, '') AS source, coalesce(external_id, '') AS external_id, deleted_at IS NULL AS live FROM " + t.name + " WHERE " + u.column + " IN ?"
		if u.live {
			q += " AND deleted_at IS NULL"
		}
		if err := s.db.WithContext(ctx).Raw(q, values).Scan(&holders).Error; err != nil {
			return nil, translate(err)
		}
		heldBy := map[string][]syncKey{} // a deleted record is another record, whatever its key
		for _, h := range holders {
			k := syncKey{}
			if h.Live {
				k = syncKeyOf(h.Source, h.ExternalID)
			}
			heldBy[h.Value] = append(heldBy[h.Value], k)
		}
		for _, v := range values {
			first := -1
			for _, i := range byValue[v] {
				switch {
				case slices.ContainsFunc(heldBy[v], func(k syncKey) bool { return k != keys[i] }):
					found = append(found, named{i, essdir.FieldError{Field: fmt.Sprintf("items[%d].%s", i, c.field), Message: c.message}})
				case first >= 0:
					found = append(found, named{i, essdir.FieldError{Field: fmt.Sprintf("items[%d].%s", i, c.field),
						Message: fmt.Sprintf("repeats the %s of items[%d]", c.field, first)}})
				default:
					first = i
				}
			}
		}
	}
	if len(found) == 0 {
		return nil, nil
	}
	slices.SortStableFunc(found, func(a, b named) int { return a.item - b.item }) // in the items' order
	fields := make([]essdir.FieldError, len(found))
	for i, n := range found {
		fields[i] = n.field
	}
	return &essdir.Error{Code: essdir.ECONFLICT, Message: "some items hold a value another record or an earlier item holds; nothing was written", Fields: fields}, nil
}
