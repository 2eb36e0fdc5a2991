package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/essdir/essdir/internal/essdir"
)

// collectivity creates a collectivity, or finds the live one of that kind
// and code when an earlier test of the package made it (codes are unique
// per kind), and returns its id.
func (e *env) collectivity(token string, body map[string]any) string {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/v1/collectivities", token: token, body: body})
	if r.status == http.StatusConflict {
		q := url.Values{"kind": {body["kind"].(string)}}
		if code, ok := body["insee_code"].(string); ok {
			q.Set("insee_code", code)
		}
		list := e.do(req{method: "GET", path: "/v1/collectivities?" + q.Encode()})
		wantStatus(e.t, list, http.StatusOK)
		return list.json(e.t)["data"].([]any)[0].(map[string]any)["id"].(string)
	}
	wantStatus(e.t, r, http.StatusCreated)
	return r.json(e.t)["id"].(string)
}

// otherCollectivity is a public body with no official code, unique to the test.
func (e *env) otherCollectivity(token, name string) string {
	e.t.Helper()
	return e.collectivity(token, map[string]any{"name": name + " " + randomSuffix(), "kind": "other"})
}

// longvicLand is the Ville de Longvic's support of Le Champ des Sourires:
// communal land by rural lease and works.
func longvicLand(structureID, collectivityID string) map[string]any {
	return map[string]any{
		"structure_id": structureID, "collectivity_id": collectivityID,
		"support_kinds": []string{"land", "works"},
		"description":   "Mise à disposition d'un terrain communal par bail rural, travaux de viabilisation",
		"amount_eur":    "15000", "start_date": "2024-01-01", "end_date": "2026-12-31",
	}
}

func (e *env) createLink(token string, body map[string]any) map[string]any {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/v1/collectivity-links", token: token, body: body})
	wantStatus(e.t, r, http.StatusCreated)
	return r.json(e.t)
}

// wantNoOpPut sends back what an editor GOT and checks that nothing
// changed: same version, same ETag.
func (e *env) wantNoOpPut(tb testing.TB, path, token string, version int) {
	tb.Helper()
	got := e.do(req{method: "GET", path: path, token: token})
	same := e.do(req{method: "PUT", path: path, token: token, body: got.body})
	wantStatus(tb, same, http.StatusOK)
	if same.json(tb)["version"] != float64(version) || same.header.Get("ETag") != got.header.Get("ETag") {
		tb.Errorf("a PUT of the GET body changed the record: %s", same.body)
	}
}

func count(tb testing.TB, r *resp) int {
	tb.Helper()
	wantStatus(tb, r, http.StatusOK)
	return len(r.json(tb)["data"].([]any))
}

func TestCollectivityLinkCRUD(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := newSource("links")
	sid := e.create(editor, champ(source))["id"].(string)
	other := e.create(editor, champ(source))["id"].(string)
	longvic := e.collectivity(editor, map[string]any{"name": "Ville de Longvic", "kind": "commune", "insee_code": "21355"})

	r := e.do(req{method: "POST", path: "/v1/collectivity-links", token: editor, body: longvicLand(sid, longvic)})
	wantStatus(t, r, http.StatusCreated)
	link := r.json(t)
	path := "/v1/collectivity-links/" + link["id"].(string)
	if r.header.Get("Location") != path || link["amount_eur"] != "15000.00" || link["start_date"] != "2024-01-01" ||
		link["end_date"] != "2026-12-31" || link["version"] != float64(1) {
		t.Fatalf("created %s", r.body)
	}

	t.Run("GetAndNotModified", func(t *testing.T) {
		got := e.do(req{method: "GET", path: path})
		wantStatus(t, got, http.StatusOK)
		wantStatus(t, e.do(req{method: "GET", path: path, headers: map[string]string{"If-None-Match": got.header.Get("ETag")}}), http.StatusNotModified)
	})
	t.Run("PutOfGetBodyChangesNothing", func(t *testing.T) { e.wantNoOpPut(t, path, editor, 1) })
	t.Run("PatchWithIfMatch", func(t *testing.T) {
		etag := e.do(req{method: "GET", path: path}).header.Get("ETag")
		r := e.do(req{method: "PATCH", path: path, token: editor, contentType: "application/merge-patch+json",
			headers: map[string]string{"If-Match": etag}, body: `{"amount_eur": "15000.5", "end_date": null}`})
		wantStatus(t, r, http.StatusOK)
		if got := r.json(t); got["amount_eur"] != "15000.50" || got["end_date"] != nil || got["version"] != float64(2) {
			t.Errorf("after the patch: %s", r.body)
		}
		stale := e.do(req{method: "PATCH", path: path, token: editor, headers: map[string]string{"If-Match": etag}, body: `{"description": "x"}`})
		wantStatus(t, stale, http.StatusPreconditionFailed)
		wantStatus(t, e.do(req{method: "DELETE", path: path, token: editor, headers: map[string]string{"If-Match": etag}}), http.StatusPreconditionFailed)
	})
	t.Run("Lists", func(t *testing.T) {
		for query, want := range map[string]int{
			"structure_id=" + sid:                                                               1,
			"structure_id=" + sid + "&support_kind=land":                                        1,
			"structure_id=" + sid + "&support_kind=staff":                                       0,
			"structure_id=" + sid + "&collectivity_id=" + longvic + "&updated_since=2024-01-01": 1,
			"structure_id=" + sid + "&updated_since=2999-01-01":                                 0,
		} {
			if n := count(t, e.do(req{method: "GET", path: "/v1/collectivity-links?" + query})); n != want {
				t.Errorf("%s: %d links, want %d", query, n, want)
			}
		}
		if n := count(t, e.do(req{method: "GET", path: "/v1/structures/" + sid + "/collectivity-links"})); n != 1 {
			t.Errorf("the structure's list has %d links", n)
		}
		if n := count(t, e.do(req{method: "GET", path: "/v1/collectivities/" + longvic + "/collectivity-links?structure_id=" + sid})); n != 1 {
			t.Errorf("the collectivity's list has %d links", n)
		}
		r := e.do(req{method: "GET", path: "/v1/structures?collectivity_id=" + longvic + "&source=" + source})
		if n := count(t, r); n != 1 || strings.Contains(string(r.body), other) {
			t.Errorf("collectivity_id matched %d structures: %s", n, r.body)
		}
	})
	t.Run("WritesNeedAnEditor", func(t *testing.T) {
		wantStatus(t, e.do(req{method: "POST", path: "/v1/collectivity-links", body: longvicLand(sid, longvic)}), http.StatusUnauthorized)
		wantStatus(t, e.do(req{method: "DELETE", path: path}), http.StatusUnauthorized)
	})
	t.Run("Delete", func(t *testing.T) {
		wantStatus(t, e.do(req{method: "DELETE", path: path, token: editor}), http.StatusNoContent)
		wantStatus(t, e.do(req{method: "GET", path: path, token: editor}), http.StatusNotFound)
		if n := count(t, e.do(req{method: "GET", path: "/v1/collectivity-links?structure_id=" + sid})); n != 0 {
			t.Errorf("a deleted link is still listed")
		}
	})
}

func TestCollectivityLinkInvalid(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	sid := e.create(editor, champ(newSource("badlinks")))["id"].(string)
	cid := e.otherCollectivity(editor, "Syndicat")
	missing := "0190f0f0-0000-7000-8000-000000000001"
	for _, tc := range []struct {
		name   string
		edit   func(map[string]any)
		status int
		fields []string
	}{
		{"ErrUnknownReferences", func(m map[string]any) {
			m["structure_id"], m["collectivity_id"], m["support_scheme_id"] = missing, missing, missing
		}, 422, []string{"structure_id", "collectivity_id", "support_scheme_id"}},
		{"ErrStructureRequired", func(m map[string]any) { delete(m, "structure_id") }, 422, []string{"structure_id"}},
		{"ErrNilUUIDIsNoReference", func(m map[string]any) { m["support_scheme_id"] = "00000000-0000-0000-0000-000000000000" }, 422, []string{"support_scheme_id"}},
		{"ErrEndBeforeStart", func(m map[string]any) { m["end_date"] = "2023-12-31" }, 422, []string{"end_date"}},
		{"ErrDateFormat", func(m map[string]any) { m["start_date"] = "01/01/2024" }, 422, []string{"start_date"}},
		{"ErrTimestampForDate", func(m map[string]any) { m["start_date"] = "2024-01-01T00:00:00Z" }, 422, []string{"start_date"}},
		{"ErrNoSuchDay", func(m map[string]any) { m["end_date"] = "2025-02-30" }, 422, []string{"end_date"}},
		{"ErrAmountNumber", func(m map[string]any) { m["amount_eur"] = 15000 }, 400, []string{"amount_eur"}},
		{"ErrAmountNegative", func(m map[string]any) { m["amount_eur"] = "-1.00" }, 422, []string{"amount_eur"}},
		{"ErrAmountThreeDecimals", func(m map[string]any) { m["amount_eur"] = "10.005" }, 422, []string{"amount_eur"}},
		{"ErrAmountComma", func(m map[string]any) { m["amount_eur"] = "10,50" }, 422, []string{"amount_eur"}},
		{"ErrAmountTooLarge", func(m map[string]any) { m["amount_eur"] = "1234567890123" }, 422, []string{"amount_eur"}},
		{"ErrSupportKind", func(m map[string]any) { m["support_kinds"] = []string{"land", "money"} }, 422, []string{"support_kinds[1]"}},
		{"ErrUnknownField", func(m map[string]any) { m["amount"] = "1" }, 400, []string{"amount"}},
		{"ErrIDOnCreate", func(m map[string]any) { m["id"] = missing }, 422, []string{"id"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := longvicLand(sid, cid)
			tc.edit(in)
			r := e.do(req{method: "POST", path: "/v1/collectivity-links", token: editor, body: in})
			wantStatus(t, r, tc.status)
			wantFields(t, r, tc.fields...)
		})
	}
	if n := count(t, e.do(req{method: "GET", path: "/v1/collectivity-links?structure_id=" + sid})); n != 0 {
		t.Errorf("a refused link was stored")
	}
	for _, q := range []string{"structure=" + sid, "structure_id=champ", "support_kind=money", "sort=start_date",
		"updated_since=yesterday", "limit=101"} {
		t.Run("Err400/"+q, func(t *testing.T) {
			wantStatus(t, e.do(req{method: "GET", path: "/v1/collectivity-links?" + q}), http.StatusBadRequest)
		})
	}
	wantStatus(t, e.do(req{method: "GET", path: "/v1/collectivities/" + missing + "/collectivity-links"}), http.StatusNotFound)
	wantStatus(t, e.do(req{method: "GET", path: "/v1/structures/" + missing + "/collectivity-links"}), http.StatusNotFound)
}

// TestCollectivityLinkVisibility: the link of a structure that is not
// published is reached through no path by anonymous callers; editors see it.
func TestCollectivityLinkVisibility(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := newSource("linkvis")
	draft := champ(source)
	draft["status"] = "draft"
	sid := e.create(editor, draft)["id"].(string)
	cid := e.otherCollectivity(editor, "Communauté de communes")
	link := e.createLink(editor, longvicLand(sid, cid))
	path := "/v1/collectivity-links/" + link["id"].(string)

	paths := []string{path, "/v1/structures/" + sid + "/collectivity-links"}
	for _, p := range paths {
		wantStatus(t, e.do(req{method: "GET", path: p}), http.StatusNotFound)
		wantStatus(t, e.do(req{method: "GET", path: p, token: editor}), http.StatusOK)
	}
	lists := []string{"/v1/collectivity-links?collectivity_id=" + cid, "/v1/collectivities/" + cid + "/collectivity-links",
		"/v1/collectivity-links?structure_id=" + sid}
	for _, p := range lists {
		if n := count(t, e.do(req{method: "GET", path: p})); n != 0 {
			t.Errorf("anonymous %s shows the draft's link", p)
		}
		if n := count(t, e.do(req{method: "GET", path: p, token: editor})); n != 1 {
			t.Errorf("editor %s shows %d links", p, n)
		}
	}
	if r := e.do(req{method: "GET", path: "/v1/structures?collectivity_id=" + cid}); strings.Contains(string(r.body), sid) {
		t.Errorf("the structure filter shows the draft to anonymous callers")
	}
	if n := count(t, e.do(req{method: "GET", path: "/v1/structures?status=draft&collectivity_id=" + cid, token: editor})); n != 1 {
		t.Errorf("collectivity_id finds %d structures for an editor", n)
	}

	// Published, the link appears to everyone; deleted, the structure takes it along.
	e.do(req{method: "PATCH", path: "/v1/structures/" + sid, token: editor, body: `{"status": "published"}`})
	wantStatus(t, e.do(req{method: "GET", path: path}), http.StatusOK)
	if n := count(t, e.do(req{method: "GET", path: "/v1/collectivities/" + cid + "/collectivity-links"})); n != 1 {
		t.Errorf("after publication the collectivity lists %d links", n)
	}
	wantStatus(t, e.do(req{method: "DELETE", path: "/v1/structures/" + sid, token: editor}), http.StatusNoContent)
	wantStatus(t, e.do(req{method: "GET", path: path, token: editor}), http.StatusNotFound)
	if n := count(t, e.do(req{method: "GET", path: "/v1/collectivities/" + cid + "/collectivity-links", token: editor})); n != 0 {
		t.Errorf("a deleted structure's link is still listed")
	}
}

// TestCollectivityDeleteWhileLinked: a collectivity that a live link names
// cannot be deleted (409 naming the links); once the link is gone it can.
func TestCollectivityDeleteWhileLinked(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	sid := e.create(editor, champ(newSource("colldel")))["id"].(string)
	cid := e.otherCollectivity(editor, "DRAAF")
	link := e.createLink(editor, longvicLand(sid, cid))

	r := e.do(req{method: "DELETE", path: "/v1/collectivities/" + cid, token: editor})
	wantStatus(t, r, http.StatusConflict)
	if detail, _ := r.json(t)["detail"].(string); !strings.Contains(detail, "1 collectivity links") {
		t.Errorf("the 409 does not name the links: %s", r.body)
	}
	if !strings.Contains(string(r.body), link["id"].(string)) {
		t.Errorf("the 409 does not name the link that blocks the delete: %s", r.body)
	}
	wantStatus(t, e.do(req{method: "DELETE", path: "/v1/collectivity-links/" + link["id"].(string), token: editor}), http.StatusNoContent)
	wantStatus(t, e.do(req{method: "DELETE", path: "/v1/collectivities/" + cid, token: editor}), http.StatusNoContent)
}
