package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/essdir/essdir/internal/essdir"
)

// login signs a new editor in with the password grant.
func (e *env) login(role essdir.Role) (access, refresh string, u *essdir.User) {
	e.t.Helper()
	email := string(role) + "-" + randomSuffix() + "@example.org"
	u = e.createUser(email, "correct horse battery", role)
	r := e.grant(url.Values{"grant_type": {"password"}, "username": {email}, "password": {"correct horse battery"}}, nil)
	wantStatus(e.t, r, http.StatusOK)
	m := r.json(e.t)
	return m["access_token"].(string), m["refresh_token"].(string), u
}

func (e *env) refresh(token string) *resp {
	e.t.Helper()
	return e.grant(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}}, nil)
}

func TestRefreshRotation(t *testing.T) {
	e := newEnv(t)
	_, first, _ := e.login(essdir.RoleEditor)

	r := e.refresh(first)
	wantStatus(t, r, http.StatusOK)
	second := r.json(t)["refresh_token"].(string)
	if second == first {
		t.Fatal("the refresh token was not rotated")
	}
	me := e.do(req{method: "GET", path: "/v1/auth/me", token: r.json(t)["access_token"].(string)})
	wantStatus(t, me, http.StatusOK)

	r = e.refresh(second)
	wantStatus(t, r, http.StatusOK)
	third := r.json(t)["refresh_token"].(string)
	thirdAccess := r.json(t)["access_token"].(string)
	wantStatus(t, e.do(req{method: "GET", path: "/v1/auth/me", token: thirdAccess}), http.StatusOK)

	// The spent first token shown again: refused, and the whole family with it.
	r = e.refresh(first)
	wantStatus(t, r, http.StatusBadRequest)
	if r.json(t)["error"] != "invalid_grant" {
		t.Errorf("reuse: %s", r.body)
	}
	r = e.refresh(third)
	wantStatus(t, r, http.StatusBadRequest)
	if r.json(t)["error"] != "invalid_grant" {
		t.Errorf("after reuse, the latest token: %s", r.body)
	}
	// The family's access tokens end with it.
	wantStatus(t, e.do(req{method: "GET", path: "/v1/auth/me", token: thirdAccess}), http.StatusUnauthorized)
	t.Run("ErrUnknownToken", func(t *testing.T) {
		wantStatus(t, e.refresh("not-a-token"), http.StatusBadRequest)
	})
}

func TestRevoke(t *testing.T) {
	e := newEnv(t)
	access, refresh, _ := e.login(essdir.RoleEditor)
	form := func(token string) string {
		return url.Values{"token": {token}, "token_type_hint": {"refresh_token"}}.Encode()
	}

	wantStatus(t, e.do(req{method: "POST", path: "/v1/auth/revoke", body: form(refresh), contentType: formCT}), http.StatusUnauthorized)
	// Another caller cannot revoke it (and learns nothing: 200).
	other, _, _ := e.login(essdir.RoleEditor)
	wantStatus(t, e.do(req{method: "POST", path: "/v1/auth/revoke", token: other, body: form(refresh), contentType: formCT}), http.StatusOK)
	r := e.refresh(refresh)
	wantStatus(t, r, http.StatusOK)
	next := r.json(t)["refresh_token"].(string)

	// An unknown token answers 200 too.
	wantStatus(t, e.do(req{method: "POST", path: "/v1/auth/revoke", token: access, body: form("unknown"), contentType: formCT}), http.StatusOK)
	wantStatus(t, e.do(req{method: "POST", path: "/v1/auth/revoke", token: access, body: "token_type_hint=refresh_token", contentType: formCT}), http.StatusBadRequest)
	// Its owner revokes the latest token: the family is gone, and the access
	// token issued with the family's first token with it.
	wantStatus(t, e.do(req{method: "POST", path: "/v1/auth/revoke", token: access, body: form(next), contentType: formCT}), http.StatusOK)
	wantStatus(t, e.refresh(next), http.StatusBadRequest)
	wantStatus(t, e.do(req{method: "GET", path: "/v1/auth/me", token: access}), http.StatusUnauthorized)

	t.Run("ClientCredentials", func(t *testing.T) {
		id, secret := e.partnerClient(newSource("rev"), essdir.StatusPending)
		r := e.grant(url.Values{"grant_type": {"client_credentials"}}, basic(id, secret))
		wantStatus(t, r, http.StatusOK)
		rt := r.json(t)["refresh_token"].(string)
		wantStatus(t, e.do(req{method: "POST", path: "/v1/auth/revoke", body: form(rt), contentType: formCT, headers: basic(id, "wrong")}), http.StatusUnauthorized)
		wantStatus(t, e.do(req{method: "POST", path: "/v1/auth/revoke", body: form(rt), contentType: formCT, headers: basic(id, secret)}), http.StatusOK)
		wantStatus(t, e.refresh(rt), http.StatusBadRequest)
	})
}

// TestRevokeAccessToken: revoking an access token ends its session (the
// access token, its refresh token, the tokens rotated from it) at once,
// and no other session; someone else's access token is a no-op.
func TestRevokeAccessToken(t *testing.T) {
	e := newEnv(t)
	access, refresh, u := e.login(essdir.RoleEditor)
	revoke := func(caller, token string) *resp {
		return e.do(req{method: "POST", path: "/v1/auth/revoke", token: caller, contentType: formCT,
			body: url.Values{"token": {token}, "token_type_hint": {"access_token"}}.Encode()})
	}
	// A second session of the same user, and another user's.
	r := e.grant(url.Values{"grant_type": {"password"}, "username": {u.Email}, "password": {"correct horse battery"}}, nil)
	wantStatus(t, r, http.StatusOK)
	second := r.json(t)["access_token"].(string)
	other, _, _ := e.login(essdir.RoleEditor)

	// Someone else's access token: 200 and nothing revoked.
	wantStatus(t, revoke(other, access), http.StatusOK)
	wantStatus(t, e.do(req{method: "GET", path: "/v1/auth/me", token: access}), http.StatusOK)

	// A rotated access token belongs to the same session.
	r = e.refresh(refresh)
	wantStatus(t, r, http.StatusOK)
	rotated, next := r.json(t)["access_token"].(string), r.json(t)["refresh_token"].(string)

	wantStatus(t, revoke(access, access), http.StatusOK)
	for name, tok := range map[string]string{"revoked": access, "rotated from it": rotated} {
		r := e.do(req{method: "GET", path: "/v1/auth/me", token: tok})
		wantStatus(t, r, http.StatusUnauthorized)
		if got := r.header.Get("WWW-Authenticate"); !strings.Contains(got, "invalid_token") {
			t.Errorf("%s: WWW-Authenticate %q", name, got)
		}
	}
	wantStatus(t, e.refresh(next), http.StatusBadRequest)
	// The user's other session and the other user are untouched.
	wantStatus(t, e.do(req{method: "GET", path: "/v1/auth/me", token: second}), http.StatusOK)
	wantStatus(t, e.do(req{method: "GET", path: "/v1/auth/me", token: other}), http.StatusOK)
	// Revoking again answers 200 (with a live token of the same user).
	wantStatus(t, revoke(second, access), http.StatusOK)

	t.Run("PartnerClient", func(t *testing.T) {
		id, secret := e.partnerClient(newSource("rva"), essdir.StatusPublished)
		r := e.grant(url.Values{"grant_type": {"client_credentials"}}, basic(id, secret))
		wantStatus(t, r, http.StatusOK)
		tok := r.json(t)["access_token"].(string)
		wantStatus(t, e.do(req{method: "POST", path: "/v1/structures", token: tok, body: champ("")}), http.StatusCreated)
		wantStatus(t, e.do(req{method: "POST", path: "/v1/auth/revoke", contentType: formCT, headers: basic(id, secret),
			body: url.Values{"token": {tok}}.Encode()}), http.StatusOK)
		wantStatus(t, e.do(req{method: "POST", path: "/v1/structures", token: tok, body: champ("")}), http.StatusUnauthorized)
	})
}

func TestDisabledAccounts(t *testing.T) {
	e := newEnv(t)
	admin := e.user(essdir.RoleAdmin)
	_, refresh, u := e.login(essdir.RoleEditor)

	r := e.do(req{method: "PATCH", path: "/v1/users/" + u.ID.String(), token: admin, body: map[string]any{"disabled": true}})
	wantStatus(t, r, http.StatusOK)
	if r.json(t)["disabled"] != true {
		t.Fatalf("patch: %s", r.body)
	}
	wantStatus(t, e.refresh(refresh), http.StatusBadRequest)
	r = e.grant(url.Values{"grant_type": {"password"}, "username": {u.Email}, "password": {"correct horse battery"}}, nil)
	wantStatus(t, r, http.StatusBadRequest)

	t.Run("ClientDisabledStopsWritesAtOnce", func(t *testing.T) {
		id, secret := e.partnerClient(newSource("dis"), essdir.StatusPublished)
		r := e.grant(url.Values{"grant_type": {"client_credentials"}}, basic(id, secret))
		wantStatus(t, r, http.StatusOK)
		tok := r.json(t)
		wantStatus(t, e.do(req{method: "PATCH", path: "/v1/clients/" + id, token: admin, body: map[string]any{"disabled": true}}), http.StatusOK)
		wantStatus(t, e.do(req{method: "POST", path: "/v1/structures", token: tok["access_token"].(string), body: champ("")}), http.StatusUnauthorized)
		wantStatus(t, e.refresh(tok["refresh_token"].(string)), http.StatusBadRequest)
	})
}

func TestUsersCRUD(t *testing.T) {
	e := newEnv(t)
	admin := e.user(essdir.RoleAdmin)
	email := "new-" + randomSuffix() + "@example.org"
	r := e.do(req{method: "POST", path: "/v1/users", token: admin, body: map[string]any{"email": email, "password": "a long new password", "role": "editor"}})
	wantStatus(t, r, http.StatusCreated)
	created := r.json(t)
	if _, leak := created["password_hash"]; leak || r.header.Get("Location") == "" {
		t.Fatalf("create: %s", r.body)
	}
	path := "/v1/users/" + created["id"].(string)
	wantStatus(t, e.do(req{method: "GET", path: path, token: admin}), http.StatusOK)
	r = e.do(req{method: "PATCH", path: path, token: admin, body: map[string]any{"role": "admin"}})
	wantStatus(t, r, http.StatusOK)
	if r.json(t)["role"] != "admin" {
		t.Errorf("patch: %s", r.body)
	}
	r = e.do(req{method: "GET", path: "/v1/users?limit=1", token: admin})
	wantStatus(t, r, http.StatusOK)
	if r.json(t)["meta"].(map[string]any)["next_cursor"] == nil {
		t.Errorf("list of 1 with more users has no next cursor: %s", r.body)
	}
	refused := []struct {
		name   string
		r      req
		status int
	}{
		{"ErrShortPassword", req{method: "POST", path: "/v1/users", body: map[string]any{"email": "x-" + randomSuffix() + "@example.org", "password": "short", "role": "editor"}}, 422},
		{"ErrPartnerRole", req{method: "POST", path: "/v1/users", body: map[string]any{"email": "y-" + randomSuffix() + "@example.org", "password": "a long new password", "role": "partner"}}, 422},
		{"ErrDuplicate", req{method: "POST", path: "/v1/users", body: map[string]any{"email": email, "password": "a long new password", "role": "editor"}}, 409},
		{"ErrUnknownField", req{method: "PATCH", path: path, body: map[string]any{"email": "z@example.org"}}, 400},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			tt.r.token = admin
			wantStatus(t, e.do(tt.r), tt.status)
		})
	}
	wantStatus(t, e.do(req{method: "DELETE", path: path, token: admin}), http.StatusNoContent)
	wantStatus(t, e.do(req{method: "GET", path: path, token: admin}), http.StatusNotFound)
}

func TestClientsCRUD(t *testing.T) {
	e := newEnv(t)
	admin := e.user(essdir.RoleAdmin)
	source := newSource("crud")
	r := e.do(req{method: "POST", path: "/v1/clients", token: admin, body: map[string]any{"name": "RTES", "source": source}})
	wantStatus(t, r, http.StatusCreated)
	created := r.json(t)
	secret, _ := created["client_secret"].(string)
	if secret == "" || created["moderation"] != "pending" || created["source"] != source {
		t.Fatalf("create: %s", r.body)
	}
	path := "/v1/clients/" + created["id"].(string)
	r = e.do(req{method: "GET", path: path, token: admin})
	wantStatus(t, r, http.StatusOK)
	if _, shown := r.json(t)["client_secret"]; shown {
		t.Error("the secret is shown again")
	}
	// The secret works.
	wantStatus(t, e.grant(url.Values{"grant_type": {"client_credentials"}}, basic(created["client_id"].(string), secret)), http.StatusOK)
	r = e.do(req{method: "PATCH", path: path, token: admin, body: map[string]any{"moderation": "published"}})
	wantStatus(t, r, http.StatusOK)
	if r.json(t)["moderation"] != "published" {
		t.Errorf("patch: %s", r.body)
	}
	wantStatus(t, e.do(req{method: "PATCH", path: path, token: admin, body: map[string]any{"source": "other"}}), http.StatusBadRequest)
	wantStatus(t, e.do(req{method: "POST", path: "/v1/clients", token: admin, body: map[string]any{"name": "X", "source": "Not A Source"}}), http.StatusUnprocessableEntity)
	wantStatus(t, e.do(req{method: "GET", path: "/v1/clients", token: admin}), http.StatusOK)
	wantStatus(t, e.do(req{method: "DELETE", path: path, token: admin}), http.StatusNoContent)
	wantStatus(t, e.grant(url.Values{"grant_type": {"client_credentials"}}, basic(created["client_id"].(string), secret)), http.StatusUnauthorized)
}
