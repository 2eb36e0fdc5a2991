package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/essdir/essdir/internal/essdir"
)

type refreshTokenRow struct {
	TokenHash   []byte     `gorm:"column:token_hash;primaryKey"`
	FamilyID    uuid.UUID  `gorm:"column:family_id"`
	SubjectKind string     `gorm:"column:subject_kind"`
	SubjectID   uuid.UUID  `gorm:"column:subject_id"`
	CreatedAt   time.Time  `gorm:"column:created_at;autoCreateTime:false"`
	ExpiresAt   time.Time  `gorm:"column:expires_at"`
	SpentAt     *time.Time `gorm:"column:spent_at"`
	RevokedAt   *time.Time `gorm:"column:revoked_at"`
}

func (refreshTokenRow) TableName() string { return "refresh_tokens" }

func newRefreshRow(t *essdir.RefreshToken, now time.Time) *refreshTokenRow {
	if t.Family == uuid.Nil {
		t.Family = uuid.New()
	}
	return &refreshTokenRow{TokenHash: t.Hash, FamilyID: t.Family, SubjectKind: string(t.Subject.Kind),
		SubjectID: t.Subject.ID, CreatedAt: now, ExpiresAt: t.ExpiresAt}
}

// CreateRefreshToken stores a new refresh token.
func (s *Store) CreateRefreshToken(ctx context.Context, t *essdir.RefreshToken) error {
	return translate(s.db.WithContext(ctx).Create(newRefreshRow(t, s.now())).Error)
}

// RotateRefreshToken spends the token hashed as old and stores next in its
// family. The row is locked, so two concurrent uses of one token cannot both
// succeed: the second sees it spent and revokes the family.
func (s *Store) RotateRefreshToken(ctx context.Context, old []byte, next *essdir.RefreshToken) error {
	reused := false
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		var row refreshTokenRow
		q := tx.Raw("SELECT * FROM refresh_tokens WHERE token_hash = ? FOR UPDATE", old)
		if err := take(q, "refresh token", &row); err != nil {
			return err
		}
		now := s.now()
		switch {
		case row.RevokedAt != nil, !now.Before(row.ExpiresAt):
			return essdir.Errorf(essdir.ENOTFOUND, "the refresh token is expired or revoked")
		case row.SpentAt != nil:
			reused = true
			return tx.Exec("UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL", now, row.FamilyID).Error
		}
		if err := tx.Exec("UPDATE refresh_tokens SET spent_at = ? WHERE token_hash = ?", now, old).Error; err != nil {
			return err
		}
		next.Family = row.FamilyID
		next.Subject = essdir.Subject{Kind: essdir.SubjectKind(row.SubjectKind), ID: row.SubjectID}
		return tx.Create(newRefreshRow(next, now)).Error
	})
	if err == nil && reused {
		return essdir.Errorf(essdir.EUNAUTHORIZED, essdir.ErrRefreshReused)
	}
	return err
}

// RevokeRefreshToken revokes the family of the token hashed as hash when
// owner holds it; an unknown token or another's is a no-op (RFC 7009 §2.2).
func (s *Store) RevokeRefreshToken(ctx context.Context, hash []byte, owner essdir.Subject) error {
	return translate(s.db.WithContext(ctx).Exec(`UPDATE refresh_tokens SET revoked_at = ?
		WHERE revoked_at IS NULL AND family_id = (SELECT family_id FROM refresh_tokens
			WHERE token_hash = ? AND subject_kind = ? AND subject_id = ?)`,
		s.now(), hash, string(owner.Kind), owner.ID).Error)
}

// RevokeFamily revokes the family when owner holds it.
func (s *Store) RevokeFamily(ctx context.Context, family uuid.UUID, owner essdir.Subject) error {
	return translate(s.db.WithContext(ctx).Exec(`UPDATE refresh_tokens SET revoked_at = ?
		WHERE revoked_at IS NULL AND family_id = ? AND subject_kind = ? AND subject_id = ?`,
		s.now(), family, string(owner.Kind), owner.ID).Error)
}

// FamilyRevoked reports whether a family was revoked (its tokens are all
// revoked together, so one revoked row says it); the family index serves it.
func (s *Store) FamilyRevoked(ctx context.Context, family uuid.UUID) (bool, error) {
	var revoked bool
	err := s.db.WithContext(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM refresh_tokens
		WHERE family_id = ? AND revoked_at IS NOT NULL)`, family).Scan(&revoked).Error
	return revoked, translate(err)
}

// RevokeSubjectTokens revokes every refresh token of a subject.
func (s *Store) RevokeSubjectTokens(ctx context.Context, sub essdir.Subject) error {
	return translate(revokeSubject(s.db.WithContext(ctx), sub, s.now()))
}

func revokeSubject(tx *gorm.DB, sub essdir.Subject, now time.Time) error {
	return tx.Exec("UPDATE refresh_tokens SET revoked_at = ? WHERE subject_kind = ? AND subject_id = ? AND revoked_at IS NULL",
		now, string(sub.Kind), sub.ID).Error
}
