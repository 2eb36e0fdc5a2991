package api_test

import (
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/essdir/essdir/api"
	"github.com/essdir/essdir/internal/essdir"
)

func TestHealth(t *testing.T) {
	e := newEnv(t)
	wantStatus(t, e.do(req{method: "GET", path: "/healthz"}), http.StatusOK)
	wantStatus(t, e.do(req{method: "GET", path: "/readyz"}), http.StatusOK)
	e.api.Drain()
	r := e.do(req{method: "GET", path: "/readyz"})
	wantStatus(t, r, http.StatusServiceUnavailable)
	if r.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	wantStatus(t, e.do(req{method: "GET", path: "/healthz"}), http.StatusOK)
}

func TestRoutingErrorsAreProblems(t *testing.T) {
	e := newEnv(t)
	wantStatus(t, e.do(req{method: "GET", path: "/v1/nowhere"}), http.StatusNotFound)
	wantStatus(t, e.do(req{method: "GET", path: "/"}), http.StatusNotFound)
	r := e.do(req{method: "DELETE", path: "/v1/structures"})
	wantStatus(t, r, http.StatusMethodNotAllowed)
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
		t.Errorf("Allow = %q", allow)
	}
}

func TestRequestID(t *testing.T) {
	e := newEnv(t)
	r := e.do(req{method: "GET", path: "/healthz"})
	if len(r.header.Get("X-Request-Id")) < 16 {
		t.Errorf("X-Request-Id = %q", r.header.Get("X-Request-Id"))
	}
	r = e.do(req{method: "GET", path: "/healthz", headers: map[string]string{"X-Request-Id": "trace-0123456789"}})
	if got := r.header.Get("X-Request-Id"); got != "trace-0123456789" {
		t.Errorf("a well-formed incoming id was not kept: %q", got)
	}
	r = e.do(req{method: "GET", path: "/healthz", headers: map[string]string{"X-Request-Id": "<script>alert(1)</script>"}})
	if got := r.header.Get("X-Request-Id"); strings.Contains(got, "<") {
		t.Errorf("a hostile incoming id was kept: %q", got)
	}
	if !strings.Contains(e.logs.String(), `"request_id":"trace-0123456789"`) {
		t.Error("the access log does not carry the request id")
	}
}

func TestMetrics(t *testing.T) {
	e := newEnv(t)
	e.do(req{method: "GET", path: "/healthz"})
	e.do(req{method: "GET", path: "/v1/structures/not-a-uuid"})
	r := e.do(req{method: "GET", path: "/metrics"})
	wantStatus(t, r, http.StatusOK)
	body := string(r.body)
	for _, want := range []string{
		`essdir_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		`essdir_http_requests_total{method="GET",route="/v1/structures/:id",status="400"} 1`,
		`essdir_http_request_duration_seconds_bucket{method="GET",route="/healthz",status="200"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, func(o *api.Options) { o.RateLimitAnon = 3 })
	editor := e.user(essdir.RoleEditor)
	for range 3 {
		wantStatus(t, e.do(req{method: "GET", path: "/v1/structures"}), http.StatusOK)
	}
	r := e.do(req{method: "GET", path: "/v1/structures"})
	wantStatus(t, r, http.StatusTooManyRequests)
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// Authenticated callers have their own budget (off here).
	wantStatus(t, e.do(req{method: "GET", path: "/v1/structures", token: editor}), http.StatusOK)
	// Health probes are never limited.
	wantStatus(t, e.do(req{method: "GET", path: "/healthz"}), http.StatusOK)
}

func TestTokenRateLimit(t *testing.T) {
	e := newEnv(t, func(o *api.Options) { o.RateLimitToken = 2 })
	body := "grant_type=password&username=nobody%40example.org&password=guess"
	for range 2 {
		wantStatus(t, e.do(req{method: "POST", path: "/v1/auth/token", body: body, contentType: "application/x-www-form-urlencoded"}), http.StatusBadRequest)
	}
	r := e.do(req{method: "POST", path: "/v1/auth/token", body: body, contentType: "application/x-www-form-urlencoded"})
	wantStatus(t, r, http.StatusTooManyRequests)
	// Other routes keep their own budget.
	wantStatus(t, e.do(req{method: "GET", path: "/v1/structures"}), http.StatusOK)
}

func TestCORS(t *testing.T) {
	e := newEnv(t, func(o *api.Options) { o.CORSOrigins = []string{"https://carte.example.org"} })
	r := e.do(req{method: "OPTIONS", path: "/v1/structures", headers: map[string]string{
		"Origin": "https://carte.example.org", "Access-Control-Request-Method": "POST",
		"Access-Control-Request-Headers": "Authorization, Content-Type, If-Match",
	}})
	if r.status != http.StatusNoContent || r.header.Get("Access-Control-Allow-Origin") != "https://carte.example.org" {
		t.Errorf("preflight: %d %v", r.status, r.header)
	}
	got := e.do(req{method: "GET", path: "/v1/structures", headers: map[string]string{"Origin": "https://carte.example.org"}})
	if !strings.Contains(got.header.Get("Access-Control-Expose-Headers"), "Link") {
		t.Errorf("Link is not exposed to browsers: %v", got.header)
	}
	other := e.do(req{method: "GET", path: "/v1/structures", headers: map[string]string{"Origin": "https://evil.example"}})
	if other.header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("an unlisted origin is allowed")
	}
}

func TestTrustedProxies(t *testing.T) {
	direct := newEnv(t)
	direct.do(req{method: "GET", path: "/healthz", headers: map[string]string{"X-Forwarded-For": "203.0.113.9"}})
	if strings.Contains(direct.logs.String(), "203.0.113.9") {
		t.Error("X-Forwarded-For believed without a trusted proxy")
	}
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	proxied := newEnv(t, func(o *api.Options) { o.TrustedProxies = []*net.IPNet{loopback} })
	proxied.do(req{method: "GET", path: "/healthz", headers: map[string]string{"X-Forwarded-For": "203.0.113.9"}})
	if !strings.Contains(proxied.logs.String(), `"ip":"203.0.113.9"`) {
		t.Errorf("X-Forwarded-For from a trusted proxy ignored:\n%s", proxied.logs.String())
	}
}
