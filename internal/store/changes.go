package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/essdir/essdir/internal/essdir"
)

// The change feed is written in the same transaction as each write, by the
// generic helpers of records.go (and the cascades of a delete), so that a
// committed write always has its entry and a rolled-back one never does.
//
// No gap, ever. A sequence number taken by a transaction that started
// earlier can commit after one taken by a later transaction: with a plain
// sequence, a poller reading "seq > 41" may see 42 committed while 41 is
// still in flight, move on to next_after = 42, and never see 41. To rule
// that out, every transaction takes changeLogLock — a transaction-level
// advisory lock — immediately before it inserts its entries, at the very
// end of its work, and holds it until it has committed (PostgreSQL releases
// transaction locks after the commit is visible to other sessions). The
// insert takes it itself: a statement-level trigger on changes (migration
// 00013) locks before the statement's first row draws its seq. Seqs
// are therefore handed out in commit order: whoever takes the next seq
// waits until every earlier holder is visible, so once a seq is visible
// every smaller one is visible too or was rolled back for good (a hole in
// the numbering, never a missed change). The price is that writers
// serialise on the tail of their transactions only: the insert of a few
// rows and the commit, not the reads, checks and row writes before it.
// A poll reads with no lock at all.

// changeLogLock is the key of the advisory lock that orders the change
// feed (an arbitrary constant: "essdir changes"), taken by the trigger
// changes_lock_feed (migration 00013, where it is written out).
const changeLogLock = 0x65737364_63686773

// pendingChange is one feed entry a transaction will write.
type pendingChange struct {
	typ    string
	id     uuid.UUID
	action essdir.ChangeAction
	at     time.Time
}

// feedType is the type of t's records in the change feed: its kind, with
// underscores ("collectivity link" → "collectivity_link").
func (t *table[D, R]) feedType() string { return strings.ReplaceAll(t.kind, " ", "_") }

// logChanges writes the entries of a transaction, as its last statement:
// one insert for them all, which takes the lock. Nothing else may be done
// in the transaction after it, so that the lock is held for the commit
// alone.
func (s *Store) logChanges(tx *gorm.DB, changes []pendingChange) error {
	return s.logChangesOn(tx, nil, changes)
}

// copyChangesFrom is the number of entries from which a transaction that
// holds its connection (a bulk write) COPYs them rather than sending four
// arrays to unnest: a thousand entries cost a third as much.
const copyChangesFrom = 50

// logChangesOn is logChanges for a transaction on conn, when given (see
// copyChangesFrom).
func (s *Store) logChangesOn(tx *gorm.DB, conn *sql.Conn, changes []pendingChange) error {
	if len(changes) == 0 {
		return nil
	}
	if s.beforeCommit != nil {
		defer s.beforeCommit()
	}
	if conn != nil && len(changes) >= copyChangesFrom {
		// COPY keeps the rows' order: seqs follow the order of changes.
		rows := make([][]any, len(changes))
		for i, c := range changes {
			rows[i] = []any{c.typ, [16]byte(c.id), string(c.action), c.at}
		}
		return copyRows(tx.Statement.Context, conn, "changes", []string{"type", "record_id", "action", "at"}, rows)
	}
	types := make([]string, len(changes))
	ids := make([]string, len(changes))
	actions := make([]string, len(changes))
	ats := make([]string, len(changes))
	for i, c := range changes {
		types[i], ids[i], actions[i], ats[i] = c.typ, c.id.String(), string(c.action), c.at.Format(time.RFC3339Nano)
	}
	// One statement for any number of entries; WITH ORDINALITY keeps their
	// order (a structure before the activities it took with it).
	err := tx.Exec(`INSERT INTO changes (type, record_id, action, at)
		SELECT t, i, a, w FROM unnest(?::text[], ?::uuid[], ?::text[], ?::timestamptz[]) WITH ORDINALITY AS c(t, i, a, w, n)
		ORDER BY n`, textArray(types), textArray(ids), textArray(actions), textArray(ats)).Error
	return err
}

// changeRow is one row of the changes table.
type changeRow struct {
	Seq      int64     `gorm:"column:seq"`
	Type     string    `gorm:"column:type"`
	RecordID uuid.UUID `gorm:"column:record_id"`
	Action   string    `gorm:"column:action"`
	At       time.Time `gorm:"column:at"`
}

// Changes returns up to limit feed entries after seq after, of the given
// types (every type when none), in commit order.
func (s *Store) Changes(ctx context.Context, after int64, limit int, types []string) ([]essdir.FeedEntry, error) {
	q := s.db.WithContext(ctx).Table("changes").Where("seq > ?", after)
	if len(types) > 0 {
		q = q.Where("type IN ?", types)
	}
	var rows []changeRow
	if err := q.Order("seq").Limit(limit).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]essdir.FeedEntry, len(rows))
	for i, r := range rows {
		out[i] = essdir.FeedEntry{Seq: r.Seq, Type: r.Type, ID: r.RecordID, Action: essdir.ChangeAction(r.Action), At: r.At.UTC()}
	}
	return out, nil
}
