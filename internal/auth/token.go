package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/essdir/essdir/internal/essdir"
)

// Leeway tolerates small clock differences between servers.
const Leeway = 30 * time.Second

// Claims are the claims of an essdir access token.
type Claims struct {
	jwt.RegisteredClaims
	Role  essdir.Role `json:"role"`
	Email string      `json:"email,omitempty"`
	// Kind is "client" for a partner application; absent means a user.
	Kind essdir.SubjectKind `json:"kind,omitempty"`
	// Source is the source a partner client writes; partners only.
	Source string `json:"source,omitempty"`
	// Session is the family of the refresh token issued with this access
	// token: revoking the family (RFC 7009, or a refresh token shown twice)
	// ends the access token too.
	Session string `json:"sid,omitempty"`
}

// Principal is who a verified token speaks for.
type Principal struct {
	Subject uuid.UUID
	Kind    essdir.SubjectKind // user or client
	Role    essdir.Role
	Email   string // users only
	Source  string // partner clients only
	// Session is the refresh-token family the token was issued with; nil for
	// a token issued outside the token endpoint.
	Session uuid.UUID
}

// Of names the principal as a refresh token's subject.
func (p *Principal) Of() essdir.Subject { return essdir.Subject{Kind: p.Kind, ID: p.Subject} }

type key struct {
	id     string
	secret []byte
}

// keyID names a secret without revealing it, so a token says which key
// signed it and rotation can keep former keys valid for a while.
func keyID(secret []byte) string {
	sum := sha256.Sum256(append([]byte("essdir-kid:"), secret...))
	return hex.EncodeToString(sum[:8])
}

// Issuer signs access tokens with the current secret and verifies them with
// the current or a previous one. The algorithm is pinned to HS256.
type Issuer struct {
	current  key
	keys     map[string][]byte
	issuer   string
	audience string
	ttl      time.Duration
	// Now is the clock; tests may replace it.
	Now func() time.Time
}

// NewIssuer builds an Issuer. Every secret must be at least 32 bytes.
func NewIssuer(secret []byte, previous [][]byte, issuer, audience string, ttl time.Duration) (*Issuer, error) {
	if len(secret) < 32 {
		return nil, errors.New("the JWT secret must be at least 32 bytes")
	}
	i := &Issuer{current: key{keyID(secret), secret}, keys: map[string][]byte{keyID(secret): secret},
		issuer: issuer, audience: audience, ttl: ttl, Now: time.Now}
	for _, p := range previous {
		if len(p) < 32 {
			return nil, errors.New("every previous JWT secret must be at least 32 bytes")
		}
		i.keys[keyID(p)] = p
	}
	return i, nil
}

// TTL is the lifetime of the tokens this issuer signs.
func (i *Issuer) TTL() time.Duration { return i.ttl }

// Issue signs an access token for a user.
func (i *Issuer) Issue(u *essdir.User) (string, error) {
	return i.IssueFor(&Principal{Subject: u.ID, Kind: essdir.SubjectUser, Role: u.Role, Email: u.Email})
}

// IssueClient signs an access token for a partner client: the partner role,
// bound to the client's source.
func (i *Issuer) IssueClient(cl *essdir.Client) (string, error) {
	return i.IssueFor(&Principal{Subject: cl.ID, Kind: essdir.SubjectClient, Role: essdir.RolePartner, Source: cl.Source})
}

// IssueFor signs an access token for p.
func (i *Issuer) IssueFor(p *Principal) (string, error) {
	now := i.Now()
	kind := p.Kind
	if kind == essdir.SubjectUser {
		kind = "" // the default: user tokens keep their former shape
	}
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.issuer,
			Subject:   p.Subject.String(),
			Audience:  jwt.ClaimStrings{i.audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(i.ttl)),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        uuid.NewString(),
		},
		Role:   p.Role,
		Email:  p.Email,
		Kind:   kind,
		Source: p.Source,
	}
	if p.Session != uuid.Nil {
		claims.Session = p.Session.String()
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	t.Header["kid"] = i.current.id
	return t.SignedString(i.current.secret)
}

// ErrInvalidToken is returned for every token that does not verify; Reason
// says why, for the WWW-Authenticate error_description.
type ErrInvalidToken struct{ Reason string }

func (e *ErrInvalidToken) Error() string { return "invalid token: " + e.Reason }

// Verify checks a token's signature, algorithm, key id, issuer, audience and
// times, and returns who it speaks for.
func (i *Issuer) Verify(raw string) (*Principal, error) {
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(i.issuer),
		jwt.WithAudience(i.audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
		jwt.WithTimeFunc(i.Now),
	)
	var claims Claims
	_, err := parser.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		if _, ok := t.Header["crit"]; ok {
			return nil, errCritical
		}
		kid, _ := t.Header["kid"].(string)
		secret, ok := i.keys[kid]
		if !ok {
			return nil, fmt.Errorf("unknown key id")
		}
		return secret, nil
	})
	if err != nil {
		return nil, &ErrInvalidToken{Reason: reason(err)}
	}
	sub, err := uuid.Parse(claims.Subject)
	if err != nil {
		return nil, &ErrInvalidToken{Reason: "the token has no valid subject"}
	}
	if claims.Kind == "" {
		claims.Kind = essdir.SubjectUser
	}
	// A user is an admin or an editor; a client is a partner bound to a
	// source. Any other mix is a forged or foreign token.
	switch {
	case claims.Kind == essdir.SubjectUser && claims.Role.Valid() && claims.Source == "":
	case claims.Kind == essdir.SubjectClient && claims.Role == essdir.RolePartner && claims.Source != "":
	default:
		return nil, &ErrInvalidToken{Reason: "the token has no valid role"}
	}
	var session uuid.UUID
	if claims.Session != "" {
		if session, err = uuid.Parse(claims.Session); err != nil || session == uuid.Nil {
			return nil, &ErrInvalidToken{Reason: "the token has no valid session"}
		}
	}
	return &Principal{Subject: sub, Kind: claims.Kind, Role: claims.Role, Email: claims.Email, Source: claims.Source, Session: session}, nil
}

// errCritical refuses a token with a "crit" header: it names extensions the
// recipient must understand (RFC 7515 §4.1.11), and essdir understands none.
var errCritical = errors.New("critical header extensions are not supported")

func reason(err error) string {
	switch {
	case errors.Is(err, errCritical):
		return "the token names critical extensions this server does not support"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "the token has expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "the token is not valid yet"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "the token lacks a required claim"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "the token was issued by someone else"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "the token is meant for another audience"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return "the token signature does not verify"
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "the token is malformed"
	}
	return "the token is invalid"
}
