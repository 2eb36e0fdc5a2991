package store

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/jackc/pgx/v5/pgtype"
)

// typeMaps lend pgtype.Maps to Value and Scan: a Map caches the plans it
// makes in plain maps, so one shared by concurrent requests crashed the
// process ("concurrent map writes") when two first used a type at once.
var typeMaps = sync.Pool{New: func() any { return pgtype.NewMap() }}

// textArray stores a []string in a PostgreSQL text[] column.
type textArray []string

// keyArray passes a slice as one array parameter of a raw statement (gorm
// would spread a slice into a list) that pgx sends in its binary form: a
// batch's keys, slugs and candidates, thousands a batch, without
// textArray's quoting into an array literal first.
func keyArray[T any](xs []T) pgtype.Array[T] {
	return pgtype.Array[T]{Elements: xs, Dims: []pgtype.ArrayDimension{{Length: int32(len(xs)), LowerBound: 1}}, Valid: true}
}

// Value encodes the array in PostgreSQL's text format.
func (a textArray) Value() (driver.Value, error) {
	if a == nil {
		a = textArray{}
	}
	m := typeMaps.Get().(*pgtype.Map)
	defer typeMaps.Put(m)
	buf, err := m.Encode(pgtype.TextArrayOID, pgtype.TextFormatCode, []string(a), nil)
	if err != nil {
		return nil, err
	}
	return string(buf), nil
}

// Scan decodes a text[] value.
func (a *textArray) Scan(src any) error {
	var out []string
	m := typeMaps.Get().(*pgtype.Map)
	defer typeMaps.Put(m)
	if err := m.SQLScanner(&out).Scan(src); err != nil {
		return err
	}
	*a = out
	return nil
}

// jsonList stores a slice of T in a jsonb column.
type jsonList[T any] []T

// Value encodes the list as JSON, never as null.
func (l jsonList[T]) Value() (driver.Value, error) {
	if l == nil {
		return "[]", nil
	}
	b, err := json.Marshal([]T(l))
	return string(b), err
}

// Scan decodes a jsonb value.
func (l *jsonList[T]) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case []byte:
		b = v
	case string:
		b = []byte(v)
	case nil:
		*l = nil
		return nil
	default:
		return fmt.Errorf("jsonList: cannot scan %T", src)
	}
	if len(b) == 2 && b[0] == '[' && b[1] == ']' { // the common case: nothing to decode
		*l = jsonList[T]{}
		return nil
	}
	return json.Unmarshal(b, (*[]T)(l))
}

// scanJSON decodes a jsonb document read natively (decode.go), with
// goccy/go-json: these documents are the API's own (written by Value), and
// it reads them with a fraction of encoding/json's allocations (TestDecodeRow*
// compares the two readings).
func (l *jsonList[T]) scanJSON(b []byte) error {
	if len(b) == 2 && b[0] == '[' && b[1] == ']' {
		*l = jsonList[T]{}
		return nil
	}
	*l = nil
	return gojson.Unmarshal(b, (*[]T)(l))
}

// date stores a calendar date ("2024-11-28"; "" is NULL) in a date column,
// as text both ways, so that no time zone ever moves it to another day.
type date string

// Value writes the date as text; PostgreSQL reads it as a date.
func (d date) Value() (driver.Value, error) {
	if d == "" {
		return nil, nil
	}
	return string(d), nil
}

// Scan reads a date column, which pgx gives as a time at midnight UTC.
func (d *date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = ""
	case time.Time:
		*d = date(v.Format(time.DateOnly))
	case string:
		*d = date(v)
	case []byte:
		*d = date(v)
	default:
		return fmt.Errorf("date: cannot scan %T", src)
	}
	return nil
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// deref reads a nullable column: NULL is the zero value.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func toStrings[T ~string](in []T) textArray {
	out := make(textArray, len(in))
	for i, v := range in {
		out[i] = string(v)
	}
	return out
}

func fromStrings[T ~string](in textArray) []T {
	out := make([]T, len(in))
	for i, v := range in {
		out[i] = T(v)
	}
	return out
}
