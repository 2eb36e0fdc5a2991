// Package store keeps the directory in PostgreSQL through GORM. GORM types
// stop here: callers see only the domain types of package essdir, and every
// database error leaves this package translated into an *essdir.Error.
package store

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Store is the PostgreSQL implementation of the domain services.
type Store struct {
	db  *gorm.DB
	sql *sql.DB
	// probe is readiness's own connection, outside the request pool, so that
	// a pool busy with slow requests is not reported as a database down.
	probe *sql.DB
	// longStatementTimeout is the statement_timeout of whole-set reads
	// (exports, facets), set with SET LOCAL in their transaction.
	longStatementTimeout time.Duration
	// bulkStatementTimeout, when set, is the statement_timeout of bulk
	// upserts' transactions (SET LOCAL): a batch job's, not a request's.
	bulkStatementTimeout time.Duration
	// Now is the clock; tests may replace it. Times are truncated to the
	// microsecond, PostgreSQL's precision, so that what is written reads back equal.
	Now func() time.Time
	// statements counts the statements the store sent (see Statements).
	statements *atomic.Int64
	// beforeCommit, when set (by tests only), runs in every write
	// transaction after its change-feed entries and before its commit: a
	// slow commit, to prove that pollers still miss nothing.
	beforeCommit func()
	// streamCheck, when set (by tests only), runs before each item's checks
	// in a streamed bulk batch (bulkstream.go), in the checks' goroutines.
	streamCheck func(i int)
	// communes caches the loaded geography's communes for bulk writes
	// (geocache.go); shared by every copy of the store (within).
	communes *communeCache
}

// Statements is the number of SQL statements the store has sent so far: the
// measure that proves a read costs a fixed number of queries, whatever the
// number of records it returns (no N+1).
func (s *Store) Statements() int64 { return s.statements.Load() }

// countStatements registers GORM callbacks that count every statement.
func countStatements(db *gorm.DB, n *atomic.Int64) error {
	count := func(*gorm.DB) { n.Add(1) }
	cb := db.Callback()
	return errors.Join(
		cb.Query().After("gorm:query").Register("essdir:count", count),
		cb.Row().After("gorm:row").Register("essdir:count", count),
		cb.Raw().After("gorm:raw").Register("essdir:count", count),
		cb.Create().After("gorm:create").Register("essdir:count", count),
		cb.Update().After("gorm:update").Register("essdir:count", count),
		cb.Delete().After("gorm:delete").Register("essdir:count", count),
	)
}

// Options tune the connection pool.
type Options struct {
	MaxOpenConns int // also the number of idle connections kept
	// StatementTimeout bounds every statement of the pool (PostgreSQL's
	// statement_timeout; 0 keeps the server's). A path that needs longer,
	// such as an export, raises it with SET LOCAL in its transaction.
	StatementTimeout time.Duration
	// LongStatementTimeout is that longer bound, for exports and facets
	// (0 keeps StatementTimeout).
	LongStatementTimeout time.Duration
	// BulkStatementTimeout, when set, bounds the statements of bulk upserts
	// instead (SET LOCAL in each batch's transaction): what a batch job such
	// as essdir import gives its batches, leaving the pool's bound to the
	// rest (0 keeps StatementTimeout).
	BulkStatementTimeout time.Duration
}

// probeTimeout bounds the statements of the readiness connection.
const probeTimeout = 2 * time.Second

// Open connects to the database named in dsn, creating the database first if
// it does not exist (local use should need no manual step).
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if err := EnsureDatabase(ctx, dsn); err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("ESSDIR_DATABASE_URL is not a valid PostgreSQL URL: %w", err)
	}
	if opts.StatementTimeout > 0 {
		cfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(opts.StatementTimeout.Milliseconds(), 10)
	}
	// A sequential scan of a large table starts where the last one left off
	// when scans are synchronized: the searches' counts, which stop after
	// 1,001 matches, then read a new stretch of the table each time (on the
	// 1M set: 9–22 ms, and 100–300 ms whenever that stretch had left the
	// page cache), instead of the same first pages (5–10 ms).
	cfg.RuntimeParams["synchronize_seqscans"] = "off"
	// pgx reads a result 8 KB at a time (PostgreSQL's send buffer), one
	// read call each; a page of 20 structures is 15-20 KB, mostly there
	// when the first read is made. Through a 64 KB buffer it takes one
	// call: 4.5 -> 3.3 reads per list of 20 by département on the 1M set,
	// and about 5 % less server CPU per list, alternated. Nothing of pgx
	// that reads the connection directly (SyncConn, Hijack) is used here.
	cfg.BuildFrontend = func(r io.Reader, w io.Writer) *pgproto3.Frontend {
		return pgproto3.NewFrontend(bufio.NewReaderSize(r, 64<<10), w)
	}
	sqlDB := stdlib.OpenDB(*cfg)
	db, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		PrepareStmt:            false,
	})
	if err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	probeCfg := cfg.Copy()
	probeCfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(probeTimeout.Milliseconds(), 10)
	probeCfg.ConnectTimeout = probeTimeout
	probe := stdlib.OpenDB(*probeCfg)
	probe.SetMaxOpenConns(1)
	probe.SetMaxIdleConns(1)
	if opts.MaxOpenConns > 0 {
		sqlDB.SetMaxOpenConns(opts.MaxOpenConns)
		sqlDB.SetMaxIdleConns(opts.MaxOpenConns)
	}
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		_ = sqlDB.Close()
		_ = probe.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	statements := new(atomic.Int64)
	if err := countStatements(db, statements); err != nil {
		_ = sqlDB.Close()
		_ = probe.Close()
		return nil, err
	}
	return &Store{db: db, sql: sqlDB, probe: probe, Now: time.Now, statements: statements,
		communes: &communeCache{}, longStatementTimeout: opts.LongStatementTimeout, bulkStatementTimeout: opts.BulkStatementTimeout}, nil
}

// SQL exposes the pool for migrations and pool metrics.
func (s *Store) SQL() *sql.DB { return s.sql }

// Close releases the pool and the readiness connection.
func (s *Store) Close() error { return errors.Join(s.sql.Close(), s.probe.Close()) }

// Ping reports whether the database answers, on readiness's own connection:
// it neither waits for nor takes a connection of the request pool.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	if err := s.probe.PingContext(ctx); err != nil {
		return translate(err)
	}
	return nil
}

func (s *Store) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// inTx runs fn in a transaction and translates its error.
func (s *Store) inTx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return translate(s.db.WithContext(ctx).Transaction(fn))
}

// EnsureDatabase creates the database named in dsn when it is missing. It
// first connects to the database itself, so a deployment whose user may not
// open the maintenance database "postgres" is not bothered; only when the
// server answers "no such database" does it connect to "postgres" to create it.
func EnsureDatabase(ctx context.Context, dsn string) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("ESSDIR_DATABASE_URL is not a valid PostgreSQL URL: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err == nil {
		return conn.Close(ctx)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "3D000" { // invalid_catalog_name
		return fmt.Errorf("connect to PostgreSQL at %s:%d: %w", cfg.Host, cfg.Port, err)
	}
	name := cfg.Database
	cfg.Database = "postgres"
	conn, err = pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("database %q is missing and cannot be created: %w", name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // created meanwhile by someone else
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %q: %w", name, err)
	}
	return nil
}
