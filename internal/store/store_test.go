package store_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/essdir/essdir/internal/essdir"
	"github.com/essdir/essdir/internal/pgtest"
	"github.com/essdir/essdir/internal/store"
)

var testDSN string

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m, &testDSN)) }

func openStore(tb testing.TB) *store.Store {
	tb.Helper()
	st, err := store.Open(context.Background(), testDSN, store.Options{MaxOpenConns: 4})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := essdir.ErrorCode(err); err == nil || got != code {
		tb.Fatalf("error = %v, want code %s", err, code)
	}
}

func TestEnsureDatabaseCreatesMissing(t *testing.T) {
	ctx := context.Background()
	dsn := strings.Replace(testDSN, "/essdir_test_", "/essdir_ensure_", 1)
	if dsn == testDSN {
		t.Fatalf("unexpected test DSN %s", testDSN)
	}
	for range 2 { // the second call finds it
		if err := store.EnsureDatabase(ctx, dsn); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := pgx.Connect(ctx, pgtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	name := dsn[strings.LastIndex(dsn, "/")+1:]
	if i := strings.IndexByte(name, '?'); i >= 0 {
		name = name[:i]
	}
	if _, err := conn.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Errorf("the database was not created: %v", err)
	}
}
