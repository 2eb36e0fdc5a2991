package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"

	"github.com/essdir/essdir/internal/auth"
	"github.com/essdir/essdir/internal/essdir"
	"github.com/essdir/essdir/internal/store"
)

const clientUsage = "usage: essdir client create --name N --source S [--moderation pending|published]"

// client creates a partner client and prints its credentials: the secret is
// shown this once and only its SHA-256 is stored.
func client(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New(clientUsage)
	}
	fs := flag.NewFlagSet("client create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "", "the partner's name")
	source := fs.String("source", "", "the source its records carry (lower-case letters, digits, '.', '_', '-')")
	moderation := fs.String("moderation", "pending", "status of its new structures: pending or published")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *name == "" || *source == "" || fs.NArg() > 0 {
		return errors.New(clientUsage)
	}
	_, st, err := open(ctx, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := store.Migrate(ctx, st.SQL(), "up", io.Discard); err != nil {
		return err
	}
	secret, hash := auth.NewSecret()
	cl := &essdir.Client{Name: *name, Source: *source, Moderation: essdir.Status(*moderation), SecretHash: hash}
	if err := st.CreateClient(ctx, cl); err != nil {
		return cliError(err)
	}
	return json.NewEncoder(stdout).Encode(map[string]string{
		"client_id": cl.ID.String(), "client_secret": secret, "source": cl.Source})
}
