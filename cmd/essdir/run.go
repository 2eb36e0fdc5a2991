package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/essdir/essdir/internal/auth"
	"github.com/essdir/essdir/internal/config"
	"github.com/essdir/essdir/internal/essdir"
	"github.com/essdir/essdir/internal/store"
)

// version is set at build time (-ldflags "-X main.version=v1.2.3").
var version = "dev"

const usage = `essdir — the ESS directory API

Usage:
  essdir serve [--no-migrate]                 run the API (migrates first)
  essdir migrate up|down|status               manage the database schema
  essdir user create --email E --role R       create a user (admin or editor);
                                              the password is read from stdin
  essdir client create --name N --source S [--moderation pending|published]
                                              create a partner client; prints its
                                              client_id and client_secret (shown once)
  essdir import geography DIR                 load the official communes, EPCI, départements
                                              and régions from the data/ folder of the npm
                                              package @etalab/decoupage-administratif
  essdir import structures FILE --source S [--strict]
                                              upsert the structures of a CSV or NDJSON file by
                                              (source, external_id), as POST /v1/structures/bulk
                                              does; bad lines are reported (--strict: nothing written);
                                              --statement-timeout bounds a batch's statements (5m)
  essdir seed demo                            load the demo data set (the Dijon forum
                                              report's records); running it again changes nothing
  essdir version                              print the version

Configuration comes from ESSDIR_* environment variables (see README.md).
`

// run is the whole program; main only wires it to the process. ctx ends the
// server (main cancels it on SIGINT/SIGTERM).
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stderr)
	case "migrate":
		return migrate(ctx, args[1:], getenv, stdout)
	case "user":
		return user(ctx, args[1:], getenv, stdin, stdout, stderr)
	case "client":
		return client(ctx, args[1:], getenv, stdout, stderr)
	case "import":
		return importData(ctx, args[1:], getenv, stdout)
	case "seed":
		return seedData(ctx, args[1:], getenv, stdout)
	case "version":
		fmt.Fprintln(stdout, versionString())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func versionString() string {
	v := "essdir " + version
	if info, ok := debug.ReadBuildInfo(); ok {
		v += " (" + info.GoVersion
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += ", " + s.Value[:12]
			}
		}
		v += ")"
	}
	return v
}

// open loads the configuration and connects to the database it names.
func open(ctx context.Context, getenv func(string) string, tune ...func(*store.Options)) (*config.Config, *store.Store, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, nil, fmt.Errorf("configuration:\n%w", err)
	}
	opts := store.Options{MaxOpenConns: cfg.DBMaxConns, StatementTimeout: cfg.StatementTimeout, LongStatementTimeout: cfg.ExportTimeout}
	for _, f := range tune {
		f(&opts)
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, opts)
	return cfg, st, err
}

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	command := "up"
	if len(args) > 0 {
		command = args[0]
	}
	if len(args) > 1 || (command != "up" && command != "down" && command != "status") {
		return errors.New("usage: essdir migrate up|down|status")
	}
	_, st, err := open(ctx, getenv)
	if err != nil {
		return err
	}
	defer st.Close()
	return store.Migrate(ctx, st.SQL(), command, stdout)
}

func user(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: essdir user create --email E --role admin|editor (password on stdin)")
	}
	fs := flag.NewFlagSet("user create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "the user's e-mail, used to sign in")
	role := fs.String("role", "editor", "admin or editor")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *email == "" || !essdir.Role(*role).Valid() {
		return errors.New("usage: essdir user create --email E --role admin|editor (password on stdin)")
	}
	password, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read the password from stdin: %w", err)
	}
	password = strings.TrimRight(password, "\r\n")
	if err := auth.CheckPasswordPolicy(password); err != nil {
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
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	u := &essdir.User{Email: *email, Role: essdir.Role(*role), PasswordHash: hash}
	if err := st.CreateUser(ctx, u); err != nil {
		return cliError(err)
	}
	return json.NewEncoder(stdout).Encode(map[string]string{"id": u.ID.String(), "email": u.Email, "role": string(u.Role)})
}

// cliError shows the client-safe message (and bad fields) of a domain error.
func cliError(err error) error {
	var e *essdir.Error
	if !errors.As(err, &e) || e.Code == essdir.EINTERNAL {
		return err
	}
	msg := e.Message
	for _, f := range e.Fields {
		msg += fmt.Sprintf("; %s %s", f.Field, f.Message)
	}
	return errors.New(msg)
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
