package essdir

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Role is what a person or a client may do.
type Role string // @name Role

// Roles, from the most to the least powerful. Admins and editors are people
// (users); partners are applications (clients) bound to one source.
const (
	RoleAdmin   Role = "admin"
	RoleEditor  Role = "editor"
	RolePartner Role = "partner"
)

// Valid reports whether r is a role a user can have: partners are clients,
// never people.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleEditor }

// Known reports whether r is any role a token may carry.
func (r Role) Known() bool { return r.Valid() || r == RolePartner }

// Includes reports whether r grants everything need grants.
func (r Role) Includes(need Role) bool {
	switch r {
	case RoleAdmin:
		return need != RolePartner // an admin writes any source, unscoped
	case RoleEditor, RolePartner:
		return need == r
	}
	return false
}

// User is a person who signs in with an e-mail and a password. A disabled
// user can neither sign in nor refresh a token.
type User struct {
	ID           uuid.UUID
	Email        string
	PasswordHash string
	Role         Role
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// UserChange is an admin's change to a user; nil leaves a field as it is.
type UserChange struct {
	Role         *Role
	Disabled     *bool
	PasswordHash *string
}

// UserService stores users. Deleting a user erases the row (and its refresh
// tokens); a user owns no directory record.
type UserService interface {
	CreateUser(ctx context.Context, u *User) error
	FindUserByID(ctx context.Context, id uuid.UUID) (*User, error)
	FindUserByEmail(ctx context.Context, email string) (*User, error)
	FindUsers(ctx context.Context, after uuid.UUID, limit int) ([]*User, error)
	UpdateUser(ctx context.Context, id uuid.UUID, ch UserChange) (*User, error)
	DeleteUser(ctx context.Context, id uuid.UUID) error
}
