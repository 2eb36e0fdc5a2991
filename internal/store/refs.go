package store

import (
	"fmt"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/essdir/essdir/internal/essdir"
)

// ref is one reference a record makes: the JSON field that holds it, the
// table it points into and the id (uuid.Nil when the field is empty).
type ref struct {
	field string
	table string
	kind  string
	id    uuid.UUID
}

// liveTables are the tables a reference may point into; their names reach
// SQL, so they come from this list only.
var liveTables = map[string]bool{
	"structures": true, "collectivities": true, "support_schemes": true, "events": true,
}

// checkLive answers 422, naming each field, when a referenced record does
// not exist or is deleted: never a dangling id, never a 500. One query per
// table, whatever the number of references.
func checkLive(tx *gorm.DB, refs ...ref) error {
	byTable := map[string][]uuid.UUID{}
	for _, r := range refs {
		if r.id != uuid.Nil {
			if !liveTables[r.table] {
				return fmt.Errorf("checkLive: unknown table %q", r.table)
			}
			byTable[r.table] = append(byTable[r.table], r.id)
		}
	}
	live := map[uuid.UUID]bool{}
	for table, ids := range byTable {
		var found []uuid.UUID
		if err := tx.Table(table).Where("id IN ? AND deleted_at IS NULL", ids).Pluck("id", &found).Error; err != nil {
			return translate(err)
		}
		for _, id := range found {
			live[id] = true
		}
	}
	var v essdir.Violations
	for _, r := range refs {
		if r.id != uuid.Nil && !live[r.id] {
			v.Add(r.field, "no %s has the id %s", r.kind, r.id)
		}
	}
	return v.Err()
}

// referrer is a place where other records may still point at a record: a
// query (SQL from this package only) counting live referrers of the id.
type referrer struct {
	what  string // "collectivity links", in the 409's message
	count string // SELECT count(*) … WHERE … = ? (the id)
}

// refuseIfReferenced answers 409, naming what still references id, so that
// deleting a record never leaves a dangling id in another.
func refuseIfReferenced(tx *gorm.DB, kind string, id uuid.UUID, referrers ...referrer) error {
	var still []string
	for _, r := range referrers {
		var n int64
		if err := tx.Raw(r.count, id).Scan(&n).Error; err != nil {
			return translate(err)
		}
		if n > 0 {
			still = append(still, fmt.Sprintf("%d %s", n, r.what))
		}
	}
	if len(still) == 0 {
		return nil
	}
	return essdir.Errorf(essdir.ECONFLICT, "this %s is still referenced by %s: remove those references first",
		kind, strings.Join(still, ", "))
}
