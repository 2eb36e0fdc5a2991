package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/essdir/essdir/api"
	"github.com/essdir/essdir/internal/benchdata"
	"github.com/essdir/essdir/internal/essdir"
)

// feedEnd is the seq of the last feed entry so far.
func (e *env) feedEnd() int64 {
	e.t.Helper()
	conn, err := pgx.Connect(context.Background(), testDSN)
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int64
	if err := conn.QueryRow(context.Background(), "SELECT coalesce(max(seq), 0) FROM changes").Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// bulkStructure is one bulk item of the given source.
func bulkStructure(source, externalID, name string) map[string]any {
	return map[string]any{"source": source, "external_id": externalID, "name": name,
		"legal_form": "association", "sectors": []string{"reuse"},
		"summary": "Recyclerie", "address": map[string]any{"postal_code": "21540", "city": "Sombernon"}}
}

func wantCounts(tb testing.TB, r *resp, created, updated, unchanged int) map[string]any {
	tb.Helper()
	wantStatus(tb, r, http.StatusOK)
	got := r.json(tb)
	if int(got["created"].(float64)) != created || int(got["updated"].(float64)) != updated || int(got["unchanged"].(float64)) != unchanged {
		tb.Fatalf("counts = %v/%v/%v, want %d/%d/%d", got["created"], got["updated"], got["unchanged"], created, updated, unchanged)
	}
	return got
}

func TestBulkUpsertStructures(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := "rtes-" + randomSuffix()
	items := []any{
		bulkStructure(source, "a", "La Boucle"),
		bulkStructure(source, "b", "La Marmite"),
		bulkStructure(source, "c", "Le Tiers-Lieu"),
	}
	before := e.feedEnd()
	first := wantCounts(t, e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor,
		body: map[string]any{"items": items}}), 3, 0, 0)
	results := first["items"].([]any)
	if r := results[1].(map[string]any); r["external_id"] != "b" || r["result"] != "created" {
		t.Fatalf("item 1 = %v", r)
	}
	if got := e.pollAll(editor, before, ""); len(got) != 3 {
		t.Fatalf("the feed has %d entries after 3 creates", len(got))
	}

	t.Run("SameAgainChangesNothing", func(t *testing.T) {
		before := e.feedEnd()
		again := wantCounts(t, e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor,
			body: map[string]any{"items": items}}), 0, 0, 3)
		if again["items"].([]any)[0].(map[string]any)["id"] != results[0].(map[string]any)["id"] {
			t.Error("the same key answered another id")
		}
		if e.feedEnd() != before {
			t.Error("an unchanged bulk emitted changes")
		}
	})

	t.Run("ItemReplacesAsPUT", func(t *testing.T) {
		id := results[0].(map[string]any)["id"].(string)
		wantStatus(t, e.do(req{method: http.MethodPatch, path: "/v1/structures/" + id, token: editor,
			body: map[string]any{"status": "draft"}}), http.StatusOK)
		changed := bulkStructure(source, "a", "La Boucle")
		delete(changed, "summary")
		wantCounts(t, e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor,
			body: map[string]any{"items": []any{changed}}}), 0, 1, 0)
		got := e.do(req{method: http.MethodGet, path: "/v1/structures/" + id, token: editor}).json(t)
		if _, has := got["summary"]; has || got["status"] != "draft" || !strings.HasPrefix(got["slug"].(string), "la-boucle") {
			t.Errorf("after the bulk PUT: %v", got)
		}
	})

	t.Run("NDJSON", func(t *testing.T) {
		var lines []string
		for i := range 3 {
			lines = append(lines, fmt.Sprintf(`{"source": %q, "external_id": "nd-%d", "name": "Ligne %d"}`, source, i, i))
		}
		wantCounts(t, e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor,
			contentType: "application/x-ndjson", body: strings.Join(lines, "\n") + "\n\n"}), 3, 0, 0)
		r := e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor,
			contentType: "application/x-ndjson", body: lines[0] + "\n{not json}\n"})
		wantStatus(t, r, http.StatusBadRequest)
		wantFields(t, r, "items[1]")
		// A key twice in a line is the 400 it is inside {"items": [...]}.
		r = e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor,
			contentType: "application/x-ndjson", body: lines[0] + "\n" + `{"source": "s", "name": "a", "name": "b"}` + "\n"})
		wantStatus(t, r, http.StatusBadRequest)
		wantFields(t, r, "items[1].name")
		r = e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor,
			body: `{"items": [` + lines[0] + `, {"source": "s", "name": "a", "name": "b"}]}`})
		wantStatus(t, r, http.StatusBadRequest)
		wantFields(t, r, "items[1].name")
	})

	// Each item is checked and decoded on its own: an item found
	// malformed only by its decoding is the whole body's 400, an invalid
	// one the 422, nothing written; a member name in another case (which
	// encoding/json would match) is refused; escapes in keys and values
	// read as they decode.
	t.Run("ItemFaultsFoundByDecoding", func(t *testing.T) {
		n, before := e.countStructures(), e.feedEnd()
		item := func(externalID, name, replace, with string) string {
			b, err := json.Marshal(bulkStructure(source, externalID, name))
			if err != nil {
				t.Fatal(err)
			}
			return strings.Replace(string(b), replace, with, 1)
		}
		good := item("decoded-1", "Lue d'un bloc", "", "")
		for _, bad := range []struct {
			item   string
			status int
			field  string
		}{
			// A body's syntax error is the whole body's (its offset given).
			{item("decoded-2", "x", `"name":"x"`, `"name":tru`), http.StatusBadRequest, ""},
			{item("decoded-2", "x", `"name":"x"`, `"name":"x","location":{"lat":1.2.3}`), http.StatusBadRequest, ""},
			{item("decoded-2", "x", `"name":"x"`, `"name":"x","website":"ftp://x"`), http.StatusUnprocessableEntity, "items[1].website"},
			{item("decoded-2", "x", `"sectors":["reuse"]`, `"sectors":"reuse"`), http.StatusUnprocessableEntity, "items[1].sectors"},
		} {
			r := e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor, body: `{"items": [` + good + `, ` + bad.item + `]}`})
			wantStatus(t, r, bad.status)
			if bad.field != "" {
				wantFields(t, r, bad.field)
			}
		}
		r := e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor, contentType: "application/x-ndjson",
			body: good + "\n" + item("decoded-2", "x", `"name":"x"`, `"name":tru`) + "\n"})
		wantStatus(t, r, http.StatusBadRequest)
		wantFields(t, r, "items[1]")
		if e.countStructures() != n || e.feedEnd() != before {
			t.Fatal("a refused batch wrote something")
		}
		// A member name in another case: the 422 it always was.
		r = e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor, contentType: "application/x-ndjson",
			body: good + "\n" + item("decoded-2", "Autre casse", `"name":`, `"Name":`) + "\n"})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFields(t, r, "items[1].Name")
		// Escapes, in keys and values.
		r = e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor, contentType: "application/x-ndjson",
			body: good + "\n" + item("decoded-2", "Autre", `"name":"Autre"`, `"n\u0061me":"\u00c0 l'\"envers\""`) + "\n"})
		got := wantCounts(t, r, 2, 0, 0)
		for i, want := range []struct{ name, slug string }{{"Lue d'un bloc", "lue-d-un-bloc"}, {`À l'"envers"`, "a-l-envers"}} {
			id := got["items"].([]any)[i].(map[string]any)["id"].(string)
			r := e.do(req{method: http.MethodGet, path: "/v1/structures/" + id})
			wantStatus(t, r, http.StatusOK)
			if st := r.json(t); st["name"] != want.name || !strings.HasPrefix(st["slug"].(string), want.slug) {
				t.Errorf("items[%d]: %v (%v), want %q (%s)", i, st["name"], st["slug"], want.name, want.slug)
			}
		}
	})

	t.Run("ErrOneBadItemWritesNothing", func(t *testing.T) {
		n, before := e.countStructures(), e.feedEnd()
		bad := bulkStructure(source, "bad", "Mauvais SIRET")
		bad["siret"] = "12345678901234"
		r := e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor,
			body: map[string]any{"items": []any{bulkStructure(source, "new-1", "Nouveau"), bad, bulkStructure(source, "a", "Renamed")}}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFields(t, r, "items[1].siret")
		if e.countStructures() != n || e.feedEnd() != before {
			t.Error("a refused batch wrote something")
		}
	})

	// An item whose SIRET or chosen slug another record holds, or an
	// earlier item of the batch, is named: the partner knows what to mend.
	t.Run("ErrTakenValuesNameTheirItems", func(t *testing.T) {
		siret := benchdata.SIRET(rand.Uint64(), 1)
		slug := "pris-" + strings.ToLower(uuid.NewString()[:8])
		holder := bulkStructure(source, "holder", "Détenteur")
		holder["siret"], holder["slug"] = siret, slug
		wantCounts(t, e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor,
			body: map[string]any{"items": []any{holder}}}), 1, 0, 0)
		n, before := e.countStructures(), e.feedEnd()
		sameSIRET := bulkStructure(source, "same-siret", "Même SIRET")
		sameSIRET["siret"] = siret[:3] + " " + siret[3:] // as stored: without spaces
		sameSlug := bulkStructure(source, "same-slug", "Même slug")
		sameSlug["slug"] = slug
		twiceA, twiceB := bulkStructure(source, "twice-a", "Deux fois A"), bulkStructure(source, "twice-b", "Deux fois B")
		twiceA["slug"], twiceB["slug"] = slug+"-bis", slug+"-bis"
		holder["name"] = "Détenteur renommé" // its own SIRET and slug: no conflict
		r := e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor,
			body: map[string]any{"items": []any{bulkStructure(source, "fine", "Sans souci"), sameSIRET, holder, sameSlug, twiceA, twiceB}}})
		wantStatus(t, r, http.StatusConflict)
		wantFields(t, r, "items[1].siret", "items[3].slug", "items[5].slug")
		if !strings.Contains(string(r.body), "repeats the slug of items[4]") {
			t.Errorf("the repeat is not said: %s", r.body)
		}
		if e.countStructures() != n || e.feedEnd() != before {
			t.Error("a refused batch wrote something")
		}
		// A deleted record keeps its slug: the item of its key that comes
		// back with that slug is named too.
		gone := bulkStructure(source, "gone", "Parti")
		gone["slug"] = slug + "-gone"
		created := wantCounts(t, e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor,
			body: map[string]any{"items": []any{gone}}}), 1, 0, 0)
		id := created["items"].([]any)[0].(map[string]any)["id"].(string)
		wantStatus(t, e.do(req{method: http.MethodDelete, path: "/v1/structures/" + id, token: editor}), http.StatusNoContent)
		r = e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor,
			body: map[string]any{"items": []any{gone, bulkStructure(source, "fine-2", "Sans souci 2")}}})
		wantStatus(t, r, http.StatusConflict)
		wantFields(t, r, "items[0].slug")
	})

	t.Run("ErrDuplicateKeys", func(t *testing.T) {
		r := e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor,
			body: map[string]any{"items": []any{bulkStructure(source, "d", "Un"), bulkStructure(strings.ToUpper(source), " d ", "Deux")}}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFields(t, r, "items[1].external_id")
	})

	// Items of a JSON body are checked once with the body; a member name
	// that matches a field only when case is ignored is still refused, in
	// a JSON body as in NDJSON, and in the envelope.
	t.Run("ErrNameInAnotherCase", func(t *testing.T) {
		item := `{"source": "` + source + `", "external_id": "case", "NAME": "Upper"}`
		for _, r := range []*resp{
			e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor, body: `{"items": [` + item + `]}`}),
			e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor, contentType: "application/x-ndjson", body: item + "\n"}),
		} {
			wantStatus(t, r, http.StatusUnprocessableEntity)
			wantFields(t, r, "items[0].NAME")
		}
		r := e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor, body: `{"Items": [` + item + `]}`})
		wantStatus(t, r, http.StatusBadRequest)
		r = e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor,
			body: `{"items": [{"source": "` + source + `", "external_id": "dup", "name": "A", "name": "B"}]}`})
		wantStatus(t, r, http.StatusBadRequest)
	})

	t.Run("ErrKeyRequired", func(t *testing.T) {
		r := e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor,
			body: map[string]any{"items": []any{map[string]any{"name": "Sans clé"}}}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFields(t, r, "items[0].source", "items[0].external_id")
	})

	t.Run("ErrorsCappedAt20", func(t *testing.T) {
		var many []any
		for i := range 30 {
			many = append(many, map[string]any{"source": source, "external_id": fmt.Sprintf("x%d", i), "name": "", "siret": "1"})
		}
		r := e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor, body: map[string]any{"items": many}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if p := r.json(t); len(p["errors"].([]any)) != 20 || p["errors_truncated"].(float64) != 40 {
			t.Errorf("problem = %s", r.body)
		}
	})

	t.Run("ErrTooManyItems", func(t *testing.T) {
		many := make([]any, 1001)
		for i := range many {
			many[i] = map[string]any{"source": source, "external_id": fmt.Sprint(i), "name": "x"}
		}
		r := e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor, body: map[string]any{"items": many}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFields(t, r, "items")
		// In NDJSON as in {"items": [...]}: every line is read before the
		// lines are counted, so a malformed one is the 400 it always is.
		lines := make([]string, 1001)
		for i := range lines {
			b, _ := json.Marshal(many[i])
			lines[i] = string(b)
		}
		r = e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor, contentType: "application/x-ndjson", body: strings.Join(lines, "\n")})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantFields(t, r, "items")
		lines[1000] = `{"name": x}`
		r = e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor, contentType: "application/x-ndjson", body: strings.Join(lines, "\n")})
		wantStatus(t, r, http.StatusBadRequest)
		wantFields(t, r, "items[1000]")
	})

	t.Run("ErrNotJSON", func(t *testing.T) {
		r := e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor, contentType: "text/csv", body: "name\nx\n"})
		wantStatus(t, r, http.StatusUnsupportedMediaType)
	})

	t.Run("ErrAnonymous", func(t *testing.T) {
		r := e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", body: map[string]any{"items": items}})
		wantStatus(t, r, http.StatusUnauthorized)
	})

	t.Run("BodyOverOneMiB", func(t *testing.T) {
		var big []any
		for i := range 1000 {
			it := map[string]any{"source": source, "external_id": fmt.Sprintf("big-%d", i), "name": fmt.Sprintf("Grande %d", i),
				"description": strings.Repeat("Une description assez longue. ", 50)}
			big = append(big, it)
		}
		wantCounts(t, e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor,
			body: map[string]any{"items": big}}), 1000, 0, 0)
	})
}

// TestBulkChosenAndDerivedSlugs: an item's derived slug skips the slug
// another new item of the batch chose, as single writes of the same
// records in either order would (it was a 409 for the whole batch).
func TestBulkChosenAndDerivedSlugs(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	for n, ndjson := range []bool{false, true} {
		for order := range 2 {
			source := "slugs-" + randomSuffix()
			tag := strings.ToLower(randomSuffix())
			chosen := bulkStructure(source, "one", "Eta One "+tag)
			chosen["slug"] = "eta-two-" + tag
			derived := bulkStructure(source, "two", "Eta Two "+tag)
			items := []any{chosen, derived}
			if order == 1 {
				items = []any{derived, chosen}
			}
			r := req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor, body: map[string]any{"items": items}}
			if ndjson {
				lines := make([]string, len(items))
				for i, it := range items {
					b, _ := json.Marshal(it)
					lines[i] = string(b)
				}
				r.contentType, r.body = "application/x-ndjson", strings.Join(lines, "\n")+"\n"
			}
			got := wantCounts(t, e.do(r), 2, 0, 0)
			slugs := map[string]string{}
			for _, it := range got["items"].([]any) {
				it := it.(map[string]any)
				slugs[it["external_id"].(string)] = e.do(req{method: http.MethodGet, path: "/v1/structures/" + it["id"].(string), token: editor}).json(t)["slug"].(string)
			}
			if slugs["one"] != "eta-two-"+tag || slugs["two"] != "eta-two-"+tag+"-2" {
				t.Errorf("format %d, order %d: slugs %v, want the chosen eta-two-%s and the derived eta-two-%s-2", n, order, slugs, tag, tag)
			}
		}
	}
}

func TestBulkBodyLimit(t *testing.T) {
	e := newEnv(t, func(o *api.Options) { o.BulkBodyLimit = 2048 })
	editor := e.user(essdir.RoleEditor)
	items := []any{}
	for i := range 30 {
		items = append(items, bulkStructure("limit", fmt.Sprint(i), "Trop"))
	}
	r := e.do(req{method: http.MethodPost, path: "/v1/structures/bulk", token: editor, body: map[string]any{"items": items}})
	wantStatus(t, r, http.StatusRequestEntityTooLarge)
}

func TestBulkUpsertEvents(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := "agenda-" + randomSuffix()
	items := []any{
		map[string]any{"source": source, "external_id": "forum", "title": "Forum ESS",
			"starts_at": "2024-11-28T14:00:00+01:00", "ends_at": "2024-11-28T18:00:00+01:00"},
		map[string]any{"source": source, "external_id": "atelier", "title": "Atelier",
			"starts_at": "2024-12-02T09:00:00+01:00", "ends_at": "2024-12-02T12:00:00+01:00", "status": "cancelled"},
	}
	wantCounts(t, e.do(req{method: http.MethodPost, path: "/v1/events/bulk", token: editor, body: map[string]any{"items": items}}), 2, 0, 0)
	before := e.feedEnd()
	wantCounts(t, e.do(req{method: http.MethodPost, path: "/v1/events/bulk", token: editor, body: map[string]any{"items": items}}), 0, 0, 2)
	if e.feedEnd() != before {
		t.Error("an unchanged bulk emitted changes")
	}
	bad := map[string]any{"source": source, "external_id": "x", "title": "Bad",
		"starts_at": "2024-12-02T12:00:00+01:00", "ends_at": "2024-12-02T09:00:00+01:00"}
	r := e.do(req{method: http.MethodPost, path: "/v1/events/bulk", token: editor, body: map[string]any{"items": []any{items[0], bad}}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(string(r.body), `"items[1].ends_at"`) {
		t.Errorf("problem = %s", r.body)
	}
}
