package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/essdir/essdir/internal/essdir"
)

// ReserveIdempotencyKey claims (caller, key). The insert is its own
// statement, committed at once, so a concurrent duplicate finds the row and
// learns the first request still runs. Expired rows of every caller are
// purged on the way (an indexed delete), so the table never outgrows a day
// of keys.
func (s *Store) ReserveIdempotencyKey(ctx context.Context, caller, key string, hash []byte, ttl, stale time.Duration) (*essdir.IdempotentAnswer, error) {
	db := s.db.WithContext(ctx)
	now := s.now()
	if err := db.Exec(`DELETE FROM idempotency_keys WHERE created_at < ?
		OR (caller = ? AND key = ? AND completed_at IS NULL AND created_at < ?)`,
		now.Add(-ttl), caller, key, now.Add(-stale)).Error; err != nil {
		return nil, translate(err)
	}
	res := db.Exec(`INSERT INTO idempotency_keys (caller, key, request_hash, created_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (caller, key) DO NOTHING`, caller, key, hash, now)
	if res.Error != nil {
		return nil, translate(res.Error)
	}
	if res.RowsAffected == 1 {
		return nil, nil
	}
	var row struct {
		RequestHash []byte
		Status      *int
		Headers     []byte
		Body        []byte
		CompletedAt *time.Time
	}
	err := db.Raw(`SELECT request_hash, status, headers, body, completed_at FROM idempotency_keys
		WHERE caller = ? AND key = ?`, caller, key).Scan(&row).Error
	if err != nil {
		return nil, translate(err)
	}
	if row.RequestHash == nil { // purged between the insert and the select: claim again
		return s.ReserveIdempotencyKey(ctx, caller, key, hash, ttl, stale)
	}
	a := &essdir.IdempotentAnswer{RequestHash: row.RequestHash, Body: row.Body, Done: row.CompletedAt != nil}
	if row.Status != nil {
		a.Status = *row.Status
	}
	if len(row.Headers) > 0 {
		if err := json.Unmarshal(row.Headers, &a.Header); err != nil {
			return nil, essdir.Internal(err)
		}
	}
	return a, nil
}

// CompleteIdempotencyKey stores the answer of a claimed key.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, caller, key string, a *essdir.IdempotentAnswer) error {
	headers, err := json.Marshal(a.Header)
	if err != nil {
		return essdir.Internal(err)
	}
	return translate(s.db.WithContext(ctx).Exec(`UPDATE idempotency_keys
		SET status = ?, headers = ?, body = ?, completed_at = ? WHERE caller = ? AND key = ?`,
		a.Status, string(headers), a.Body, s.now(), caller, key).Error)
}

// ReleaseIdempotencyKey forgets an unfinished claim.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, caller, key string) error {
	return translate(s.db.WithContext(ctx).Exec(
		"DELETE FROM idempotency_keys WHERE caller = ? AND key = ? AND completed_at IS NULL", caller, key).Error)
}
