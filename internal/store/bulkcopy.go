package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"github.com/essdir/essdir/internal/parallel"
)

// inCopyTx runs fn in a transaction on one connection of the pool that fn
// may also COPY into (the same session, so inside the transaction).
func (s *Store) inCopyTx(ctx context.Context, fn func(tx *gorm.DB, conn *sql.Conn) error) error {
	return translate(s.db.WithContext(ctx).Connection(func(c *gorm.DB) error {
		conn, ok := c.Statement.ConnPool.(*sql.Conn)
		if !ok {
			return fmt.Errorf("bulk write: connection is a %T", c.Statement.ConnPool)
		}
		return c.Transaction(func(tx *gorm.DB) error { return fn(tx, conn) })
	}))
}

// copyColumns are the columns of R an INSERT writes, with their fields.
type copyColumns struct {
	names  []string
	fields []*schema.Field
}

var copySchemas sync.Map // reflect.Type of R → *copyColumns

// columnsOf gives the writable columns of the row type R, parsed once.
func columnsOf[R any](tx *gorm.DB) (*copyColumns, error) {
	typ := reflect.TypeFor[R]()
	if c, ok := copySchemas.Load(typ); ok {
		return c.(*copyColumns), nil
	}
	sch, err := schema.Parse(new(R), &sync.Map{}, tx.NamingStrategy)
	if err != nil {
		return nil, err
	}
	c := &copyColumns{}
	for _, f := range sch.Fields {
		if f.DBName == "" || !f.Creatable {
			continue
		}
		c.names = append(c.names, f.DBName)
		c.fields = append(c.fields, f)
	}
	copySchemas.Store(typ, c)
	return c, nil
}

// copyValue gives a field's value in a form pgx's COPY encodes as
// database/sql would have: lists as text[] (never NULL), the types with a
// driver.Valuer (JSON lists, uuid, deleted_at) through it.
func copyValue(v any) (any, error) {
	switch x := v.(type) {
	case uuid.UUID:
		// pgx encodes a uuid in binary from its bytes; from the string
		// Value gives, it fails, builds an error and parses the string.
		return [16]byte(x), nil
	case textArray:
		if x == nil {
			return []string{}, nil
		}
		return []string(x), nil
	case driver.Valuer:
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
			return nil, nil
		}
		return x.Value()
	}
	return v, nil
}

// copyWrite writes the created and the changed rows of a batch in a
// fixed number of statements whatever their number. The created rows are
// COPYed straight into the table: their ids are new, so there is nothing
// to update, and a taken slug, SIRET or key is the same unique violation
// an INSERT meets. The changed rows (rows findByOrigin locked) are COPYed
// into a temporary table, then rewritten by one INSERT … SELECT … ON
// CONFLICT (id) DO UPDATE of the columns update. That table lives as long
// as the session, emptied at each commit (ON COMMIT DELETE ROWS): no table
// is created or dropped per batch, which would churn the catalog.
func copyWrite[R any](ctx context.Context, tx *gorm.DB, conn *sql.Conn, table string, update []string, created, changed []*R) error {
	cols, err := columnsOf[R](tx)
	if err != nil {
		return err
	}
	if len(created) > 0 {
		if err := copyInto(ctx, conn, table, cols, created); err != nil {
			return err
		}
	}
	if len(changed) == 0 {
		return nil
	}
	list := strings.Join(cols.names, ", ")
	// The name carries the column list, so a session never reuses a table
	// of another shape (a migration while the server runs).
	sum := sha256.Sum256([]byte(list))
	tmp := "bulk_" + table + "_" + hex.EncodeToString(sum[:4])
	if err := tx.Exec(`CREATE TEMP TABLE IF NOT EXISTS ` + tmp + ` ON COMMIT DELETE ROWS AS SELECT ` + list +
		` FROM ` + table + ` WITH NO DATA`).Error; err != nil {
		return err
	}
	if err := copyInto(ctx, conn, tmp, cols, changed); err != nil {
		return err
	}
	set := make([]string, len(update))
	for i, c := range update {
		set[i] = c + " = EXCLUDED." + c
	}
	return tx.Exec(`INSERT INTO ` + table + ` (` + list + `) SELECT ` + list + ` FROM ` + tmp +
		` ON CONFLICT (id) DO UPDATE SET ` + strings.Join(set, ", ")).Error
}

// copyInto COPYs rows into table, on the transaction's connection.
func copyInto[R any](ctx context.Context, conn *sql.Conn, table string, cols *copyColumns, rows []*R) error {
	// The rows are independent: their values are read on every core.
	values := make([][]any, len(rows))
	failed := make([]error, len(rows))
	parallel.For(len(rows), func(i int) { values[i], failed[i] = rowValues(ctx, cols, rows[i]) })
	if err := errors.Join(failed...); err != nil {
		return err
	}
	return copyRows(ctx, conn, table, cols.names, values)
}

// rowValues gives the values of row's columns, as COPY sends them.
func rowValues[R any](ctx context.Context, cols *copyColumns, row *R) ([]any, error) {
	rv := reflect.ValueOf(row).Elem()
	vals := make([]any, len(cols.fields))
	for j, f := range cols.fields {
		v, _ := f.ValueOf(ctx, rv)
		var err error
		if vals[j], err = copyValue(v); err != nil {
			return nil, fmt.Errorf("bulk write: %s: %w", f.DBName, err)
		}
	}
	return vals, nil
}

// copyRows COPYs values into table, on the transaction's connection.
func copyRows(ctx context.Context, conn *sql.Conn, table string, columns []string, values [][]any) error {
	return copySource(ctx, conn, table, columns, pgx.CopyFromRows(values))
}

// copySource COPYs the rows of src into table, on the transaction's
// connection, as src gives them.
func copySource(ctx context.Context, conn *sql.Conn, table string, columns []string, src pgx.CopyFromSource) error {
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("bulk write: driver connection is a %T", dc)
		}
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, src)
		return err
	})
}
