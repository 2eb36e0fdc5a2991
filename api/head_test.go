package api_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/essdir/essdir/internal/essdir"
)

// TestHeadWhereverGet: HEAD answers what GET answers (status, headers,
// Content-Length), without a body, on every GET route.
func TestHeadWhereverGet(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := newSource("head")
	id := e.create(editor, champ(source))["id"].(string)
	e.deleteAtCleanup(editor, id)
	for _, path := range []string{
		"/healthz", "/readyz", "/v1/structures?source=" + source, "/v1/structures/" + id,
		"/v1/structures/not-a-uuid", "/v1/structures/01930000-0000-7000-8000-000000000000",
	} {
		get := e.do(req{method: "GET", path: path})
		head := e.do(req{method: "HEAD", path: path}) // e.do checks there is no body
		if head.status != get.status {
			t.Errorf("HEAD %s: %d, GET: %d", path, head.status, get.status)
		}
		for _, h := range []string{"Content-Type", "ETag", "Cache-Control", "Link", "X-Content-Type-Options"} {
			if head.header.Get(h) != get.header.Get(h) {
				t.Errorf("HEAD %s: %s = %q, GET has %q", path, h, head.header.Get(h), get.header.Get(h))
			}
		}
		if cl := head.header.Get("Content-Length"); cl != strconv.Itoa(len(get.body)) {
			t.Errorf("HEAD %s: Content-Length = %q, GET's body has %d bytes", path, cl, len(get.body))
		}
	}
	// Conditional HEAD, like a conditional GET.
	etag := e.do(req{method: "GET", path: "/v1/structures/" + id}).header.Get("ETag")
	wantStatus(t, e.do(req{method: "HEAD", path: "/v1/structures/" + id, headers: map[string]string{"If-None-Match": etag}}), http.StatusNotModified)
	// A route without GET still refuses HEAD, saying what it allows.
	r := e.do(req{method: "HEAD", path: "/v1/auth/token"})
	wantStatus(t, r, http.StatusMethodNotAllowed)

	metrics := string(e.do(req{method: "GET", path: "/metrics"}).body)
	if !strings.Contains(metrics, `essdir_http_requests_total{method="HEAD",route="/healthz",status="200"} 1`) {
		t.Error("HEAD requests are not counted as HEAD")
	}
	pre := e.do(req{method: "OPTIONS", path: "/v1/structures", headers: map[string]string{
		"Origin": "https://carte.example.org", "Access-Control-Request-Method": "HEAD"}})
	if !strings.Contains(pre.header.Get("Access-Control-Allow-Methods"), "HEAD") {
		t.Errorf("CORS does not allow HEAD: %v", pre.header)
	}
}
