package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/essdir/essdir/internal/auth"
	"github.com/essdir/essdir/internal/pgtest"
	"github.com/essdir/essdir/migrations"
)

var testDSN string

func TestMain(m *testing.M) {
	auth.BcryptCost = 4
	os.Exit(pgtest.Run(m, &testDSN))
}

func testEnv(extra map[string]string) func(string) string {
	vars := map[string]string{
		"ESSDIR_DATABASE_URL": testDSN,
		"ESSDIR_JWT_SECRET":   "cli-test-secret-cli-test-secret-cli!",
		"ESSDIR_ADDR":         "127.0.0.1:0",
	}
	for k, v := range extra {
		vars[k] = v
	}
	return func(k string) string { return vars[k] }
}

// newDatabaseURL names a database of the test's own that does not exist
// yet (essdir creates it, as on a fresh machine), dropped when the test ends.
func newDatabaseURL(t *testing.T, prefix string) string {
	t.Helper()
	name := prefix + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), pgtest.AdminURL())
		if err == nil {
			_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			conn.Close(context.Background())
		}
	})
	return strings.Replace(testDSN, testDSN[strings.LastIndex(testDSN, "/")+1:strings.Index(testDSN, "?")], name, 1)
}

func runCLI(t *testing.T, getenv func(string) string, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, getenv, strings.NewReader(stdin), &out, &errOut)
	return out.String() + errOut.String(), err
}

func TestCommands(t *testing.T) {
	if out, err := runCLI(t, testEnv(nil), "", "version"); err != nil || !strings.HasPrefix(out, "essdir ") {
		t.Errorf("version: %q, %v", out, err)
	}
	if _, err := runCLI(t, testEnv(nil), ""); err == nil {
		t.Error("no command accepted")
	}
	if _, err := runCLI(t, testEnv(nil), "", "frobnicate"); err == nil {
		t.Error("unknown command accepted")
	}
	if _, err := runCLI(t, testEnv(nil), "", "migrate", "sideways"); err == nil {
		t.Error("unknown migrate command accepted")
	}
	out, err := runCLI(t, testEnv(nil), "", "migrate", "status")
	if err != nil || !regexp.MustCompile(`00001_init\.sql\s+applied`).MatchString(out) {
		t.Errorf("migrate status: %q, %v", out, err)
	}
}

// TestMigrateDownUp runs the migrations both ways on a database of its own,
// which the command creates because it is missing.
func TestMigrateDownUp(t *testing.T) {
	dsn := newDatabaseURL(t, "essdir_migrate_")
	getenv := testEnv(map[string]string{"ESSDIR_DATABASE_URL": dsn})
	files, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil || len(files) < 2 {
		t.Fatalf("migrations: %v %v", files, err)
	}
	first, last := regexp.QuoteMeta(files[0]), regexp.QuoteMeta(files[len(files)-1])
	steps := []struct {
		args []string
		want *regexp.Regexp
	}{
		{[]string{"migrate", "status"}, regexp.MustCompile(first + `\s+pending`)},
		{[]string{"migrate", "up"}, regexp.MustCompile(`(?s)migrated up ` + first + `.*loaded the geography`)},
		{[]string{"migrate", "down"}, regexp.MustCompile(`migrated down ` + last)},
		{[]string{"migrate", "status"}, regexp.MustCompile(last + `\s+pending`)},
		{[]string{"migrate"}, regexp.MustCompile(`migrated up ` + last)},
	}
	// Then every migration down, newest first, and the schema is empty.
	for i := len(files) - 1; i >= 0; i-- {
		steps = append(steps, struct {
			args []string
			want *regexp.Regexp
		}{[]string{"migrate", "down"}, regexp.MustCompile(`migrated down ` + regexp.QuoteMeta(files[i]))})
	}
	steps = append(steps, struct {
		args []string
		want *regexp.Regexp
	}{[]string{"migrate", "status"}, regexp.MustCompile(first + `\s+pending`)})
	for _, step := range steps {
		out, err := runCLI(t, getenv, "", step.args...)
		if err != nil || !step.want.MatchString(out) {
			t.Fatalf("%v: %q, %v", step.args, out, err)
		}
	}
}

func TestServeRefusesBadConfig(t *testing.T) {
	_, err := runCLI(t, testEnv(map[string]string{"ESSDIR_JWT_SECRET": "too-short"}), "", "serve")
	if err == nil || !strings.Contains(err.Error(), "ESSDIR_JWT_SECRET") {
		t.Errorf("serve with a short secret: %v", err)
	}
}

func TestUserCreate(t *testing.T) {
	email := "admin-" + uuid.NewString()[:8] + "@example.org"
	out, err := runCLI(t, testEnv(nil), "a long admin password\n", "user", "create", "--email", email, "--role", "admin")
	if err != nil {
		t.Fatal(err, out)
	}
	var created map[string]string
	if err := json.Unmarshal([]byte(out), &created); err != nil || created["email"] != email || created["role"] != "admin" {
		t.Errorf("user create printed %q", out)
	}
	tests := []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"ErrDuplicate", "another long password\n", []string{"--email", strings.ToUpper(email), "--role", "editor"}, "already exists"},
		{"ErrShortPassword", "short\n", []string{"--email", "x-" + email, "--role", "editor"}, "at least 12"},
		{"ErrBadRole", "a long enough password\n", []string{"--email", "y-" + email, "--role", "root"}, "usage"},
		{"ErrBadEmail", "a long enough password\n", []string{"--email", "not-an-email", "--role", "editor"}, "e-mail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := runCLI(t, testEnv(nil), tt.stdin, append([]string{"user", "create"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestServeGracefulShutdown starts the real server, begins a request, asks
// the server to stop, and checks that readiness turns 503 while the request
// in flight still gets its answer.
func TestServeGracefulShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncBuffer{}
	done := make(chan error, 1)
	getenv := testEnv(map[string]string{"ESSDIR_DRAIN_DELAY": "1s", "ESSDIR_SHUTDOWN_TIMEOUT": "10s"})
	go func() { done <- run(ctx, []string{"serve"}, getenv, nil, io.Discard, logs) }()

	addrRe := regexp.MustCompile(`"msg":"listening","addr":"([^"]+)"`)
	var base string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := addrRe.FindStringSubmatch(logs.String()); m != nil {
			base = "http://" + m[1]
			break
		}
	}
	if base == "" {
		t.Fatalf("the server did not start:\n%s", logs.String())
	}
	client := &http.Client{Timeout: 10 * time.Second}
	if r, err := client.Get(base + "/readyz"); err != nil || r.StatusCode != 200 {
		t.Fatalf("readyz before shutdown: %v %v", r, err)
	}
	if r, err := client.Get(base + "/metrics"); err != nil {
		t.Fatal(err)
	} else {
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		for _, want := range []string{`go_sql_open_connections{db_name="essdir"}`, `essdir_http_requests_total{method="GET",route="/readyz",status="200"} 1`} {
			if !strings.Contains(string(b), want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	}

	// A request whose body is still arriving when the shutdown starts.
	pr, pw := io.Pipe()
	type result struct {
		status int
		body   string
		err    error
	}
	inflight := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest("POST", base+"/v1/auth/token", pr)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r, err := client.Do(req)
		if err != nil {
			inflight <- result{err: err}
			return
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		inflight <- result{status: r.StatusCode, body: string(b)}
	}()
	if _, err := pw.Write([]byte("grant_type=password&username=nobody%40example.org")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	cancel() // what SIGTERM does in main

	sawDraining := false
	for deadline := time.Now().Add(900 * time.Millisecond); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		r, err := client.Get(base + "/readyz")
		if err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusServiceUnavailable {
				sawDraining = true
				break
			}
		}
	}
	if !sawDraining {
		t.Error("readyz never answered 503 while draining")
	}
	time.Sleep(1200 * time.Millisecond) // past the drain delay: Shutdown is waiting for us
	if _, err := pw.Write([]byte("&password=whatever")); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	res := <-inflight
	if res.err != nil || res.status != http.StatusBadRequest || !strings.Contains(res.body, "invalid_grant") {
		t.Errorf("in-flight request: %+v", res)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not return after shutdown")
	}
	if _, err := client.Get(base + "/healthz"); err == nil || errors.Is(err, context.Canceled) {
		t.Error("the server still accepts connections after shutdown")
	}
	if !strings.Contains(logs.String(), `"msg":"stopped"`) {
		t.Errorf("no stop log:\n%s", logs.String())
	}
}

// TestSeedDemo: `essdir seed demo` loads the forum's records into a fresh
// database with no other step, and a second run changes nothing.
func TestSeedDemo(t *testing.T) {
	dsn := newDatabaseURL(t, "essdir_seed_")
	getenv := testEnv(map[string]string{"ESSDIR_DATABASE_URL": dsn})
	out, err := runCLI(t, getenv, "", "seed", "demo")
	if err != nil || !regexp.MustCompile(`demo data: \d{2} created, 0 updated, 0 unchanged`).MatchString(out) {
		t.Fatalf("first run: %q, %v", out, err)
	}
	out, err = runCLI(t, getenv, "", "seed", "demo")
	if err != nil || !regexp.MustCompile(`demo data: 0 created, 0 updated, \d{2} unchanged`).MatchString(out) {
		t.Fatalf("second run: %q, %v", out, err)
	}
	if _, err := runCLI(t, getenv, "", "seed", "everything"); err == nil {
		t.Error("an unknown data set was accepted")
	}
}

// TestServeRefusesAnOlderSchema: told not to migrate, serve still refuses a
// database whose schema is older than its migrations (the change feed's
// order relies on 00013's trigger, for one), rather than serve it.
func TestServeRefusesAnOlderSchema(t *testing.T) {
	getenv := testEnv(map[string]string{"ESSDIR_DATABASE_URL": newDatabaseURL(t, "essdir_schema_")})
	if out, err := runCLI(t, getenv, "", "migrate", "up"); err != nil {
		t.Fatalf("migrate up: %v\n%s", err, out)
	}
	if out, err := runCLI(t, getenv, "", "migrate", "down"); err != nil {
		t.Fatalf("migrate down: %v\n%s", err, out)
	}
	// Were it to serve, it would until the context ends, then stop cleanly.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := run(ctx, []string{"serve", "--no-migrate"}, getenv, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "essdir migrate up") {
		t.Fatalf("serve --no-migrate on an older schema: %v", err)
	}
}
