package api_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/essdir/essdir/internal/store"
)

// pgProxy is a TCP proxy between essdir and PostgreSQL that a test can cut
// (every connection closed, new ones refused) and restore.
type pgProxy struct {
	ln    net.Listener
	mu    sync.Mutex
	cut   bool
	conns []net.Conn
}

func newPGProxy(t *testing.T, target string) *pgProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pgProxy{ln: ln}
	t.Cleanup(func() { ln.Close(); p.setCut(true) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			if p.cut {
				p.mu.Unlock()
				c.Close()
				continue
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				p.mu.Unlock()
				c.Close()
				continue
			}
			p.conns = append(p.conns, c, up)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close() }()
			go func() { _, _ = io.Copy(c, up); c.Close() }()
		}
	}()
	return p
}

func (p *pgProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for _, c := range p.conns {
			c.Close()
		}
		p.conns = nil
	}
}

// pgAddr is the host:port of the test server.
func pgAddr(t *testing.T) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(testDSN)
	if err != nil {
		t.Fatal(err)
	}
	return net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))
}

// dsnVia is testDSN with the server's host:port replaced by addr.
func dsnVia(t *testing.T, addr string) string {
	t.Helper()
	target := pgAddr(t)
	if !strings.Contains(testDSN, "@"+target+"/") {
		t.Skipf("cannot put a proxy in %s", testDSN)
	}
	return strings.Replace(testDSN, "@"+target+"/", "@"+addr+"/", 1)
}

// TestDatabaseGone: when PostgreSQL cannot be reached, requests answer 503
// with Retry-After (never 500, nothing about the database), /readyz is 503,
// and both recover once it is back, without a restart.
func TestDatabaseGone(t *testing.T) {
	proxy := newPGProxy(t, pgAddr(t))
	e := newEnvOn(t, dsnVia(t, proxy.ln.Addr().String()), store.Options{MaxOpenConns: 2})
	missing := "/v1/structures/01930000-0000-7000-8000-000000000000"
	wantStatus(t, e.do(req{method: "GET", path: "/readyz"}), http.StatusOK)
	wantStatus(t, e.do(req{method: "GET", path: missing}), http.StatusNotFound)

	proxy.setCut(true)
	wantStatus(t, e.do(req{method: "GET", path: "/readyz"}), http.StatusServiceUnavailable)
	for _, path := range []string{missing, "/v1/structures"} {
		r := e.do(req{method: "GET", path: path})
		wantStatus(t, r, http.StatusServiceUnavailable)
		if r.header.Get("Retry-After") == "" {
			t.Errorf("%s: 503 without Retry-After", path)
		}
		p := r.json(t)
		if !strings.Contains(e.logText(), `"request_id":"`+p["request_id"].(string)+`"`) {
			t.Errorf("the failure is not logged with its request id:\n%s", e.logText())
		}
	}

	proxy.setCut(false)
	wantStatus(t, e.do(req{method: "GET", path: "/readyz"}), http.StatusOK)
	wantStatus(t, e.do(req{method: "GET", path: missing}), http.StatusNotFound)
	wantStatus(t, e.do(req{method: "GET", path: "/v1/structures"}), http.StatusOK)
}

// TestDatabaseClosed: a closed pool (the process is shutting down) is the
// database out of reach too: 503, never 500.
func TestDatabaseClosed(t *testing.T) {
	e := newEnv(t)
	e.store.Close()
	wantStatus(t, e.do(req{method: "GET", path: "/readyz"}), http.StatusServiceUnavailable)
	r := e.do(req{method: "GET", path: "/v1/structures/01930000-0000-7000-8000-000000000000"})
	wantStatus(t, r, http.StatusServiceUnavailable)
	if r.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
}

// lockStructures holds an exclusive lock on the structures table until the
// returned func is called, so that any request reading it waits.
func lockStructures(t *testing.T) (release func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testDSN)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE structures IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			_ = tx.Rollback(ctx)
			conn.Close(ctx)
		})
	}
	t.Cleanup(release)
	return release
}

// waitForLockWaiter waits until some session waits on a lock.
func waitForLockWaiter(t *testing.T) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), testDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var n int
		if err := conn.QueryRow(context.Background(),
			"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
	}
	t.Fatal("no request ever waited on the lock")
}

// TestStatementTimeoutIs503: a statement that outlives the statement timeout
// is a 503 with Retry-After, not a 500.
func TestStatementTimeoutIs503(t *testing.T) {
	e := newEnvOn(t, testDSN, store.Options{MaxOpenConns: 2, StatementTimeout: 200 * time.Millisecond})
	var setting string
	if err := e.store.SQL().QueryRow("SHOW statement_timeout").Scan(&setting); err != nil || setting != "200ms" {
		t.Fatalf("statement_timeout = %q (%v), want 200ms", setting, err)
	}
	release := lockStructures(t)
	r := e.do(req{method: "GET", path: "/v1/structures"})
	release()
	wantStatus(t, r, http.StatusServiceUnavailable)
	if r.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
}

// TestReadyzOutsideThePool: with every connection of the request pool held,
// readiness still answers from its own connection.
func TestReadyzOutsideThePool(t *testing.T) {
	e := newEnvOn(t, testDSN, store.Options{MaxOpenConns: 1})
	ctx := context.Background()
	held, err := e.store.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if _, err := held.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, e.do(req{method: "GET", path: "/readyz"}), http.StatusOK)
}

// TestClientCancelIs499: a client that hangs up while its request waits on
// the database is a 499 at info level, not a database failure: no ERROR log,
// no 5xx series.
func TestClientCancelIs499(t *testing.T) {
	e := newEnv(t)
	release := lockStructures(t)
	ctx, cancel := context.WithCancel(context.Background())
	hr, err := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/v1/structures", nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		res, err := e.srv.Client().Do(hr)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	waitForLockWaiter(t)
	cancel()
	if err := <-done; err == nil {
		t.Fatal("the request was not cancelled")
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(e.logText(), `"status":499`); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no 499 logged:\n%s", e.logText())
		}
	}
	release()
	logs := e.logText()
	if strings.Contains(logs, `"level":"ERROR"`) || strings.Contains(logs, `"level":"WARN"`) {
		t.Errorf("a client's cancel is logged as a failure:\n%s", logs)
	}
	metrics := string(e.do(req{method: "GET", path: "/metrics"}).body)
	if !strings.Contains(metrics, `essdir_http_requests_total{method="GET",route="/v1/structures",status="499"} 1`) {
		t.Errorf("no 499 series:\n%s", metrics)
	}
	if strings.Contains(metrics, `status="503"`) || strings.Contains(metrics, `status="5xx"`) || strings.Contains(metrics, `status="500"`) {
		t.Error("a client's cancel is counted as a server failure")
	}
}
