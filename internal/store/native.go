package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/cespare/xxhash/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
)

// The hot reads (a record by id, a page) build their SQL with GORM as every
// other read does, but read the rows through pgx directly: GORM's
// reflection and database/sql's per-value conversions cost more than the
// query itself (BENCHMARKS.md: 488 allocations for a get by id). A table
// opts in with a field function, which names the destination of each column
// of its row; without one, or inside a transaction, GORM reads the rows.

// fieldFunc gives the destination of a column in r (a pointer pgx scans
// into), or nil when the row has no such column.
type fieldFunc[R any] func(r *R, column string) any

// findRows runs q as a SELECT into []R: natively when field is set and q runs
// on the pool, else through GORM. The statement is counted either way (the
// dry run goes through the same callbacks as a real one). max is the number
// of rows q can return at most (its LIMIT: a page's size and one), room
// made at once; read natively, the max-th row only says that another page
// follows and is not read (a zero R stands for it).
//
// With offer (see essdir.List.Known), each row is offered first, and marks
// says which were known: those rows hold their id only, except the last
// row of a full page, whose cursor columns are read. Rows read through
// GORM are offered nothing.
func findRows[R any](q *gorm.DB, field fieldFunc[R], max int, offer *rowOffer) ([]R, *rowMarks, error) {
	rows := make([]R, 0, max)
	pool, ok := q.Statement.ConnPool.(*sql.DB)
	if field == nil || !ok {
		err := q.Find(&rows).Error
		return rows, nil, err
	}
	stmt := q.Session(&gorm.Session{DryRun: true}).Find(&rows).Statement
	if stmt.Error != nil {
		return nil, nil, stmt.Error
	}
	ctx := stmt.Context
	if ctx == nil {
		ctx = context.Background()
	}
	return readRows(ctx, pool, stmt.SQL.String(), stmt.Vars, field, max, offer)
}

// rowOffer is what a page's rows are offered to (essdir.List.Known), and
// the result columns its cursor is made of (nil: the whole row is read).
type rowOffer struct {
	known  func(uuid.UUID, uint64) bool
	cursor []string
}

// offerRows is the offer of a page read in order, nil without known.
func offerRows[R any](known func(uuid.UUID, uint64) bool, order *sortSpec[R]) *rowOffer {
	if known == nil {
		return nil
	}
	return &rowOffer{known, order.resultColumns()}
}

// readRows is findRows' native read of a statement written out.
func readRows[R any](ctx context.Context, pool *sql.DB, query string, args []any, field fieldFunc[R], max int, offer *rowOffer) ([]R, *rowMarks, error) {
	rows := make([]R, 0, max)
	var marks *rowMarks
	if offer != nil {
		marks = &rowMarks{ids: make([]uuid.UUID, 0, max), digests: make([]uint64, 0, max), known: make([]bool, 0, max)}
	}
	err := queryNative(ctx, pool, query, args, func(r pgx.Rows) error {
		scanner := newNativeScanner(query, field)
		for r.Next() {
			rows = append(rows, *new(R))
			row := &rows[len(rows)-1]
			if len(rows) == max { // a next page: nothing of it is shown (it was 1/21 of a list's decoding)
				if marks != nil {
					marks.ids, marks.digests, marks.known = append(marks.ids, uuid.Nil), append(marks.digests, 0), append(marks.known, false)
				}
				continue
			}
			if marks != nil {
				id, digest, knew := scanner.offer(r, row, offer.known)
				marks.ids, marks.digests, marks.known = append(marks.ids, id), append(marks.digests, digest), append(marks.known, knew)
				if knew && len(rows) != max-1 {
					continue
				}
				if knew { // a page's last row: its keys make the cursor
					if err := scanner.scanColumns(r, row, offer.cursor); err != nil {
						return err
					}
					continue
				}
			}
			if err := scanner.scan(r, row); err != nil {
				return err
			}
		}
		return r.Err()
	})
	return rows, marks, err
}

// rowMarks are findRows' answers about each row: its id (uuid.Nil when
// the row was not offered), its digest, and whether known recognised it.
type rowMarks struct {
	ids     []uuid.UUID
	digests []uint64
	known   []bool
}

// offer computes the digest of the current row of r and offers the row to
// known: a row it knows gets its id (the caller decides whether to read the
// rest). A result whose id is not a binary uuid is never offered. The
// digest covers the columns' names, types and formats, and every value with
// its length (NULL apart): the same for the same row read by any statement
// of the same columns (whatever its filters, limit or cursor), another for
// any other row or columns. The row is laid out in one buffer and hashed
// at once (a hash call per column cost four times as much).
func (s *nativeScanner[R]) offer(r pgx.Rows, row *R, known func(uuid.UUID, uint64) bool) (uuid.UUID, uint64, bool) {
	fds := r.FieldDescriptions()
	if s.scratch == nil {
		s.idColumn = -1
		var head []byte
		for i := range fds {
			head = append(append(head, fds[i].Name...), 0)
			head = binary.BigEndian.AppendUint32(head, fds[i].DataTypeOID)
			head = binary.BigEndian.AppendUint16(head, uint16(fds[i].Format))
			if fds[i].Name == "id" && fds[i].DataTypeOID == pgtype.UUIDOID && fds[i].Format == pgtype.BinaryFormatCode {
				s.idColumn = i
			}
		}
		s.scratch = binary.BigEndian.AppendUint64(make([]byte, 0, 2048), xxhash.Sum64(head))
	}
	raw := r.RawValues()
	buf := s.scratch[:8] // the seed: the columns
	for _, v := range raw {
		n := uint32(len(v))
		if v == nil {
			n = math.MaxUint32
		}
		buf = append(binary.BigEndian.AppendUint32(buf, n), v...)
	}
	s.scratch = buf
	digest := xxhash.Sum64(buf)
	if s.idColumn < 0 || len(raw[s.idColumn]) != 16 {
		return uuid.Nil, digest, false
	}
	id := uuid.UUID(raw[s.idColumn])
	if !known(id, digest) {
		return id, digest, false
	}
	*s.field(row, "id").(*[16]byte) = id
	return id, digest, true
}

// nativeScanner reads the rows of one query into R. pgx plans the decoding
// of each column anew for every query (about one allocation a column) and
// its generic plans allocate once more per nullable value; the plans depend
// only on the column's type, format and Go destination, which are fixed for
// a query's text, so they are kept (cachedPlans), and the common binary
// types are decoded here directly (decodeRow), so that a row costs a few
// allocations rather than one or two per column. Anything else goes through
// pgx's plan.
type nativeScanner[R any] struct {
	query string
	field fieldFunc[R]
	dest  []any
	spans []textSpan   // reused from row to row
	plans []columnPlan // the result's, looked up at its first row
	fds   []pgconn.FieldDescription
	// offer's: the index of the id column, and the row's bytes as hashed,
	// after the hash of its columns.
	idColumn int
	scratch  []byte
}

func newNativeScanner[R any](query string, field fieldFunc[R]) *nativeScanner[R] {
	return &nativeScanner[R]{query: query, field: field, dest: make([]any, 0, 40)}
}

// scanColumns reads the named columns of the current row of r into row,
// or the whole row when one of them is not a column of the result (or
// none is named).
func (s *nativeScanner[R]) scanColumns(r pgx.Rows, row *R, names []string) error {
	if len(names) == 0 {
		return s.scan(r, row)
	}
	fds := r.FieldDescriptions()
	if err := s.destinations(r, row); err != nil {
		return err
	}
	var plans [4]columnPlan
	var raw [4][]byte
	var dest [4]any
	n, all := 0, r.RawValues()
	for i := range fds {
		if slices.Contains(names, fds[i].Name) {
			if n == len(plans) {
				return s.scan(r, row)
			}
			plans[n], raw[n], dest[n] = s.plans[i], all[i], s.dest[i]
			n++
		}
	}
	if n != len(names) {
		return s.scan(r, row)
	}
	var err error
	s.spans, err = decodeRow(plans[:n], raw[:n], dest[:n], s.spans[:0])
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// scan reads the current row of r into row.
func (s *nativeScanner[R]) scan(r pgx.Rows, row *R) error {
	if err := s.destinations(r, row); err != nil {
		return err
	}
	var err error
	s.spans, err = decodeRow(s.plans, r.RawValues(), s.dest, s.spans[:0])
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// destinations points s.dest at row's field of each column of r, and looks
// the result's scan plans up (at its first row).
func (s *nativeScanner[R]) destinations(r pgx.Rows, row *R) error {
	fds := r.FieldDescriptions()
	s.dest = s.dest[:0]
	for i := range fds {
		d := s.field(row, fds[i].Name)
		if d == nil {
			return fmt.Errorf("store: no destination for column %q", fds[i].Name)
		}
		s.dest = append(s.dest, d)
	}
	// Every row of a result has its columns: the plans are looked up once
	// (the cache's key is the whole statement, hashed at each lookup).
	if s.plans == nil || len(fds) != len(s.fds) || (len(fds) > 0 && &fds[0] != &s.fds[0]) {
		s.plans, s.fds = cachedPlans(r, s.query, s.dest), fds
	}
	return nil
}

type columnPlan struct {
	name   string
	oid    uint32
	format int16
	kind   nativeKind // how decodeRow reads it (kindPlan: through plan)
	plan   pgtype.ScanPlan
}

var scanPlans = struct {
	sync.RWMutex
	byQuery map[string][]columnPlan
}{byQuery: map[string][]columnPlan{}}

// cachedPlans are the scan plans of query's columns, made on first use and
// made again when a column's type or format differs (another database).
func cachedPlans(r pgx.Rows, query string, dest []any) []columnPlan {
	fds := r.FieldDescriptions()
	scanPlans.RLock()
	plans := scanPlans.byQuery[query]
	scanPlans.RUnlock()
	if len(plans) == len(fds) {
		same := true
		for i := range fds {
			same = same && plans[i].oid == fds[i].DataTypeOID && plans[i].format == fds[i].Format
		}
		if same {
			return plans
		}
	}
	m := r.Conn().TypeMap()
	plans = make([]columnPlan, len(fds))
	for i := range fds {
		plans[i] = columnPlan{fds[i].Name, fds[i].DataTypeOID, fds[i].Format,
			nativeKindOf(fds[i].DataTypeOID, fds[i].Format, dest[i]),
			m.PlanScan(fds[i].DataTypeOID, fds[i].Format, dest[i])}
	}
	scanPlans.Lock()
	if len(scanPlans.byQuery) > 1000 { // queries vary with their filters: keep the set bounded
		clear(scanPlans.byQuery)
	}
	scanPlans.byQuery[query] = plans
	scanPlans.Unlock()
	return plans
}

// customPlans marks a context whose native reads are planned with their
// own values. A statement prepared and cached per connection (pgx's
// default) gets PostgreSQL's generic plan after five executions when that
// plan looks no costlier: for a text search, whose best plan depends on how
// many rows its tsquery matches, a plan made for a rare word then served
// the most common one (0.4–0.6 s instead of 5 ms on the 1M set, measured:
// docs/BENCHMARKS.md). Marked reads use an unnamed statement, planned at
// each execution with its parameters (pgx caches only its description, so
// it stays one round trip).
type customPlansKey struct{}

func withCustomPlans(ctx context.Context) context.Context {
	return context.WithValue(ctx, customPlansKey{}, true)
}

// execArgs are args, preceded by the execution mode of ctx's reads. A
// uuid.UUID goes as the [16]byte it is: pgx encodes that directly, while
// it finds the plan of a named array type by reflection at every
// execution (5 µs of a page after a cursor, whose last key is an id).
func execArgs(ctx context.Context, args []any) []any {
	for i, a := range args {
		if id, ok := a.(uuid.UUID); ok {
			args[i] = [16]byte(id)
		}
	}
	if ctx.Value(customPlansKey{}) == nil {
		return args
	}
	return append([]any{pgx.QueryExecModeCacheDescribe}, args...)
}

// countNative is q.Count run natively (see findRows), so that a search's
// count is planned like its page.
func countNative(q *gorm.DB) (int64, error) {
	var n int64
	pool, ok := q.Statement.ConnPool.(*sql.DB)
	if !ok {
		err := q.Count(&n).Error
		return n, err
	}
	stmt := q.Session(&gorm.Session{DryRun: true}).Count(&n).Statement
	if stmt.Error != nil {
		return 0, stmt.Error
	}
	ctx := stmt.Context
	if ctx == nil {
		ctx = context.Background()
	}
	err := queryNative(ctx, pool, stmt.SQL.String(), stmt.Vars, func(r pgx.Rows) error {
		for r.Next() {
			if err := r.Scan(&n); err != nil {
				return err
			}
		}
		return r.Err()
	})
	return n, err
}

// queryNative runs one query on a connection of the pool, through pgx
// itself (prepared and cached per connection unless ctx asks for custom
// plans, binary results).
func queryNative(ctx context.Context, pool *sql.DB, query string, args []any, read func(pgx.Rows) error) error {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		rows, err := dc.(*stdlib.Conn).Conn().Query(ctx, query, execArgs(ctx, args)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		if err := read(rows); err != nil {
			return err
		}
		rows.Close()
		return rows.Err()
	})
}

// eachRow runs q (on the pool) in a read-only transaction after settings
// (SET LOCAL statements), and calls fn with each row as it arrives: one row
// in memory at a time, whatever the size of the selection.
func eachRow[R any](q *gorm.DB, settings []string, field fieldFunc[R], fn func(*R) error) error {
	pool, ok := q.Statement.ConnPool.(*sql.DB)
	if !ok {
		return fmt.Errorf("store: eachRow needs the pool, not a transaction")
	}
	var probe []R
	stmt := q.Session(&gorm.Session{DryRun: true}).Find(&probe).Statement
	if stmt.Error != nil {
		return stmt.Error
	}
	ctx := stmt.Context
	if ctx == nil {
		ctx = context.Background()
	}
	query := stmt.SQL.String()
	conn, err := pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		tx, err := dc.(*stdlib.Conn).Conn().BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
		for _, set := range settings {
			if _, err := tx.Exec(ctx, set); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, query, execArgs(ctx, stmt.Vars)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var row R
		scanner := newNativeScanner(query, field)
		for rows.Next() {
			row = *new(R)
			if err := scanner.scan(rows, &row); err != nil {
				return err
			}
			if err := fn(&row); err != nil {
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
}
