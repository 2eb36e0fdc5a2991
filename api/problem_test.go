package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/essdir/essdir/internal/essdir"
)

// TestErrorsAreBounded: 9,000 unknown query parameters used to answer a
// 2 MB problem; errors[] now lists 20 and counts the rest.
func TestErrorsAreBounded(t *testing.T) {
	e := newEnv(t)
	var q strings.Builder
	for i := range 9000 {
		fmt.Fprintf(&q, "p%d=&", i)
	}
	r := e.do(req{method: "GET", path: "/v1/structures?" + q.String()})
	wantStatus(t, r, http.StatusBadRequest)
	p := r.json(t)
	if errs, _ := p["errors"].([]any); len(errs) != 20 || p["errors_truncated"] != float64(8980) {
		t.Errorf("errors: %d listed, errors_truncated = %v; want 20 and 8980", len(errs), p["errors_truncated"])
	}
	if len(r.body) > 16<<10 {
		t.Errorf("the problem is %d bytes", len(r.body))
	}
}

// TestProblemTextsAreBounded: a huge unknown field name is not echoed whole.
func TestProblemTextsAreBounded(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	key := strings.Repeat("k", 200_000)
	r := e.do(req{method: "POST", path: "/v1/structures", token: editor, body: `{"` + key + `": 1}`})
	wantStatus(t, r, http.StatusBadRequest)
	if len(r.body) > 4<<10 {
		t.Errorf("the problem is %d bytes for a 200 kB field name", len(r.body))
	}
}
