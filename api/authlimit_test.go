package api_test

import (
	"net/http"
	"testing"

	"github.com/essdir/essdir/api"
)

// TestFailedAuthenticationIsRateLimited: a bad bearer token spends the
// client IP's anonymous budget, so guessing tokens ends in 429 like any
// other anonymous flood.
func TestFailedAuthenticationIsRateLimited(t *testing.T) {
	e := newEnv(t, func(o *api.Options) { o.RateLimitAnon = 3 })
	for range 3 {
		wantStatus(t, e.do(req{method: "GET", path: "/v1/structures", token: "not.a.token"}), http.StatusUnauthorized)
	}
	for _, r := range []*resp{
		e.do(req{method: "GET", path: "/v1/structures", token: "not.a.token"}),
		e.do(req{method: "GET", path: "/v1/structures", headers: map[string]string{"Authorization": "Basic Zm9vOmJhcg=="}}),
		e.do(req{method: "GET", path: "/v1/structures"}), // the same IP's anonymous budget is spent
	} {
		wantStatus(t, r, http.StatusTooManyRequests)
		if r.header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	// Probes take no credentials and are never limited.
	wantStatus(t, e.do(req{method: "GET", path: "/healthz", token: "not.a.token"}), http.StatusOK)
}
