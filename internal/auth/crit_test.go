package auth_test

import (
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/essdir/essdir/internal/auth/authtest"
)

// TestCriticalHeaderRefused: a token whose crit header names an extension
// is refused (RFC 7515 §4.1.11), even when everything else verifies.
func TestCriticalHeaderRefused(t *testing.T) {
	i := newIssuer(t)
	good := authtest.Forge(t, jwt.SigningMethodHS256, secret, kidOf(t, secret), nil)
	if _, err := i.Verify(good); err != nil {
		t.Fatalf("the token without crit is refused: %v", err)
	}
	parsed, _, err := jwt.NewParser().ParseUnverified(good, jwt.MapClaims{})
	if err != nil {
		t.Fatal(err)
	}
	for _, crit := range []any{[]string{"urn:example:unknown"}, []string{"exp"}, []string{}} {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, parsed.Claims)
		tok.Header["kid"] = kidOf(t, secret)
		tok.Header["crit"] = crit
		raw, err := tok.SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := i.Verify(raw); err == nil || !strings.Contains(err.Error(), "critical") {
			t.Errorf("crit %v: error = %v, want a refusal naming critical extensions", crit, err)
		}
	}
}
