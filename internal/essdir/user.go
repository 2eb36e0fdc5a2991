package essdir

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Role is what a person or a client may do.
type Role string // @name Role

// Roles, from the most to the least powerful. Partners (clients bound to one
// source) come with the partner-sync work.
const (
	RoleAdmin  Role = "admin"
	RoleEditor Role = "editor"
)

// Valid reports whether r is a role a user can have.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleEditor }

// Includes reports whether r grants everything need grants.
func (r Role) Includes(need Role) bool {
	switch r {
	case RoleAdmin:
		return true
	case RoleEditor:
		return need == RoleEditor
	}
	return false
}

// User is a person who signs in with an e-mail and a password.
type User struct {
	ID           uuid.UUID
	Email        string
	PasswordHash string
	Role         Role
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// UserService stores users.
type UserService interface {
	CreateUser(ctx context.Context, u *User) error
	FindUserByID(ctx context.Context, id uuid.UUID) (*User, error)
	FindUserByEmail(ctx context.Context, email string) (*User, error)
}
