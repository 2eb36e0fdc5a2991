package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestNativeSelectSpreadsAsGORMDoes: the conditions of a native list are
// written as GORM writes them: a []string or []uuid.UUID value is a list of
// parameters, a textArray (an array parameter) or any other value one, and
// a condition with OR is parenthesised.
func TestNativeSelectSpreadsAsGORMDoes(t *testing.T) {
	id1, id2 := uuid.New(), uuid.New()
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var n nativeSelect
	w := (&filter{}).
		statuses("status", nil).
		in("department_code", []string{"21", "2A"}).
		overlaps("sectors", []string{"reuse"}).
		ids("structure_id", []uuid.UUID{id1, id2}).
		since("updated_at", &since).
		where("(lon >= ? OR lon <= ?)", 170.5, -170.5)
	for _, c := range w.conds {
		n.add(c.sql, c.args)
	}
	want := " WHERE department_code IN ($1,$2) AND sectors && $3::text[] AND structure_id IN ($4,$5)" +
		" AND updated_at >= $6 AND ((lon >= $7 OR lon <= $8))"
	if got := n.where(); got != want {
		t.Errorf("where =\n%s\nwant\n%s", got, want)
	}
	args := []any{"21", "2A", textArray{"reuse"}, id1, id2, since, 170.5, -170.5}
	if !reflect.DeepEqual(n.args, args) {
		t.Errorf("args = %#v", n.args)
	}
	if (&nativeSelect{}).where() != "" {
		t.Error("no condition, yet a WHERE")
	}
	var bad nativeSelect
	if bad.add("a = ? AND b = ?", []any{1}); bad.err == nil {
		t.Error("a condition short of a value is written")
	}
}

// TestExecArgsSendIDsAsBytes: an id bound natively goes as its 16 bytes
// (pgx's direct plan), everything else as it is.
func TestExecArgsSendIDsAsBytes(t *testing.T) {
	id := uuid.New()
	got := execArgs(context.Background(), []any{"Alpha", id, 3})
	if got[0] != "Alpha" || got[1] != [16]byte(id) || got[2] != 3 {
		t.Fatalf("args = %#v", got)
	}
}
