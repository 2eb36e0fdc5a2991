package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/essdir/essdir/internal/seed"
	"github.com/essdir/essdir/internal/store"
)

// seedData loads a data set; "demo" is the forum report's records. It
// migrates first, so a fresh database needs no other step.
func seedData(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 1 || args[0] != "demo" {
		return errors.New("usage: essdir seed demo")
	}
	_, st, err := open(ctx, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := store.Migrate(ctx, st.SQL(), "up", io.Discard); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	report, err := seed.Demo(ctx, seed.Services{Structures: st, Activities: st, Collectivities: st, Events: st, SupportSchemes: st, Links: st})
	if err != nil {
		return cliError(err)
	}
	fmt.Fprintln(stdout, report)
	return nil
}
