package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestSecurityHeaders: every answer, errors included, says nosniff and
// refuses framing; JSON answers allow no content at all, the Swagger UI only
// its own scripts and styles.
func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/healthz", "/v1/structures", "/v1/nowhere", "/v1/structures/not-a-uuid"} {
		r := e.do(req{method: "GET", path: path})
		if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options = %q", path, got)
		}
		if got := r.header.Get("Content-Security-Policy"); got != "default-src 'none'; frame-ancestors 'none'" {
			t.Errorf("%s: Content-Security-Policy = %q", path, got)
		}
	}
	res, err := e.srv.Client().Get(e.srv.URL + "/swagger/index.html")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("swagger UI: %d", res.StatusCode)
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"frame-ancestors 'none'", "script-src 'self' 'unsafe-inline'", "style-src 'self' 'unsafe-inline'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("swagger UI CSP %q lacks %q", csp, want)
		}
	}
	if res.Header.Get("X-Frame-Options") != "DENY" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("swagger UI headers: %v", res.Header)
	}
}
