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
// query (SQL from this package only) selecting the ids of the live records
// that reference the id.
type referrer struct {
	what string // "collectivity links", in the 409's message
	ids  string // SELECT id … WHERE … = ? (the id)
}

// namedReferrers is how many referring ids a 409 names, per kind.
const namedReferrers = 5

// refuseIfReferenced answers 409, naming what still references id (the
// first few ids of each kind and their number), so that deleting a record
// never leaves a dangling id in another.
func refuseIfReferenced(tx *gorm.DB, kind string, id uuid.UUID, referrers ...referrer) error {
	var still []string
	var fields []essdir.FieldError
	for _, r := range referrers {
		var n int64
		var ids []uuid.UUID
		if err := tx.Raw("SELECT count(*) FROM ("+r.ids+") AS referring", id).Scan(&n).Error; err != nil {
			return translate(err)
		}
		if n == 0 {
			continue
		}
		if err := tx.Raw("SELECT * FROM ("+r.ids+") AS referring LIMIT ?", id, namedReferrers).Scan(&ids).Error; err != nil {
			return translate(err)
		}
		names := make([]string, len(ids))
		for i, x := range ids {
			names[i] = x.String()
		}
		list := strings.Join(names, ", ")
		if int(n) > len(ids) {
			list += fmt.Sprintf(" and %d more", int(n)-len(ids))
		}
		still = append(still, fmt.Sprintf("%d %s", n, r.what))
		fields = append(fields, essdir.FieldError{Field: "id", Message: fmt.Sprintf("referenced by %s: %s", r.what, list)})
	}
	if len(still) == 0 {
		return nil
	}
	return &essdir.Error{Code: essdir.ECONFLICT, Fields: fields,
		Message: fmt.Sprintf("this %s is still referenced by %s: remove those references first", kind, strings.Join(still, ", "))}
}
