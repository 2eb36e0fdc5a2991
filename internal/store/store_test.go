package store_test

import (
	"context"
	"os"
	"testing"

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
