package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/essdir/essdir/internal/essdir"
)

// pollAll follows the feed from after to its end and returns the entries.
func (e *env) pollAll(token string, after int64, types string) []map[string]any {
	e.t.Helper()
	var out []map[string]any
	for {
		path := fmt.Sprintf("/v1/changes?after=%d&limit=2", after)
		if types != "" {
			path += "&types=" + types
		}
		r := e.do(req{method: http.MethodGet, path: path, token: token})
		wantStatus(e.t, r, http.StatusOK)
		page := r.json(e.t)
		data := page["data"].([]any)
		next := int64(page["meta"].(map[string]any)["next_after"].(float64))
		if len(data) == 0 {
			if next != after {
				e.t.Fatalf("an empty page moved next_after from %d to %d", after, next)
			}
			return out
		}
		for _, x := range data {
			out = append(out, x.(map[string]any))
		}
		after = next
	}
}

func TestChangesFeed(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	start := e.pollAll(editor, 0, "")
	var after int64
	if len(start) > 0 {
		after = int64(start[len(start)-1]["seq"].(float64))
	}

	created := e.do(req{method: http.MethodPost, path: "/v1/structures", token: editor,
		body: map[string]any{"name": "Feed " + randomSuffix()}})
	wantStatus(t, created, http.StatusCreated)
	id := created.json(t)["id"].(string)
	act := e.do(req{method: http.MethodPost, path: "/v1/structures/" + id + "/activities", token: editor,
		body: map[string]any{"name": "Atelier"}})
	wantStatus(t, act, http.StatusCreated)
	actID := act.json(t)["id"].(string)
	// PUT the same record back: no change, no entry.
	same := created.json(t)
	delete(same, "contacts")
	wantStatus(t, e.do(req{method: http.MethodPut, path: "/v1/structures/" + id, token: editor, body: same}), http.StatusOK)
	wantStatus(t, e.do(req{method: http.MethodDelete, path: "/v1/structures/" + id, token: editor}), http.StatusNoContent)

	got := e.pollAll(editor, after, "")
	want := []struct{ typ, id, action string }{
		{"structure", id, "upsert"}, {"activity", actID, "upsert"},
		{"structure", id, "delete"}, {"activity", actID, "delete"},
	}
	if len(got) != len(want) {
		t.Fatalf("feed = %v, want %v", got, want)
	}
	for i, w := range want {
		if got[i]["type"] != w.typ || got[i]["id"] != w.id || got[i]["action"] != w.action {
			t.Errorf("entry %d = %v, want %v", i, got[i], w)
		}
	}
	if only := e.pollAll(editor, after, "activity"); len(only) != 2 {
		t.Errorf("types=activity: %v", only)
	}

	t.Run("ErrAnonymous", func(t *testing.T) {
		r := e.do(req{method: http.MethodGet, path: "/v1/changes"})
		wantStatus(t, r, http.StatusUnauthorized)
	})
	for _, bad := range []struct{ name, query, field string }{
		{"ErrNegativeAfter", "after=-1", "after"},
		{"ErrAfterNotInteger", "after=abc", "after"},
		{"ErrLimitZero", "limit=0", "limit"},
		{"ErrLimitTooLarge", "limit=1001", "limit"},
		{"ErrUnknownType", "types=structure,widget", "types"},
		{"ErrUnknownParameter", "since=3", "since"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			r := e.do(req{method: http.MethodGet, path: "/v1/changes?" + bad.query, token: editor})
			wantStatus(t, r, http.StatusBadRequest)
			wantFields(t, r, bad.field)
		})
	}
}
