package store

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/essdir/essdir/internal/essdir"
)

type userRow struct {
	ID           uuid.UUID `gorm:"column:id;primaryKey"`
	Email        string    `gorm:"column:email"`
	PasswordHash string    `gorm:"column:password_hash"`
	Role         string    `gorm:"column:role"`
	Disabled     bool      `gorm:"column:disabled"`
	CreatedAt    time.Time `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt    time.Time `gorm:"column:updated_at;autoUpdateTime:false"`
}

func (userRow) TableName() string { return "users" }

func (r *userRow) toDomain() *essdir.User {
	return &essdir.User{ID: r.ID, Email: r.Email, PasswordHash: r.PasswordHash,
		Role: essdir.Role(r.Role), Disabled: r.Disabled, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// CreateUser inserts a user whose password is already hashed.
func (s *Store) CreateUser(ctx context.Context, u *essdir.User) error {
	u.Email = strings.ToLower(essdir.CleanText(u.Email))
	var v essdir.Violations
	if !essdir.ValidEmail(u.Email) {
		v.Add("email", "must be an e-mail address")
	}
	if !u.Role.Valid() {
		v.Add("role", "must be admin or editor")
	}
	if u.PasswordHash == "" {
		v.Add("password", "is required")
	}
	if err := v.Err(); err != nil {
		return err
	}
	now := s.now()
	u.ID, u.CreatedAt, u.UpdatedAt = uuid.Must(uuid.NewV7()), now, now
	row := userRow{ID: u.ID, Email: u.Email, PasswordHash: u.PasswordHash, Role: string(u.Role), Disabled: u.Disabled, CreatedAt: now, UpdatedAt: now}
	return translate(s.db.WithContext(ctx).Create(&row).Error)
}

// FindUserByID returns a user.
func (s *Store) FindUserByID(ctx context.Context, id uuid.UUID) (*essdir.User, error) {
	var row userRow
	if err := take(s.db.WithContext(ctx).Where("id = ?", id), "user", &row); err != nil {
		return nil, err
	}
	return row.toDomain(), nil
}

// FindUserByEmail returns the user with this e-mail, whatever its case.
func (s *Store) FindUserByEmail(ctx context.Context, email string) (*essdir.User, error) {
	var row userRow
	if err := take(s.db.WithContext(ctx).Where("lower(email) = lower(?)", essdir.CleanText(email)), "user", &row); err != nil {
		return nil, err
	}
	return row.toDomain(), nil
}

// FindUsers returns up to limit users after the id after (uuid.Nil: from
// the first), in id order: ids are UUIDv7, so this is creation order.
func (s *Store) FindUsers(ctx context.Context, after uuid.UUID, limit int) ([]*essdir.User, error) {
	var rows []userRow
	if err := s.db.WithContext(ctx).Where("id > ?", after).Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]*essdir.User, len(rows))
	for i := range rows {
		out[i] = rows[i].toDomain()
	}
	return out, nil
}

// UpdateUser applies an admin's change. Disabling a user revokes its refresh
// tokens in the same transaction, so no new access token is ever issued to it.
func (s *Store) UpdateUser(ctx context.Context, id uuid.UUID, ch essdir.UserChange) (*essdir.User, error) {
	if ch.Role != nil && !ch.Role.Valid() {
		return nil, (essdir.Violations{{Field: "role", Message: "must be admin or editor"}}).Err()
	}
	var out *essdir.User
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		var row userRow
		if err := take(tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id), "user", &row); err != nil {
			return err
		}
		before := row
		if ch.Role != nil {
			row.Role = string(*ch.Role)
		}
		if ch.Disabled != nil {
			row.Disabled = *ch.Disabled
		}
		if ch.PasswordHash != nil {
			row.PasswordHash = *ch.PasswordHash
		}
		if row != before {
			row.UpdatedAt = s.now()
			if err := tx.Select("role", "disabled", "password_hash", "updated_at").Updates(&row).Error; err != nil {
				return err
			}
		}
		out = row.toDomain()
		if row.Disabled || row.PasswordHash != before.PasswordHash {
			return revokeSubject(tx, essdir.Subject{Kind: essdir.SubjectUser, ID: id}, s.now())
		}
		return nil
	})
	return out, err
}

// DeleteUser erases a user and its refresh tokens.
func (s *Store) DeleteUser(ctx context.Context, id uuid.UUID) error {
	return s.inTx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("id = ?", id).Delete(&userRow{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return essdir.Errorf(essdir.ENOTFOUND, "user not found")
		}
		return tx.Exec("DELETE FROM refresh_tokens WHERE subject_kind = 'user' AND subject_id = ?", id).Error
	})
}
