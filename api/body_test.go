package api_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/essdir/essdir/internal/essdir"
)

// TestAmbiguousBodiesRefused: bodies the JSON decoder would read in a way
// the sender may not have meant are a 400 naming the field, and nothing is
// written.
func TestAmbiguousBodiesRefused(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	tests := []struct {
		name, body, field string
	}{
		{"ErrDuplicateKey", `{"name": "La Boucle", "legal_form": "association", "name": "Autre"}`, "name"},
		{"ErrDuplicateNestedKey", `{"name": "La Boucle", "address": {"city": "Dijon", "city": "Longvic"}}`, "address.city"},
		{"ErrDeepNesting", `{"name": "La Boucle", "sectors": ` + strings.Repeat("[", 8000) + strings.Repeat("]", 8000) + `}`, "sectors" + strings.Repeat("[0]", 31)},
		{"ErrLoneSurrogate", `{"name": "La Boucle \ud800"}`, "name"},
		{"ErrInvalidUTF8", "{\"name\": \"La Boucle \xff\"}", "name"},
	}
	before := e.countStructures()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(req{method: "POST", path: "/v1/structures", token: editor, body: tt.body})
			wantStatus(t, r, http.StatusBadRequest)
			wantFields(t, r, tt.field)
		})
	}
	id := e.create(editor, champ(newSource("shape")))["id"].(string)
	e.deleteAtCleanup(editor, id)
	patch := e.do(req{method: "PATCH", path: "/v1/structures/" + id, token: editor,
		contentType: "application/merge-patch+json", body: `{"summary": "a", "summary": "b"}`})
	wantStatus(t, patch, http.StatusBadRequest)
	if got := e.countStructures(); got != before+1 {
		t.Errorf("%d rows, want %d: a refused body was written", got, before+1)
	}
}

// TestBodiesOpenedByOtherSpaceRefused: whitespace JSON does not allow
// (\v, \f, U+0085, U+00A0, U+3000) before or after a body, a bulk item or
// an NDJSON line makes it no JSON: a 400, nothing written. It used to be
// skipped unchecked, and the decoder then read what followed it with its
// repeated keys, its member names in another case, a partner's source
// given twice.
func TestBodiesOpenedByOtherSpaceRefused(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	src := newSource("space")
	partner := e.partnerToken(src, essdir.StatusPublished)
	id := e.create(editor, champ(src))["id"].(string)
	e.deleteAtCleanup(editor, id)
	n, feed := e.countStructures(), e.feedEnd()
	for _, space := range []string{"\v", "\f", "\u0085", "\u00a0", "\u3000"} {
		name := fmt.Sprintf("%U", []rune(space)[0])
		for _, tt := range []struct {
			name, method, path, token, contentType, body string
		}{
			{"Create", "POST", "/v1/structures", editor, "", space + `{"name": "a", "name": "b"}`},
			{"CreateCase", "POST", "/v1/structures", editor, "", space + `{"NAME": "a"}`},
			{"CreateValid", "POST", "/v1/structures", editor, "", space + `{"name": "La Boucle", "legal_form": "association"}`},
			{"CreateAfter", "POST", "/v1/structures", editor, "", `{"name": "La Boucle", "legal_form": "association"}` + space},
			{"Replace", "PUT", "/v1/structures/" + id, editor, "", space + `{"name": "x", "name": "y"}`},
			{"BulkItem", "POST", "/v1/structures/bulk", editor, "", `{"items": [` + space + `{"name": "a", "name": "b", "source": "` + src + `", "external_id": "s1"}]}`},
			{"BulkLine", "POST", "/v1/structures/bulk", partner, "application/x-ndjson",
				space + `{"name": "a", "source": "other", "source": "` + src + `", "external_id": "s2"}` + "\n"},
			{"BulkLineAfter", "POST", "/v1/structures/bulk", partner, "application/x-ndjson",
				`{"name": "a", "source": "` + src + `", "external_id": "s3"}` + space + "\n"},
		} {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				r := e.do(req{method: tt.method, path: tt.path, token: tt.token, contentType: tt.contentType, body: tt.body})
				wantStatus(t, r, http.StatusBadRequest)
			})
		}
	}
	if e.countStructures() != n || e.feedEnd() != feed {
		t.Fatal("a refused body was written")
	}
}

// TestContentEncodingRefused: essdir decodes no Content-Encoding; a
// compressed body is a 415, never stored as if plain.
func TestContentEncodingRefused(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	_, _ = w.Write([]byte(`{"name": "La Boucle", "legal_form": "association"}`))
	_ = w.Close()
	before := e.countStructures()
	for _, tt := range []struct {
		encoding string
		body     []byte
	}{{"gzip", gz.Bytes()}, {"br", []byte(`{"name": "La Boucle", "legal_form": "association"}`)}, {"identity, br", gz.Bytes()}} {
		r := e.do(req{method: "POST", path: "/v1/structures", token: editor, body: tt.body,
			headers: map[string]string{"Content-Encoding": tt.encoding}})
		wantStatus(t, r, http.StatusUnsupportedMediaType)
		if !strings.Contains(string(r.body), "Content-Encoding") {
			t.Errorf("%s: the problem does not name Content-Encoding: %s", tt.encoding, r.body)
		}
	}
	tok := e.do(req{method: "POST", path: "/v1/auth/token", body: "grant_type=password", contentType: "application/x-www-form-urlencoded",
		headers: map[string]string{"Content-Encoding": "gzip"}})
	wantStatus(t, tok, http.StatusUnsupportedMediaType)
	if got := e.countStructures(); got != before {
		t.Errorf("%d rows, want %d", got, before)
	}
	// identity is no encoding at all.
	s := champ(newSource("identity"))
	r := e.do(req{method: "POST", path: "/v1/structures", token: editor, body: s, headers: map[string]string{"Content-Encoding": "identity"}})
	wantStatus(t, r, http.StatusCreated)
	e.deleteAtCleanup(editor, r.json(t)["id"].(string))
}

// TestTokenBodyIsUnambiguous: the token endpoint's JSON is read as strictly
// as any other body, and answers OAuth errors.
func TestTokenBodyIsUnambiguous(t *testing.T) {
	e := newEnv(t)
	email := "shape-" + randomSuffix() + "@example.org"
	e.createUser(email, "correct horse battery", essdir.RoleEditor)
	good := `{"grant_type": "password", "username": "` + email + `", "password": "correct horse battery"}`
	wantStatus(t, e.do(req{method: "POST", path: "/v1/auth/token", body: good}), http.StatusOK)
	for name, body := range map[string]string{
		"ErrTrailingData":    good + `{"grant_type": "client_credentials"}`,
		"ErrTrailingGarbage": good + ` x`,
		"ErrDuplicateKey":    `{"grant_type": "password", "username": "` + email + `", "password": "wrong", "password": "correct horse battery"}`,
		"ErrLoneSurrogate":   `{"grant_type": "password", "username": "` + email + `", "password": "correct horse battery\udc00"}`,
		"ErrDeepNesting":     `{"grant_type": ` + strings.Repeat("[", 8000) + strings.Repeat("]", 8000) + `}`,
	} {
		t.Run(name, func(t *testing.T) {
			r := e.do(req{method: "POST", path: "/v1/auth/token", body: body})
			wantStatus(t, r, http.StatusBadRequest)
			if r.json(t)["error"] != "invalid_request" {
				t.Errorf("answer: %s", r.body)
			}
		})
	}
}
