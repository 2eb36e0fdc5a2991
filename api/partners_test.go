package api_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/essdir/essdir/internal/auth"
	"github.com/essdir/essdir/internal/essdir"
)

const formCT = "application/x-www-form-urlencoded"

// partnerClient creates a client bound to source and returns its id and
// secret.
func (e *env) partnerClient(source string, moderation essdir.Status) (id, secret string) {
	e.t.Helper()
	secret, hash := auth.NewSecret()
	cl := &essdir.Client{Name: "Partner " + source, Source: source, Moderation: moderation, SecretHash: hash}
	if err := e.store.CreateClient(context.Background(), cl); err != nil {
		e.t.Fatal(err)
	}
	return cl.ID.String(), secret
}

// grant posts a token request as a form and returns the answer.
func (e *env) grant(form url.Values, headers map[string]string) *resp {
	e.t.Helper()
	return e.do(req{method: "POST", path: "/v1/auth/token", body: form.Encode(), contentType: formCT, headers: headers})
}

// partnerToken is an access token of the client credentials grant.
func (e *env) partnerToken(source string, moderation essdir.Status) string {
	e.t.Helper()
	id, secret := e.partnerClient(source, moderation)
	r := e.grant(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}, nil)
	wantStatus(e.t, r, http.StatusOK)
	return r.json(e.t)["access_token"].(string)
}

func basic(id, secret string) map[string]string {
	return map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))}
}

func TestClientCredentialsGrant(t *testing.T) {
	e := newEnv(t)
	source := newSource("ccg")
	id, secret := e.partnerClient(source, essdir.StatusPending)

	for name, r := range map[string]*resp{
		"Body":  e.grant(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}, nil),
		"Basic": e.grant(url.Values{"grant_type": {"client_credentials"}}, basic(id, secret)),
	} {
		t.Run(name, func(t *testing.T) {
			wantStatus(t, r, http.StatusOK)
			tok := r.json(t)
			if tok["refresh_token"] == "" || tok["token_type"] != "Bearer" {
				t.Fatalf("token answer %s", r.body)
			}
			p, err := e.tokens.Verify(tok["access_token"].(string))
			if err != nil || p.Role != essdir.RolePartner || p.Source != source || p.Kind != essdir.SubjectClient {
				t.Fatalf("principal %+v, %v", p, err)
			}
			me := e.do(req{method: "GET", path: "/v1/auth/me", token: tok["access_token"].(string)})
			wantStatus(t, me, http.StatusOK)
			if m := me.json(t); m["kind"] != "client" || m["source"] != source || m["role"] != "partner" || m["name"] != "Partner "+source {
				t.Errorf("me = %s", me.body)
			}
		})
	}

	refused := []struct {
		name    string
		form    url.Values
		headers map[string]string
		basic   bool
	}{
		{"ErrWrongSecret", url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret + "x"}}, nil, false},
		{"ErrUnknownClient", url.Values{"grant_type": {"client_credentials"}, "client_id": {uuid.NewString()}, "client_secret": {secret}}, nil, false},
		{"ErrNotAUUID", url.Values{"grant_type": {"client_credentials"}, "client_id": {"rtes"}, "client_secret": {secret}}, nil, false},
		{"ErrWrongSecretBasic", url.Values{"grant_type": {"client_credentials"}}, basic(id, "nope"), true},
		{"ErrNoCredentials", url.Values{"grant_type": {"client_credentials"}}, nil, false},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			r := e.grant(tt.form, tt.headers)
			wantStatus(t, r, http.StatusUnauthorized)
			if r.json(t)["error"] != "invalid_client" {
				t.Errorf("error = %s", r.body)
			}
			if tt.basic && r.header.Get("WWW-Authenticate") == "" {
				t.Error("no Basic challenge after a Basic attempt")
			}
		})
	}
	t.Run("ErrBasicAndBody", func(t *testing.T) {
		r := e.grant(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}, basic(id, secret))
		wantStatus(t, r, http.StatusBadRequest)
	})
	t.Run("ErrDisabledClient", func(t *testing.T) {
		uid := uuid.MustParse(id)
		yes := true
		if _, err := e.store.UpdateClient(context.Background(), uid, essdir.ClientChange{Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		r := e.grant(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}, nil)
		wantStatus(t, r, http.StatusUnauthorized)
	})
}

func TestPartnerWritesItsSourceOnly(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	mine, theirs := newSource("mine"), newSource("theirs")
	partner := e.partnerToken(mine, essdir.StatusPublished)

	// Another source's structure and event, written by an editor.
	other := e.create(editor, champ(theirs))
	otherPath := "/v1/structures/" + other["id"].(string)
	otherEvent := e.createEvent(editor, forumEvent(theirs))
	otherEventPath := "/v1/events/" + otherEvent["id"].(string)

	// The partner's own structure: the source is its own even when left out.
	body := champ("")
	delete(body, "source")
	own := e.create(partner, body)
	if own["source"] != mine || own["status"] != "published" {
		t.Fatalf("partner's structure: source %v status %v", own["source"], own["status"])
	}
	ownPath := "/v1/structures/" + own["id"].(string)

	before := e.countStructures()
	refused := []struct {
		name string
		r    req
	}{
		{"ErrCreateNamingAnotherSource", req{method: "POST", path: "/v1/structures", body: champ(theirs)}},
		{"ErrCreateEventNamingAnotherSource", req{method: "POST", path: "/v1/events", body: forumEvent(theirs)}},
		{"ErrReplaceAnothersRecord", req{method: "PUT", path: otherPath, body: champ(mine)}},
		{"ErrPatchAnothersRecord", req{method: "PATCH", path: otherPath, body: map[string]any{"summary": "pris"}}},
		{"ErrDeleteAnothersRecord", req{method: "DELETE", path: otherPath}},
		{"ErrPatchAnothersEvent", req{method: "PATCH", path: otherEventPath, body: map[string]any{"title": "pris"}}},
		{"ErrDeleteAnothersEvent", req{method: "DELETE", path: otherEventPath}},
		{"ErrMoveOwnToAnotherSource", req{method: "PATCH", path: ownPath, body: map[string]any{"source": theirs}}},
		{"ErrCollectivitiesAreNotPartners", req{method: "POST", path: "/v1/collectivities", body: map[string]any{"name": "Dijon", "kind": "commune", "insee_code": "21231"}}},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			tt.r.token = partner
			wantStatus(t, e.do(tt.r), http.StatusForbidden)
		})
	}
	if n := e.countStructures(); n != before {
		t.Errorf("refused writes changed the structures: %d rows, were %d", n, before)
	}
	for _, p := range []string{otherPath, otherEventPath} {
		got := e.do(req{method: "GET", path: p, token: editor})
		wantStatus(t, got, http.StatusOK)
		if v := got.json(t)["version"]; v != float64(1) {
			t.Errorf("%s: version %v after refused writes", p, v)
		}
	}
	src := e.do(req{method: "GET", path: ownPath, token: editor}).json(t)["source"]
	if src != mine {
		t.Errorf("own structure moved to %v", src)
	}

	// Its own records: update and delete work, and an event carries its source.
	r := e.do(req{method: "PATCH", path: ownPath, token: partner, body: map[string]any{"summary": "Ferme florale"}})
	wantStatus(t, r, http.StatusOK)
	ev := forumEvent("")
	delete(ev, "source")
	if got := e.createEvent(partner, ev); got["source"] != mine {
		t.Errorf("partner's event source = %v", got["source"])
	}
	wantStatus(t, e.do(req{method: "DELETE", path: ownPath, token: partner}), http.StatusNoContent)
}

func TestPartnerModeration(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	moderated := e.partnerToken(newSource("moderated"), essdir.StatusPending)
	trusted := e.partnerToken(newSource("trusted"), essdir.StatusPublished)

	if st := e.create(moderated, champ(""))["status"]; st != "pending" {
		t.Errorf("moderated partner's structure is %v, want pending", st)
	}
	if st := e.create(trusted, champ(""))["status"]; st != "published" {
		t.Errorf("trusted partner's structure is %v, want published", st)
	}
	draft := champ("")
	draft["status"] = "draft"
	created := e.create(moderated, draft)
	if created["status"] != "draft" {
		t.Errorf("named status not kept: %v", created["status"])
	}
	t.Run("ErrModeratedPublishes", func(t *testing.T) {
		published := champ("")
		published["status"] = "published"
		wantStatus(t, e.do(req{method: "POST", path: "/v1/structures", token: moderated, body: published}), http.StatusForbidden)
		path := "/v1/structures/" + created["id"].(string)
		wantStatus(t, e.do(req{method: "PATCH", path: path, token: moderated, body: map[string]any{"status": "published"}}), http.StatusForbidden)
		// An editor publishes it; the partner's later edits keep it published.
		wantStatus(t, e.do(req{method: "PATCH", path: path, token: editor, body: map[string]any{"status": "published"}}), http.StatusOK)
		r := e.do(req{method: "PATCH", path: path, token: moderated, body: map[string]any{"summary": "Ferme"}})
		wantStatus(t, r, http.StatusOK)
		if r.json(t)["status"] != "published" {
			t.Errorf("status after a partner's edit: %s", r.body)
		}
	})
}

func TestAccountsAreAdminOnly(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	partner := e.partnerToken(newSource("acct"), essdir.StatusPending)
	for _, path := range []string{"/v1/users", "/v1/clients"} {
		wantStatus(t, e.do(req{method: "GET", path: path}), http.StatusUnauthorized)
		wantStatus(t, e.do(req{method: "GET", path: path, token: editor}), http.StatusForbidden)
		wantStatus(t, e.do(req{method: "GET", path: path, token: partner}), http.StatusForbidden)
		wantStatus(t, e.do(req{method: "POST", path: path, token: editor, body: map[string]any{}}), http.StatusForbidden)
	}
}

// TestPartnerBulkStaysInItsSource: a partner's bulk upsert is all or
// nothing under the partner rule too: one item of another source (or one
// replacing another source's record) makes the whole request a 403 naming
// it; its own items land with its moderation.
func TestPartnerBulkStaysInItsSource(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	mine, theirs := newSource("bulkmine"), newSource("bulktheirs")
	partner := e.partnerToken(mine, essdir.StatusPending)
	item := func(source, key string) map[string]any {
		it := champ(source)
		it["external_id"] = key
		return it
	}
	// Another source's record, which the partner must not replace.
	e.create(editor, item(theirs, "shared"))
	before := e.countStructures()
	for name, items := range map[string][]map[string]any{
		"ErrItemOfAnotherSource":    {item(mine, "a"), item(theirs, "b")},
		"ErrReplacesAnothersRecord": {item(theirs, "shared")},
	} {
		t.Run(name, func(t *testing.T) {
			r := e.do(req{method: "POST", path: "/v1/structures/bulk", token: partner, body: map[string]any{"items": items}})
			wantStatus(t, r, http.StatusForbidden)
			if !strings.Contains(string(r.body), "items[") {
				t.Errorf("the 403 does not name the items: %s", r.body)
			}
		})
	}
	if e.countStructures() != before {
		t.Fatal("a refused bulk request wrote something")
	}
	mineOnly := item(mine, "a")
	delete(mineOnly, "source") // the partner's own source is filled in
	mineOnly["source"] = mine
	r := e.do(req{method: "POST", path: "/v1/structures/bulk", token: partner, body: map[string]any{"items": []map[string]any{mineOnly}}})
	wantStatus(t, r, http.StatusOK)
	got := e.do(req{method: "GET", path: "/v1/structures?status=pending&source=" + mine, token: editor}).json(t)["data"].([]any)
	if len(got) != 1 {
		t.Errorf("the partner's item did not land pending: %v", got)
	}
}

// TestAccountChangesTakeEffectAtOnce: a disabled, demoted or deleted
// account's access token loses its powers at once (a disabled admin could
// otherwise re-enable itself or make new admins until the token expires).
func TestAccountChangesTakeEffectAtOnce(t *testing.T) {
	e := newEnv(t)
	admin := e.user(essdir.RoleAdmin)
	other := e.createUser("second-admin-"+randomSuffix()+"@example.org", "a long password!!", essdir.RoleAdmin)
	otherToken, err := e.tokens.Issue(other)
	if err != nil {
		t.Fatal(err)
	}
	path := "/v1/users/" + other.ID.String()
	wantStatus(t, e.do(req{method: "GET", path: "/v1/users", token: otherToken}), http.StatusOK)

	// Demoted: an editor from the next request on.
	wantStatus(t, e.do(req{method: "PATCH", path: path, token: admin, body: `{"role": "editor"}`}), http.StatusOK)
	wantStatus(t, e.do(req{method: "GET", path: "/v1/users", token: otherToken}), http.StatusForbidden)
	wantStatus(t, e.do(req{method: "POST", path: "/v1/structures", token: otherToken, body: champ(newSource("demoted"))}), http.StatusCreated)

	// Disabled: the token is refused, it cannot re-enable itself.
	wantStatus(t, e.do(req{method: "PATCH", path: path, token: admin, body: `{"disabled": true}`}), http.StatusOK)
	wantStatus(t, e.do(req{method: "PATCH", path: path, token: otherToken, body: `{"disabled": false}`}), http.StatusUnauthorized)
	wantStatus(t, e.do(req{method: "POST", path: "/v1/structures", token: otherToken, body: champ(newSource("disabled"))}), http.StatusUnauthorized)

	// Deleted: likewise.
	wantStatus(t, e.do(req{method: "DELETE", path: path, token: admin}), http.StatusNoContent)
	wantStatus(t, e.do(req{method: "GET", path: "/v1/auth/me", token: otherToken}), http.StatusUnauthorized)
}

// TestPartnerReadsItsOwnPendingRecords: a moderated partner can read back
// (and so get the ETag of) what it wrote; other partners cannot even learn
// that it exists.
func TestPartnerReadsItsOwnPendingRecords(t *testing.T) {
	e := newEnv(t)
	mine, theirs := newSource("readmine"), newSource("readtheirs")
	partner := e.partnerToken(mine, essdir.StatusPending)
	other := e.partnerToken(theirs, essdir.StatusPublished)
	r := e.do(req{method: "POST", path: "/v1/structures", token: partner, body: champ(mine)})
	wantStatus(t, r, http.StatusCreated)
	created := r.json(t)
	if created["status"] != "pending" {
		t.Fatalf("status %v", created["status"])
	}
	path := "/v1/structures/" + created["id"].(string)
	own := e.do(req{method: "GET", path: path, token: partner})
	wantStatus(t, own, http.StatusOK)
	ok := e.do(req{method: "PATCH", path: path, token: partner, headers: map[string]string{"If-Match": own.header.Get("ETag")}, body: `{"summary": "Relu"}`})
	wantStatus(t, ok, http.StatusOK)
	wantStatus(t, e.do(req{method: "GET", path: "/v1/structures?status=pending&source=" + mine, token: partner}), http.StatusOK)
	wantStatus(t, e.do(req{method: "GET", path: "/v1/structures?status=pending", token: partner}), http.StatusForbidden)
	wantStatus(t, e.do(req{method: "GET", path: "/v1/structures?status=pending&source=" + mine}), http.StatusUnauthorized)

	// Another partner: as if it did not exist.
	wantStatus(t, e.do(req{method: "GET", path: path, token: other}), http.StatusNotFound)
	wantStatus(t, e.do(req{method: "PATCH", path: path, token: other, body: `{"summary": "x"}`}), http.StatusNotFound)
	wantStatus(t, e.do(req{method: "DELETE", path: path, token: other}), http.StatusNotFound)
	wantStatus(t, e.do(req{method: "GET", path: "/v1/structures?status=pending&source=" + mine, token: other}), http.StatusForbidden)
}
