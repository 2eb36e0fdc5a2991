package api_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/essdir/essdir/internal/auth"
	"github.com/essdir/essdir/internal/auth/authtest"
	"github.com/essdir/essdir/internal/essdir"
)

func (e *env) createUser(email, password string, role essdir.Role) *essdir.User {
	e.t.Helper()
	hash, err := auth.HashPassword(password)
	if err != nil {
		e.t.Fatal(err)
	}
	u := &essdir.User{Email: email, Role: role, PasswordHash: hash}
	if err := e.store.CreateUser(context.Background(), u); err != nil {
		e.t.Fatal(err)
	}
	return u
}

func TestTokenPasswordGrant(t *testing.T) {
	e := newEnv(t)
	email := "editor-" + randomSuffix() + "@example.org"
	e.createUser(email, "correct horse battery", essdir.RoleEditor)
	form := url.Values{"grant_type": {"password"}, "username": {strings.ToUpper(email)}, "password": {"correct horse battery"}}

	r := e.do(req{method: "POST", path: "/v1/auth/token", body: form.Encode(), contentType: "application/x-www-form-urlencoded"})
	wantStatus(t, r, http.StatusOK)
	tok := r.json(t)
	if tok["token_type"] != "Bearer" || tok["expires_in"] != float64(900) || r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("token answer: %s (%v)", r.body, r.header)
	}
	access := tok["access_token"].(string)

	js := e.do(req{method: "POST", path: "/v1/auth/token", body: map[string]string{
		"grant_type": "password", "username": email, "password": "correct horse battery"}})
	wantStatus(t, js, http.StatusOK)

	me := e.do(req{method: "GET", path: "/v1/auth/me", token: access})
	wantStatus(t, me, http.StatusOK)
	if m := me.json(t); m["email"] != email || m["role"] != "editor" || m["kind"] != "user" {
		t.Errorf("me = %s", me.body)
	}
	// The token works for writes.
	e.create(access, champ("token"))
}

func TestTokenErrors(t *testing.T) {
	e := newEnv(t)
	email := "editor-" + randomSuffix() + "@example.org"
	e.createUser(email, "correct horse battery", essdir.RoleEditor)
	formCT := "application/x-www-form-urlencoded"
	tests := []struct {
		name, body, contentType, oauthError string
	}{
		{"ErrWrongPassword", "grant_type=password&username=" + url.QueryEscape(email) + "&password=wrong", formCT, "invalid_grant"},
		{"ErrUnknownUser", "grant_type=password&username=nobody%40example.org&password=whatever", formCT, "invalid_grant"},
		{"ErrNoGrantType", "username=x&password=y", formCT, "invalid_request"},
		{"ErrUnsupportedGrant", "grant_type=implicit", formCT, "unsupported_grant_type"},
		{"ErrMissingPassword", "grant_type=password&username=x", formCT, "invalid_request"},
		{"ErrRepeatedParameter", "grant_type=password&grant_type=password&username=x&password=y", formCT, "invalid_request"},
		{"ErrJSONNotObject", `["password"]`, "application/json", "invalid_request"},
		{"ErrJSONWrongType", `{"grant_type": "password", "username": 5, "password": "x"}`, "application/json", "invalid_request"},
		{"ErrTextPlain", "grant_type=password", "text/plain", "invalid_request"},
		{"ErrNULInUsername", "grant_type=password&username=a%00b&password=x", formCT, "invalid_request"},
		{"ErrBadUTF8Username", "grant_type=password&username=%ff&password=x", formCT, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(req{method: "POST", path: "/v1/auth/token", body: tt.body, contentType: tt.contentType})
			wantStatus(t, r, http.StatusBadRequest)
			if got := r.json(t)["error"]; got != tt.oauthError {
				t.Errorf("error = %v, want %s", got, tt.oauthError)
			}
		})
	}
}

// TestBearerMatrix sends forged and broken tokens through the real server:
// each is refused with 401 and a Bearer challenge naming invalid_token.
func TestBearerMatrix(t *testing.T) {
	e := newEnv(t)
	secret := []byte("test-secret-test-secret-test-secret!")
	good := e.user(essdir.RoleEditor)
	kid := authtest.KeyID(t, good)
	forge := func(method jwt.SigningMethod, key any, edit func(jwt.MapClaims)) string {
		return authtest.Forge(t, method, key, kid, edit)
	}
	hs256 := jwt.SigningMethodHS256
	tests := map[string]string{
		"ErrAlgNone":       forge(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil),
		"ErrHS512":         forge(jwt.SigningMethodHS512, secret, nil),
		"ErrOtherKey":      forge(hs256, []byte("another-secret-another-secret-another"), nil),
		"ErrExpired":       forge(hs256, secret, func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() }),
		"ErrNoExp":         forge(hs256, secret, func(c jwt.MapClaims) { delete(c, "exp") }),
		"ErrExpZero":       forge(hs256, secret, func(c jwt.MapClaims) { c["exp"] = 0 }),
		"ErrWrongIssuer":   forge(hs256, secret, func(c jwt.MapClaims) { c["iss"] = "someone-else" }),
		"ErrWrongAudience": forge(hs256, secret, func(c jwt.MapClaims) { c["aud"] = "another-api" }),
		"ErrFutureNbf":     forge(hs256, secret, func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() }),
		"ErrGarbage":       "garbage",
	}
	for name, tok := range tests {
		t.Run(name, func(t *testing.T) {
			before := e.countStructures()
			r := e.do(req{method: "POST", path: "/v1/structures", token: tok, body: champ("matrix")})
			wantStatus(t, r, http.StatusUnauthorized)
			if ch := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, "Bearer ") || !strings.Contains(ch, `error="invalid_token"`) {
				t.Errorf("WWW-Authenticate = %q", ch)
			}
			if e.countStructures() != before {
				t.Error("a refused token wrote")
			}
			// A bad token is refused on public reads too.
			wantStatus(t, e.do(req{method: "GET", path: "/v1/structures", token: tok}), http.StatusUnauthorized)
		})
	}
	wantStatus(t, e.do(req{method: "POST", path: "/v1/structures", body: champ("matrix"),
		headers: map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}}), http.StatusUnauthorized)
	wantStatus(t, e.do(req{method: "GET", path: "/v1/auth/me"}), http.StatusUnauthorized)
	// A valid token whose user no longer exists.
	ghost, err := e.tokens.Issue(&essdir.User{ID: uuid.New(), Role: essdir.RoleEditor})
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.do(req{method: "GET", path: "/v1/auth/me", token: ghost}), http.StatusUnauthorized)
}
