package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/essdir/essdir/internal/geo"
	"github.com/essdir/essdir/internal/store"
)

const importUsage = "usage: essdir import geography DIR (the data/ folder of the npm package " + geo.PackageName + ")\n" +
	"       essdir import structures FILE --source S [--strict] [--statement-timeout D] (CSV or NDJSON)"

// importData loads reference or directory data from files.
func importData(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(importUsage)
	}
	switch args[0] {
	case "geography":
		if len(args) != 2 {
			return errors.New(importUsage)
		}
		return importGeography(ctx, args[1], getenv, stdout)
	case "structures":
		return importStructures(ctx, args[1:], getenv, stdout)
	}
	return fmt.Errorf("unknown import %q; %s", args[0], importUsage)
}

// importGeography replaces the official geography with the one in dir, in
// one transaction. The files are read and checked before the database is
// touched, so a bad folder changes nothing.
func importGeography(ctx context.Context, dir string, getenv func(string) string, stdout io.Writer) error {
	start := time.Now()
	ref, err := geo.ReadPackage(dir)
	if err != nil {
		return err
	}
	_, st, err := open(ctx, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := store.Migrate(ctx, st.SQL(), "up", io.Discard); err != nil {
		return err
	}
	if err := st.ImportGeography(ctx, ref); err != nil {
		return cliError(err)
	}
	version := ref.Version
	if version == "" {
		version = "(unknown version)"
	}
	fmt.Fprintf(stdout, "imported %s %s from %s: %d régions, %d départements, %d communes, %d EPCI (%s)\n",
		ref.Package, version, dir, len(ref.Regions), len(ref.Departments), len(ref.Communes), len(ref.EPCIs),
		time.Since(start).Round(time.Millisecond))
	return nil
}
