package store

import (
	"context"
	"database/sql"
	"fmt"
	"io"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/essdir/essdir/migrations"
)

// Migrate runs a goose command ("up", "down" or "status") with the embedded
// migrations. A session lock keeps two processes from migrating at once.
// "up" then loads the official geography embedded in the binary when the
// database lacks it or holds an older copy, so a migrated database is complete.
func Migrate(ctx context.Context, db *sql.DB, command string, out io.Writer) error {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	switch command {
	case "up":
		results, err := p.Up(ctx)
		for _, r := range results {
			fmt.Fprintf(out, "migrated up %s (%s)\n", r.Source.Path, r.Duration)
		}
		if err != nil {
			return err
		}
		return ensureGeography(ctx, db, out)
	case "down":
		r, err := p.Down(ctx)
		if r != nil {
			fmt.Fprintf(out, "migrated down %s (%s)\n", r.Source.Path, r.Duration)
		}
		return err
	case "status":
		statuses, err := p.Status(ctx)
		if err != nil {
			return err
		}
		for _, st := range statuses {
			applied := "pending"
			if st.State == goose.StateApplied {
				applied = "applied " + st.AppliedAt.UTC().Format("2006-01-02 15:04:05")
			}
			fmt.Fprintf(out, "%-40s %s\n", st.Source.Path, applied)
		}
		return nil
	}
	return fmt.Errorf("unknown migrate command %q (want up, down or status)", command)
}

// CheckSchema refuses a database whose schema is older than the binary's
// migrations: the code relies on what they create (the change feed's
// order, for one, on the trigger of 00013 that takes its lock), so a
// server must not run on it, even when told not to migrate.
func CheckSchema(ctx context.Context, db *sql.DB) error {
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	current, latest, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("read the schema version: %w", err)
	}
	if current < latest {
		return fmt.Errorf("the database schema is at version %d, this binary needs %d: run `essdir migrate up` (or serve without --no-migrate)", current, latest)
	}
	return nil
}
