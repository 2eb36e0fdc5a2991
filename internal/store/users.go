package store

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/essdir/essdir/internal/essdir"
)

type userRow struct {
	ID           uuid.UUID `gorm:"column:id;primaryKey"`
	Email        string    `gorm:"column:email"`
	PasswordHash string    `gorm:"column:password_hash"`
	Role         string    `gorm:"column:role"`
	CreatedAt    time.Time `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt    time.Time `gorm:"column:updated_at;autoUpdateTime:false"`
}

func (userRow) TableName() string { return "users" }

func (r *userRow) toDomain() *essdir.User {
	return &essdir.User{ID: r.ID, Email: r.Email, PasswordHash: r.PasswordHash,
		Role: essdir.Role(r.Role), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
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
	row := userRow{ID: u.ID, Email: u.Email, PasswordHash: u.PasswordHash, Role: string(u.Role), CreatedAt: now, UpdatedAt: now}
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
