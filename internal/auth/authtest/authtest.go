// Package authtest forges access tokens for tests: valid ones with edits, as
// a misconfigured peer or an attacker would, to prove each is refused.
package authtest

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Forge signs the claims of a valid essdir token (issuer "essdir", audience
// "essdir-api", an editor, one minute left) after edit has changed them. An
// empty kid leaves the header without one.
func Forge(tb testing.TB, method jwt.SigningMethod, key any, kid string, edit func(jwt.MapClaims)) string {
	tb.Helper()
	now := time.Now()
	claims := jwt.MapClaims{
		"iss": "essdir", "aud": "essdir-api", "sub": uuid.NewString(), "role": "editor",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Minute).Unix(),
	}
	if edit != nil {
		edit(claims)
	}
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// KeyID reads the kid header of a token without verifying it.
func KeyID(tb testing.TB, token string) string {
	tb.Helper()
	tok, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	if err != nil {
		tb.Fatal(err)
	}
	kid, _ := tok.Header["kid"].(string)
	return kid
}
