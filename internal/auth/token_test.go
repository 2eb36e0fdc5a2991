package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/essdir/essdir/internal/auth"
	"github.com/essdir/essdir/internal/auth/authtest"
	"github.com/essdir/essdir/internal/essdir"
)

var (
	secret   = []byte("0123456789abcdef0123456789abcdef-current")
	previous = []byte("0123456789abcdef0123456789abcdef-previous")
	other    = []byte("0123456789abcdef0123456789abcdef-attacker")
)

func newIssuer(t *testing.T) *auth.Issuer {
	t.Helper()
	i, err := auth.NewIssuer(secret, [][]byte{previous}, "essdir", "essdir-api", 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// kidOf reads the key id the issuer of secret s puts in its tokens.
func kidOf(t *testing.T, s []byte) string {
	t.Helper()
	j, err := auth.NewIssuer(s, nil, "essdir", "essdir-api", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := j.Issue(&essdir.User{ID: uuid.New(), Role: essdir.RoleEditor})
	if err != nil {
		t.Fatal(err)
	}
	return authtest.KeyID(t, raw)
}

func TestIssueVerify(t *testing.T) {
	i := newIssuer(t)
	u := &essdir.User{ID: uuid.New(), Role: essdir.RoleAdmin, Email: "a@example.org"}
	raw, err := i.Issue(u)
	if err != nil {
		t.Fatal(err)
	}
	p, err := i.Verify(raw)
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != u.ID || p.Role != essdir.RoleAdmin || p.Email != u.Email {
		t.Errorf("principal = %+v", p)
	}
}

func TestPreviousSecretStillVerifies(t *testing.T) {
	old, err := auth.NewIssuer(previous, nil, "essdir", "essdir-api", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := old.Issue(&essdir.User{ID: uuid.New(), Role: essdir.RoleEditor})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newIssuer(t).Verify(raw); err != nil {
		t.Errorf("token of the previous secret refused: %v", err)
	}
}

func TestShortSecretRefused(t *testing.T) {
	if _, err := auth.NewIssuer([]byte("too short"), nil, "i", "a", time.Minute); err == nil {
		t.Error("a secret under 32 bytes was accepted")
	}
	if _, err := auth.NewIssuer(secret, [][]byte{[]byte("short")}, "i", "a", time.Minute); err == nil {
		t.Error("a previous secret under 32 bytes was accepted")
	}
}

func TestVerifyRejects(t *testing.T) {
	i := newIssuer(t)
	kid := kidOf(t, secret)
	tests := []struct {
		name, token, reason string
	}{
		{"ErrAlgNone", authtest.Forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, kid, nil), "signature"},
		{"ErrHS512", authtest.Forge(t, jwt.SigningMethodHS512, secret, kid, nil), "signature"},
		{"ErrOtherKey", authtest.Forge(t, jwt.SigningMethodHS256, other, kid, nil), "signature"},
		{"ErrUnknownKid", authtest.Forge(t, jwt.SigningMethodHS256, secret, "deadbeef", nil), "signature"},
		{"ErrNoKid", authtest.Forge(t, jwt.SigningMethodHS256, secret, "", nil), "signature"},
		{"ErrExpired", authtest.Forge(t, jwt.SigningMethodHS256, secret, kid, func(c jwt.MapClaims) {
			c["exp"] = time.Now().Add(-time.Hour).Unix()
		}), "expired"},
		{"ErrNoExp", authtest.Forge(t, jwt.SigningMethodHS256, secret, kid, func(c jwt.MapClaims) { delete(c, "exp") }), "required claim"},
		{"ErrExpZero", authtest.Forge(t, jwt.SigningMethodHS256, secret, kid, func(c jwt.MapClaims) { c["exp"] = 0 }), "expired"},
		{"ErrWrongIssuer", authtest.Forge(t, jwt.SigningMethodHS256, secret, kid, func(c jwt.MapClaims) { c["iss"] = "evil" }), "issued by"},
		{"ErrNoIssuer", authtest.Forge(t, jwt.SigningMethodHS256, secret, kid, func(c jwt.MapClaims) { delete(c, "iss") }), "required claim"},
		{"ErrWrongAudience", authtest.Forge(t, jwt.SigningMethodHS256, secret, kid, func(c jwt.MapClaims) { c["aud"] = "other-api" }), "audience"},
		{"ErrNoAudience", authtest.Forge(t, jwt.SigningMethodHS256, secret, kid, func(c jwt.MapClaims) { delete(c, "aud") }), "required claim"},
		{"ErrFutureNbf", authtest.Forge(t, jwt.SigningMethodHS256, secret, kid, func(c jwt.MapClaims) {
			c["nbf"] = time.Now().Add(time.Hour).Unix()
		}), "not valid yet"},
		{"ErrFutureIat", authtest.Forge(t, jwt.SigningMethodHS256, secret, kid, func(c jwt.MapClaims) {
			c["iat"] = time.Now().Add(time.Hour).Unix()
		}), "not valid yet"},
		{"ErrBadSubject", authtest.Forge(t, jwt.SigningMethodHS256, secret, kid, func(c jwt.MapClaims) { c["sub"] = "admin" }), "subject"},
		{"ErrUnknownRole", authtest.Forge(t, jwt.SigningMethodHS256, secret, kid, func(c jwt.MapClaims) { c["role"] = "root" }), "role"},
		{"ErrGarbage", "not.a.jwt", "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := i.Verify(tt.token)
			if err == nil {
				t.Fatal("token accepted")
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("error = %v, want it to mention %q", err, tt.reason)
			}
		})
	}
}

func TestLeewayTolerated(t *testing.T) {
	i := newIssuer(t)
	kid := kidOf(t, secret)
	raw := authtest.Forge(t, jwt.SigningMethodHS256, secret, kid, func(c jwt.MapClaims) {
		c["exp"] = time.Now().Add(-10 * time.Second).Unix()
	})
	if _, err := i.Verify(raw); err != nil {
		t.Errorf("a token expired 10 s ago (within leeway) was refused: %v", err)
	}
}

func TestPasswords(t *testing.T) {
	auth.BcryptCost = 4
	h, err := auth.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !auth.CheckPassword(h, "correct horse battery") || auth.CheckPassword(h, "wrong") || auth.CheckPassword("", "x") {
		t.Error("password check is wrong")
	}
	if auth.CheckPasswordPolicy("short") == nil || auth.CheckPasswordPolicy(strings.Repeat("é", 40)) == nil ||
		auth.CheckPasswordPolicy("a long enough passphrase") != nil {
		t.Error("password policy is wrong")
	}
}

// TestSessionClaim: the session (refresh-token family) travels as "sid";
// a token without one has none, and a forged non-UUID one is refused.
func TestSessionClaim(t *testing.T) {
	i := newIssuer(t)
	session := uuid.New()
	raw, err := i.IssueFor(&auth.Principal{Subject: uuid.New(), Kind: essdir.SubjectUser, Role: essdir.RoleEditor, Session: session})
	if err != nil {
		t.Fatal(err)
	}
	p, err := i.Verify(raw)
	if err != nil || p.Session != session {
		t.Fatalf("Verify = %+v, %v; want session %s", p, err, session)
	}
	raw, _ = i.Issue(&essdir.User{ID: uuid.New(), Role: essdir.RoleEditor})
	if p, err := i.Verify(raw); err != nil || p.Session != uuid.Nil {
		t.Fatalf("no session: %+v, %v", p, err)
	}
	for _, sid := range []string{"not-a-uuid", uuid.Nil.String()} {
		now := time.Now()
		claims := auth.Claims{RegisteredClaims: jwt.RegisteredClaims{Issuer: "essdir", Subject: uuid.NewString(),
			Audience: jwt.ClaimStrings{"essdir-api"}, ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)),
			IssuedAt: jwt.NewNumericDate(now)}, Role: essdir.RoleEditor, Session: sid}
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
		tok.Header["kid"] = kidOf(t, secret)
		raw, err := tok.SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := i.Verify(raw); err == nil || !strings.Contains(err.Error(), "session") {
			t.Errorf("sid %q: %v, want refused", sid, err)
		}
	}
}
