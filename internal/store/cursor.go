package store

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	gojson "github.com/goccy/go-json"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/essdir/essdir/internal/essdir"
)

// keyKind is the type of one sort key, so that a cursor's values are parsed
// back into what the column holds, never compared as text by accident.
type keyKind int

const (
	keyText keyKind = iota
	keyTime
	keyUUID
	keyFloat
	keyInt
)

// sortKey is one column of an order. column is SQL written in this package,
// never taken from a request.
type sortKey[R any] struct {
	column string
	kind   keyKind
	desc   bool
	value  func(*R) any
}

// sortSpec is an order a list may take: its keys, the last of which makes
// the order total (the id).
type sortSpec[R any] struct {
	name essdir.Sort
	keys []sortKey[R]
}

// Key constructors for the common columns.
func textKey[R any](column string, desc bool, v func(*R) string) sortKey[R] {
	return sortKey[R]{column, keyText, desc, func(r *R) any { return v(r) }}
}

func timeKey[R any](column string, desc bool, v func(*R) time.Time) sortKey[R] {
	return sortKey[R]{column, keyTime, desc, func(r *R) any { return v(r).UTC() }}
}

// floatKey orders by a computed number (a relevance, a distance). The
// value goes through JSON exactly (shortest round-trip form), so the next
// page starts strictly after the row that ended this one.
func floatKey[R any](column string, desc bool, v func(*R) float64) sortKey[R] {
	return sortKey[R]{column, keyFloat, desc, func(r *R) any { return v(r) }}
}

// intKey orders by an integer column or expression.
func intKey[R any](column string, desc bool, v func(*R) int64) sortKey[R] {
	return sortKey[R]{column, keyInt, desc, func(r *R) any { return v(r) }}
}

func idKey[R any](desc bool, v func(*R) uuid.UUID) sortKey[R] {
	return sortKey[R]{"id", keyUUID, desc, func(r *R) any { return v(r) }}
}

// cursor is the position after the last row of a page: the next page starts
// strictly after it, so page 10,000 costs what page 1 costs. It is opaque to
// clients (base64url JSON) and names its list and its sort, so that it
// cannot be replayed on another list or under another order.
type cursor struct {
	List string            `json:"l"`
	Sort essdir.Sort       `json:"s"`
	Keys []json.RawMessage `json:"k"`
}

// encode is the cursor after last: the JSON of a cursor, as encoding/json
// writes it (TestCursorEncodingIsEncodingJSONs), written out with
// goccy/go-json's encoder of each value, for this runs on every page.
func (o *sortSpec[R]) encode(list string, last *R) string {
	b := make([]byte, 0, 160)
	b = append(b, `{"l":`...)
	b = appendJSON(b, list)
	b = append(b, `,"s":`...)
	b = appendJSON(b, o.name)
	b = append(b, `,"k":[`...)
	for i, k := range o.keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSON(b, k.value(last))
	}
	b = append(b, "]}"...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// appendJSON appends the JSON of v. A value that does not encode (a NaN
// rank, were there one) is written null, which decode refuses: the next
// page is a 400, as it was when encoding/json's error was ignored, not a
// panic.
func appendJSON(b []byte, v any) []byte {
	j, err := gojson.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, j...)
}

// cursorSort is the sort a cursor was made for ("" when it is unreadable:
// decode then refuses it).
func cursorSort(token string) essdir.Sort {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return ""
	}
	var c cursor
	if json.Unmarshal(b, &c) != nil {
		return ""
	}
	return c.Sort
}

func badCursor() error {
	return &essdir.Error{Code: essdir.EMALFORMED, Message: "the cursor is not valid for this list",
		Fields: []essdir.FieldError{{Field: "cursor", Message: "use the next_cursor of a previous page with the same sort"}}}
}

// decode parses a cursor of this sort into typed key values.
func (o *sortSpec[R]) decode(list, token string) ([]any, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return nil, badCursor()
	}
	c, ok := readCursor(b)
	if !ok {
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, badCursor()
		}
	}
	if c.List != list || c.Sort != o.name || len(c.Keys) != len(o.keys) {
		return nil, badCursor()
	}
	vals := make([]any, len(o.keys))
	for i, k := range o.keys {
		var ok bool
		if vals[i], ok = k.kind.parse(c.Keys[i]); !ok {
			return nil, badCursor()
		}
	}
	return vals, nil
}

// readCursor reads a cursor written as encode writes it, {"l":"…","s":"…",
// "k":[…]} with plain strings (nothing to unescape) and keys that are plain
// strings or numbers, without json.Unmarshal's reflection (half of a deep
// page's cursor decoding). Anything else is json.Unmarshal's (ok false).
func readCursor(b []byte) (c cursor, ok bool) {
	rest, ok := bytes.CutPrefix(b, []byte(`{"l":`))
	if !ok {
		return c, false
	}
	var list, sort []byte
	if list, rest, ok = plainStringPrefix(rest); !ok {
		return c, false
	}
	if rest, ok = bytes.CutPrefix(rest, []byte(`,"s":`)); !ok {
		return c, false
	}
	if sort, rest, ok = plainStringPrefix(rest); !ok {
		return c, false
	}
	if rest, ok = bytes.CutPrefix(rest, []byte(`,"k":[`)); !ok {
		return c, false
	}
	for len(rest) > 0 && rest[0] != ']' {
		if len(c.Keys) > 0 {
			if rest, ok = bytes.CutPrefix(rest, []byte(",")); !ok {
				return c, false
			}
		}
		var key []byte
		if key, rest, ok = plainValuePrefix(rest); !ok {
			return c, false
		}
		c.Keys = append(c.Keys, json.RawMessage(key))
	}
	if string(rest) != "]}" {
		return c, false
	}
	c.List, c.Sort = string(list), essdir.Sort(sort)
	return c, true
}

// plainStringPrefix cuts the JSON string b starts with, when it has nothing
// to unescape, giving its text and what follows.
func plainStringPrefix(b []byte) (text, rest []byte, ok bool) {
	if len(b) < 2 || b[0] != '"' {
		return nil, nil, false
	}
	end := bytes.IndexByte(b[1:], '"') + 1
	if end == 0 {
		return nil, nil, false
	}
	if _, ok := plainJSONString(b[:end+1]); !ok {
		return nil, nil, false
	}
	return b[1:end], b[end+1:], true
}

// plainValuePrefix cuts the key b starts with: a plain string, or a number
// as JSON writes one, quotes included (a key is kept raw for parse).
func plainValuePrefix(b []byte) (value, rest []byte, ok bool) {
	if len(b) > 0 && b[0] == '"' {
		text, rest, ok := plainStringPrefix(b)
		return b[:len(text)+2], rest, ok
	}
	n := 0
	for n < len(b) && strings.IndexByte("-+.eE0123456789", b[n]) >= 0 {
		n++
	}
	if n == 0 || !json.Valid(b[:n]) {
		return nil, nil, false
	}
	return b[:n], b[n:], true
}

// sqlType is the PostgreSQL type of a key of this kind (a sub-select's
// parameters have no type to infer but the one written).
func (k keyKind) sqlType() string {
	switch k {
	case keyFloat:
		return "float8"
	case keyTime:
		return "timestamptz"
	case keyUUID:
		return "uuid"
	case keyInt:
		return "int8"
	default:
		return "text"
	}
}

func (k keyKind) parse(raw json.RawMessage) (any, bool) {
	if string(raw) == "null" { // json.Unmarshal leaves the zero value: "", 0, year 1
		return nil, false
	}
	switch k {
	case keyFloat:
		var f float64
		return f, json.Unmarshal(raw, &f) == nil
	case keyInt:
		var n int64
		return n, json.Unmarshal(raw, &n) == nil
	case keyTime:
		var t time.Time
		return t, json.Unmarshal(raw, &t) == nil
	case keyUUID:
		if s, ok := plainJSONString(raw); ok {
			id, err := uuid.Parse(s)
			return id, err == nil && id != uuid.Nil
		}
		var id uuid.UUID
		return id, json.Unmarshal(raw, &id) == nil && id != uuid.Nil
	default:
		if s, ok := plainJSONString(raw); ok {
			return s, true
		}
		var s string
		ok := json.Unmarshal(raw, &s) == nil && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
		return s, ok
	}
}

// plainJSONString reads a JSON string with nothing to unescape (no
// backslash, no control character, valid UTF-8): what json.Unmarshal would
// read, without its reflection, for the text and id keys of nearly every
// cursor. Anything else is json.Unmarshal's (ok false).
func plainJSONString(raw json.RawMessage) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	body := raw[1 : len(raw)-1]
	for _, b := range body {
		if b < 0x20 || b == '"' || b == '\\' {
			return "", false
		}
	}
	if !utf8.Valid(body) {
		return "", false
	}
	return string(body), true
}

// apply orders q and, with a cursor, starts it after the cursor's row. Keys
// all in one direction compare as one row value, which an index on the same
// columns serves; mixed directions expand into (a > x) OR (a = x AND b > y)…
func (o *sortSpec[R]) apply(q *gorm.DB, list, token string) (*gorm.DB, error) {
	q, err := o.startAfter(q, list, token)
	if err != nil {
		return nil, err
	}
	return q.Order(o.orderBy()), nil
}

// resultColumns are the columns of a read's result that hold the order's
// keys, the ones a cursor is made of: each key's column when it is a plain
// name (a result without one is read whole: scanColumns), none when a key
// is an expression.
func (o *sortSpec[R]) resultColumns() []string {
	names := make([]string, len(o.keys))
	for i, k := range o.keys {
		for _, c := range k.column {
			if !(c == '_' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9') {
				return nil
			}
		}
		names[i] = k.column
	}
	return names
}

// orderBy is the ORDER BY list of the order's keys.
func (o *sortSpec[R]) orderBy() string {
	order := make([]string, len(o.keys))
	for i, k := range o.keys {
		order[i] = k.column
		if k.desc {
			order[i] += " DESC"
		}
	}
	return strings.Join(order, ", ")
}

// startAfter is apply without the order: the rows strictly after the
// cursor's row (all of them without a cursor).
func (o *sortSpec[R]) startAfter(q *gorm.DB, list, token string) (*gorm.DB, error) {
	if token == "" {
		return q, nil
	}
	sql, args, err := o.afterCursor(list, token)
	if err != nil {
		return nil, err
	}
	return q.Where(sql, args...), nil
}

// afterCursor is the condition "strictly after the cursor's row" (after),
// from the cursor of a list of this order.
func (o *sortSpec[R]) afterCursor(list, token string) (string, []any, error) {
	sameDir := true
	for _, k := range o.keys {
		sameDir = sameDir && k.desc == o.keys[0].desc
	}
	vals, err := o.decode(list, token)
	if err != nil {
		return "", nil, err
	}
	sql, args := o.after(vals, sameDir)
	return sql, args, nil
}

// after is the condition "strictly after the row with these key values".
//
// With keys in one direction, the values come from a sub-select, (name,
// id) > (SELECT $1::text, $2::uuid), which PostgreSQL runs once as an
// InitPlan before the scan: the index still starts at the cursor's row,
// but the plan no longer depends on the values. Written as (name, id) >
// ($1, $2), each value's selectivity made the plan of a deep page look
// cheaper than the generic plan of the prepared statement (20 against 46
// on the 1M set), so PostgreSQL planned every page anew: 0.15–0.2 ms of
// planning for a page that takes 0.1 ms to read, twice the cost of page 1
// (whose statement has no parameter, hence one cached plan). Through the
// InitPlan the generic plan is chosen after five executions, as for page 1.
func (o *sortSpec[R]) after(vals []any, sameDir bool) (string, []any) {
	cmp := func(k sortKey[R]) string {
		if k.desc {
			return "<"
		}
		return ">"
	}
	if sameDir {
		cols := make([]string, len(o.keys))
		marks := make([]string, len(o.keys))
		for i, k := range o.keys {
			cols[i], marks[i] = k.column, "?::"+k.kind.sqlType()
		}
		sql := "(" + strings.Join(cols, ", ") + ") " + cmp(o.keys[0]) + " (SELECT " + strings.Join(marks, ", ") + ")"
		return sql, vals
	}
	var ors []string
	var args []any
	for i, k := range o.keys {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, o.keys[j].column+" = ?")
			args = append(args, vals[j])
		}
		ands = append(ands, k.column+" "+cmp(k)+" ?")
		args = append(args, vals[i])
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")", args
}
