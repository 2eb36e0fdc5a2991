package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/essdir/essdir/api"
	"github.com/essdir/essdir/internal/essdir"
)

// TestListFromViewCache: a structures list answered from the cache of
// encoded views is the list answered without it, byte for byte, and never
// staler than the table: a change through the API or behind its back shows
// at once, and editors' views (contacts) never reach anonymous callers.
func TestListFromViewCache(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := newSource("viewcache")
	var ids []string
	for _, name := range []string{"Atelier <vélo> & Co", "Bricothèque", "Café \"Solidaire\"", "Droguerie", "Épicerie", "Friperie"} {
		s := champ(source)
		s["name"] = name
		ids = append(ids, e.create(editor, s)["id"].(string))
	}
	list := "/v1/structures?source=" + source + "&limit=4"
	get := func(token, path string) *resp {
		t.Helper()
		r := e.do(req{method: "GET", path: path, token: token})
		wantStatus(t, r, http.StatusOK)
		return r
	}
	// walk reads every page of the list, and checks each body is the
	// canonical encoding of what it holds (what encoding/json writes).
	walk := func(token string) (bodies []string) {
		t.Helper()
		for path := list; path != ""; {
			r := get(token, path)
			var page api.StructureList
			if err := json.Unmarshal(r.body, &page); err != nil {
				t.Fatal(err)
			}
			canonical, err := json.Marshal(page)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(r.body, canonical) {
				t.Fatalf("the body is not what encoding/json writes:\n%s\n%s", r.body, canonical)
			}
			bodies = append(bodies, string(r.body)+" "+r.header.Get("ETag"))
			path = ""
			if page.Meta.NextCursor != "" {
				path = list + "&cursor=" + page.Meta.NextCursor
			}
		}
		return bodies
	}

	cold := walk("")
	if len(cold) != 2 || !strings.Contains(cold[0], "Atelier \\u003cvélo\\u003e \\u0026 Co") {
		t.Fatalf("pages = %v", cold)
	}
	for round := 0; round < 2; round++ { // warm: every row but each page's last comes from the cache
		if warm := walk(""); strings.Join(warm, "\n") != strings.Join(cold, "\n") {
			t.Fatalf("warm pages differ from cold ones:\n%v\n%v", warm, cold)
		}
	}
	// A text search (which may read twice before it answers) and a sort.
	for _, q := range []string{"&q=florale", "&sort=-updated_at"} {
		list += q
		first := walk("")
		if len(first) != 2 {
			t.Fatalf("%s: pages = %v", q, first)
		}
		if again := walk(""); strings.Join(again, "\n") != strings.Join(first, "\n") {
			t.Fatalf("%s: warm pages differ from cold ones:\n%v\n%v", q, again, first)
		}
		list = strings.TrimSuffix(list, q)
	}

	// Editors see contacts, anonymous callers never, whoever warmed the cache.
	for _, token := range []string{editor, "", editor, ""} {
		for _, b := range walk(token) {
			if got, want := strings.Contains(b, `"contacts"`), token != ""; got != want {
				t.Fatalf("contacts shown = %v for token %q", got, token)
			}
		}
	}

	// A change through the API (a new version) shows at once.
	r := e.do(req{method: "PATCH", path: "/v1/structures/" + ids[1], token: editor,
		body: map[string]any{"summary": "Outils en prêt"}, contentType: "application/merge-patch+json"})
	wantStatus(t, r, http.StatusOK)
	if b := walk("")[0]; !strings.Contains(b, "Outils en prêt") {
		t.Fatalf("the patched summary is missing: %s", b)
	}
	// So does one made behind the API's back, without a new version.
	conn, err := pgx.Connect(context.Background(), testDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "UPDATE structures SET summary = 'Changé en base' WHERE id = $1", ids[2]); err != nil {
		t.Fatal(err)
	}
	if b := walk("")[0]; !strings.Contains(b, "Changé en base") {
		t.Fatalf("the summary changed in the table is missing: %s", b)
	}
}
