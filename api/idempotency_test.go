package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/essdir/essdir/internal/essdir"
)

func keyed(token, key string, body any) req {
	return req{method: "POST", path: "/v1/structures", token: token, body: body, headers: map[string]string{"Idempotency-Key": key}}
}

func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	key := "key-" + randomSuffix()
	body := champ(newSource("idem"))

	first := e.do(keyed(editor, key, body))
	wantStatus(t, first, http.StatusCreated)
	before := e.countStructures()

	t.Run("ReplaySameBody", func(t *testing.T) {
		again := e.do(keyed(editor, key, body))
		wantStatus(t, again, http.StatusCreated)
		if string(again.body) != string(first.body) || again.header.Get("Location") != first.header.Get("Location") ||
			again.header.Get("ETag") != first.header.Get("ETag") || again.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay differs:\n%s %v\n%s %v", first.body, first.header, again.body, again.header)
		}
		if n := e.countStructures(); n != before {
			t.Errorf("a replay wrote a structure: %d, were %d", n, before)
		}
	})
	t.Run("ReplaySameContentReencoded", func(t *testing.T) {
		// The same object with its members in another order and other white
		// space: the same request.
		var members []string
		for k, v := range body {
			b, _ := json.Marshal(v)
			members = append(members, fmt.Sprintf("%q :\n %s", k, b))
		}
		slices.Reverse(members)
		again := e.do(keyed(editor, key, "{ "+strings.Join(members, " ,\t")+" }"))
		wantStatus(t, again, http.StatusCreated)
		if again.header.Get("Idempotent-Replayed") != "true" || string(again.body) != string(first.body) {
			t.Errorf("re-encoded body not replayed: %v %s", again.header, again.body)
		}
	})
	t.Run("AmbiguousBodyIsNotItsLastReading", func(t *testing.T) {
		// A body with a key twice is refused (400), and is not the same
		// request as the body of its last reading: no answer is shared.
		k := "dup-" + randomSuffix()
		r := e.do(req{method: "POST", path: "/v1/structures/bulk", token: editor, body: `{"items": [], "items": []}`,
			headers: map[string]string{"Idempotency-Key": k}})
		wantStatus(t, r, http.StatusBadRequest)
		r = e.do(req{method: "POST", path: "/v1/structures/bulk", token: editor, body: `{"items": []}`,
			headers: map[string]string{"Idempotency-Key": k}})
		if r.status == http.StatusBadRequest || r.header.Get("Idempotent-Replayed") == "true" {
			t.Errorf("the fixed body got the ambiguous one's answer: %d %v %s", r.status, r.header, r.body)
		}
	})
	t.Run("ErrOtherBody", func(t *testing.T) {
		other := champ(newSource("idem"))
		other["name"] = "Autre"
		wantStatus(t, e.do(keyed(editor, key, other)), http.StatusUnprocessableEntity)
	})
	t.Run("ScopedToCaller", func(t *testing.T) {
		// Another caller's same key runs its own request.
		r := e.do(keyed(e.user(essdir.RoleEditor), key, champ(newSource("idem"))))
		wantStatus(t, r, http.StatusCreated)
		if r.json(t)["id"] == first.json(t)["id"] {
			t.Error("another caller got the first caller's answer")
		}
	})
	t.Run("TokenEndpointIgnoresIt", func(t *testing.T) {
		for range 2 {
			r := e.do(req{method: "POST", path: "/v1/auth/token", body: "grant_type=password&username=a%40b.c&password=x", contentType: formCT,
				headers: map[string]string{"Idempotency-Key": key}})
			wantStatus(t, r, http.StatusBadRequest)
		}
	})
	t.Run("ErrBadKey", func(t *testing.T) {
		wantStatus(t, e.do(keyed(editor, "a key with spaces", body)), http.StatusBadRequest)
	})
}

// TestIdempotencyConcurrentDuplicate holds a lock that the first request
// waits on; its duplicate, sent meanwhile, is a 409, and once the first is
// done the key replays its answer.
func TestIdempotencyConcurrentDuplicate(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	key := "key-" + randomSuffix()
	body := champ(newSource("conc"))

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE structures IN EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	done := make(chan *resp, 1)
	go func() { done <- e.do(keyed(editor, key, body)) }()
	// Wait until the first request holds its claim.
	for deadline := time.Now().Add(10 * time.Second); ; {
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM idempotency_keys WHERE key = $1", key).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first request never claimed its key")
		}
		time.Sleep(20 * time.Millisecond)
	}
	dup := e.do(keyed(editor, key, body))
	wantStatus(t, dup, http.StatusConflict)
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	first := <-done
	wantStatus(t, first, http.StatusCreated)
	replay := e.do(keyed(editor, key, body))
	wantStatus(t, replay, http.StatusCreated)
	if string(replay.body) != string(first.body) {
		t.Errorf("replay differs from the first answer")
	}
}
