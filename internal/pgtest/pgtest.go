// Package pgtest gives each test package its own PostgreSQL database, cloned
// from a template that is migrated once per set of migrations. Tests run
// against the real server; nothing is mocked.
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/essdir/essdir/internal/geo"
	"github.com/essdir/essdir/internal/store"
	"github.com/essdir/essdir/migrations"
)

// AdminURL is the server the test databases are created on; override it with
// ESSDIR_TEST_DATABASE_URL.
func AdminURL() string {
	if u := os.Getenv("ESSDIR_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// Run is a TestMain body: it creates a fresh migrated database, stores its URL
// in *dsn, runs the tests and drops the database.
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Run(m, &testDSN)) }
func Run(m *testing.M, dsn *string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	name, err := create(ctx)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 1
	}
	*dsn = withDatabase(AdminURL(), name)
	code := m.Run()
	ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest: drop:", err)
	}
	return code
}

// Fresh gives one test a migrated database of its own, dropped when the test
// ends: for tests whose data would collide with the package's shared one
// (the demo data set, with its fixed ids and official codes).
func Fresh(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	name, err := create(ctx)
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			tb.Errorf("pgtest: drop: %v", err)
		}
	})
	return withDatabase(AdminURL(), name)
}

func withDatabase(raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	return u.String()
}

// create makes the template if needed (under an advisory lock, so parallel
// test packages migrate it once) and clones it.
func create(ctx context.Context) (string, error) {
	conn, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return "", fmt.Errorf("connect to %s (is PostgreSQL running?): %w", AdminURL(), err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(7226031)"); err != nil {
		return "", err
	}
	defer conn.Exec(context.Background(), "SELECT pg_advisory_unlock(7226031)") //nolint:errcheck

	tmpl, err := templateName()
	if err != nil {
		return "", err
	}
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", tmpl).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if err := buildTemplate(ctx, conn, tmpl); err != nil {
			return "", err
		}
	}
	name := "essdir_test_" + randomHex(6)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{tmpl}.Sanitize())
	return name, err
}

func buildTemplate(ctx context.Context, conn *pgx.Conn, tmpl string) error {
	building := tmpl + "_building"
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{building}.Sanitize()+" WITH (FORCE)"); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{building}.Sanitize()); err != nil {
		return err
	}
	st, err := store.Open(ctx, withDatabase(AdminURL(), building), store.Options{MaxOpenConns: 2})
	if err != nil {
		return err
	}
	err = store.Migrate(ctx, st.SQL(), "up", io.Discard)
	st.Close()
	if err != nil {
		return fmt.Errorf("migrate template: %w", err)
	}
	_, err = conn.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{building}.Sanitize()+" RENAME TO "+pgx.Identifier{tmpl}.Sanitize())
	if err != nil {
		return err
	}
	// Templates of older migrations are of no further use.
	rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE datname LIKE 'essdir\\_tmpl\\_%' AND datname <> $1", tmpl)
	if err != nil {
		return err
	}
	stale, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, name := range stale {
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	}
	return nil
}

// templateName changes whenever a migration or the embedded geography
// changes, so a stale template is never cloned.
func templateName() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", err
	}
	fmt.Fprintf(h, "geography\x00%s", geo.EmbeddedDigest()) // loaded by store.Migrate too
	return "essdir_tmpl_" + hex.EncodeToString(h.Sum(nil))[:12], nil
}

func exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
