package store_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/essdir/essdir/internal/pgtest"
	"github.com/essdir/essdir/internal/store"
)

// TestDecodeRowMatchesPgx reads the same values through decodeRow and
// through pgx's own scan, and wants the same rows: the direct decoders are
// an optimisation, never another reading of the data. The values include
// those decodeRow hands back to pgx (NULL elements, two dimensions,
// timestamps beyond year 9999, infinities, NULL jsonb).
func TestDecodeRowMatchesPgx(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	for _, tc := range []struct {
		name, sql string
		wantErr   bool
	}{
		{"Values", `SELECT 'Économie « sociale »'::text AS text, '732829320'::char(14) AS null_text,
			ARRAY['aci', 'é', '']::text[] AS texts, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid AS id,
			-4.48::float8 AS float, 47.3220::float8 AS null_float, -7::int4 AS int,
			'2024-11-28 14:00:00.123456+01'::timestamptz AS at, '2025-01-02 03:04:05+00'::timestamptz AS deleted,
			'[{"network": "facebook", "url": "https://f.example/x"}]'::jsonb AS links`, false},
		{"NullsAndEmpties", `SELECT ''::text AS text, NULL::text AS null_text, '{}'::text[] AS texts,
			'00000000-0000-0000-0000-000000000000'::uuid AS id, 0::float8 AS float, NULL::float8 AS null_float,
			0::int4 AS int, '0001-01-01 00:00:00+00'::timestamptz AS at, NULL::timestamptz AS deleted,
			'[]'::jsonb AS links`, false},
		{"LeftToPgx", `SELECT 'a'::text AS text, 'b'::text AS null_text, NULL::text[] AS texts,
			'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid AS id, 1e308::float8 AS float, '-Infinity'::float8 AS null_float,
			2147483647::int4 AS int, '12000-06-01 00:00:00+00'::timestamptz AS at,
			'0044-03-15 12:00:00+00 BC'::timestamptz AS deleted, NULL::jsonb AS links`, false},
		{"NullElementRefusedAlike", `SELECT 'a'::text AS text, NULL::text AS null_text, ARRAY['a', NULL]::text[] AS texts`, true},
		{"TwoDimensionsFlattenedAlike", `SELECT 'a'::text AS text, NULL::text AS null_text, ARRAY[['a', 'b'], ['c', 'd']]::text[] AS texts`, false},
		{"NullIntoStringRefusedAlike", `SELECT NULL::text AS text`, true},
		{"InfinityRefusedAlike", `SELECT 'infinity'::timestamptz AS at`, true},
	} {
		// pgx asks for texts and jsonb in the text format; all-binary
		// results exercise the other decoders too.
		for _, formats := range []struct {
			name string
			args []any
		}{{"PgxFormats", nil}, {"AllBinary", []any{pgx.QueryResultFormats{pgx.BinaryFormatCode}}}} {
			t.Run(tc.name+"/"+formats.name, func(t *testing.T) {
				var native, viaPgx store.DecodedRow
				nativeErr := readOne(ctx, conn, tc.sql, func(r pgx.Rows) error {
					return store.NewScanNative(tc.sql+formats.name).Scan(r, &native)
				}, formats.args...)
				pgxErr := readOne(ctx, conn, tc.sql, func(r pgx.Rows) error {
					fds := r.FieldDescriptions()
					dest := make([]any, len(fds))
					for i := range fds {
						dest[i] = viaPgx.Field(fds[i].Name)
					}
					return r.Scan(dest...)
				}, formats.args...)
				if (nativeErr != nil) != tc.wantErr || (pgxErr != nil) != tc.wantErr {
					t.Fatalf("errors: native %v, pgx %v; want an error: %v", nativeErr, pgxErr, tc.wantErr)
				}
				if tc.wantErr {
					return
				}
				if !reflect.DeepEqual(native, viaPgx) {
					t.Errorf("native read\n%#v\npgx read\n%#v", native, viaPgx)
				}
			})
		}
	}
}

// TestDecodeRowSharesNothingBetweenRows reads two rows with the same
// scanner: the second must not change the first (each row has its own
// string and backing arrays).
func TestDecodeRowSharesNothingBetweenRows(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	query := `SELECT v AS text, v || '!' AS null_text, ARRAY[v, v]::text[] AS texts, n::float8 AS null_float
		FROM (VALUES ('un', 1), ('deux', 2)) AS t(v, n) ORDER BY n`
	var rows []store.DecodedRow
	err = readOne(ctx, conn, query, func(r pgx.Rows) error {
		s := store.NewScanNative(query)
		for {
			rows = append(rows, store.DecodedRow{})
			if err := s.Scan(r, &rows[len(rows)-1]); err != nil {
				return err
			}
			if !r.Next() {
				return r.Err()
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Text != "un" || *rows[0].NullText != "un!" || !reflect.DeepEqual(rows[0].Texts, []string{"un", "un"}) ||
		*rows[0].NullFloat != 1 || rows[1].Text != "deux" || *rows[1].NullText != "deux!" || *rows[1].NullFloat != 2 {
		t.Errorf("rows = %+v", rows)
	}
}

// readOne runs query and calls read on its first row.
func readOne(ctx context.Context, conn *pgx.Conn, query string, read func(pgx.Rows) error, args ...any) error {
	rows, err := conn.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		return rows.Err()
	}
	if err := read(rows); err != nil {
		return err
	}
	rows.Close()
	return rows.Err()
}
