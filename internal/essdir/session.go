package essdir

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// SubjectKind says whether a token speaks for a person or an application.
type SubjectKind string

// Subject kinds.
const (
	SubjectUser   SubjectKind = "user"
	SubjectClient SubjectKind = "client"
)

// Subject is whom a refresh token was issued to.
type Subject struct {
	Kind SubjectKind
	ID   uuid.UUID
}

// RefreshToken is an opaque, single-use token, known to the store only by
// its hash. Each use spends it and issues its successor in the same Family;
// presenting a spent one revokes the whole family, since either its holder
// or a thief has the successor.
type RefreshToken struct {
	Hash      []byte
	Family    uuid.UUID
	Subject   Subject
	ExpiresAt time.Time
}

// ErrRefreshReused is the code-less message of a spent refresh token shown
// again: its family has just been revoked.
const ErrRefreshReused = "the refresh token was already used: every token of its family is revoked"

// RefreshTokenService keeps refresh tokens.
type RefreshTokenService interface {
	// CreateRefreshToken stores a new token (a new family when Family is nil).
	CreateRefreshToken(ctx context.Context, t *RefreshToken) error
	// RotateRefreshToken spends the token whose hash is old and stores next
	// in its family, for the same subject. An unknown, expired or revoked
	// token is ENOTFOUND; a spent one revokes its family and is EUNAUTHORIZED
	// with ErrRefreshReused.
	RotateRefreshToken(ctx context.Context, old []byte, next *RefreshToken) error
	// RevokeRefreshToken revokes the family of the token whose hash is given,
	// when it was issued to owner; anything else is a silent no-op (RFC 7009).
	RevokeRefreshToken(ctx context.Context, hash []byte, owner Subject) error
	// RevokeSubjectTokens revokes every refresh token of a subject (a user or
	// client disabled or deleted).
	RevokeSubjectTokens(ctx context.Context, s Subject) error
	// RevokeFamily revokes every token of a family (a session) when it was
	// issued to owner; anything else is a silent no-op (RFC 7009).
	RevokeFamily(ctx context.Context, family uuid.UUID, owner Subject) error
	// FamilyRevoked reports whether a family's tokens were revoked: the
	// access tokens issued with them stop working at once.
	FamilyRevoked(ctx context.Context, family uuid.UUID) (bool, error)
}

// IdempotentAnswer is the stored answer to a POST made with an
// Idempotency-Key. Done is false while the first request still runs.
type IdempotentAnswer struct {
	RequestHash []byte
	Status      int
	Header      map[string]string
	Body        []byte
	Done        bool
}

// IdempotencyService keeps the answers of keyed POSTs, per caller.
type IdempotencyService interface {
	// ReserveIdempotencyKey claims (caller, key) for a request whose body
	// hashes to hash. It returns nil when the claim is new (the caller then
	// runs the request), else the row already there. Rows older than ttl, and
	// unfinished ones older than stale (a crashed request), are replaced.
	ReserveIdempotencyKey(ctx context.Context, caller, key string, hash []byte, ttl, stale time.Duration) (*IdempotentAnswer, error)
	// CompleteIdempotencyKey stores the answer of a claimed key.
	CompleteIdempotencyKey(ctx context.Context, caller, key string, a *IdempotentAnswer) error
	// ReleaseIdempotencyKey forgets a claim whose request must be retried.
	ReleaseIdempotencyKey(ctx context.Context, caller, key string) error
}
