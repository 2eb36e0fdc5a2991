package store

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// The cursor written out is the one encoding/json writes for the same
// values, so that every cursor a client holds reads as it always did.
func TestCursorEncodingIsEncodingJSONs(t *testing.T) {
	type row struct {
		text string
		at   time.Time
		f    float64
		n    int64
		id   uuid.UUID
	}
	order := &sortSpec[row]{name: "test", keys: []sortKey[row]{
		textKey[row]("t", false, func(r *row) string { return r.text }),
		timeKey[row]("a", true, func(r *row) time.Time { return r.at }),
		floatKey[row]("f", false, func(r *row) float64 { return r.f }),
		intKey[row]("n", false, func(r *row) int64 { return r.n }),
		idKey[row](false, func(r *row) uuid.UUID { return r.id }),
	}}
	paris := time.FixedZone("CET", 3600)
	rows := []row{
		{"La Bouscule", time.Date(2024, 11, 28, 9, 30, 0, 0, time.UTC), 0.1, 1, uuid.MustParse("3f93cdaf-1dda-5927-b69c-a9a1c6513dec")},
		{`<script>&"quote"\ é 💚 ` + "\u2028\x01", time.Date(1, 1, 1, 0, 0, 0, 123456789, paris), 1e21, math.MaxInt64, uuid.Nil},
		{"", time.Date(2026, 12, 6, 23, 0, 0, 1, paris), 1e-7, -42, uuid.New()},
		{"Économie", time.Time{}, 123456789.25, 0, uuid.New()},
		{"x", time.Now(), -4.48, math.MinInt64, uuid.New()},
	}
	for i, r := range rows {
		c := cursor{List: "structures", Sort: order.name, Keys: make([]json.RawMessage, len(order.keys))}
		for i, k := range order.keys {
			c.Keys[i], _ = json.Marshal(k.value(&r))
		}
		want, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := base64.RawURLEncoding.DecodeString(order.encode("structures", &r))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("cursor of %+v:\n got %s\nwant %s", r, got, want)
		}
		// The second row's values (year 0 in UTC, a control character) are
		// no stored row's: decode refuses them, as it always did.
		if _, err := order.decode("structures", base64.RawURLEncoding.EncodeToString(got)); (err != nil) != (i == 1) {
			t.Errorf("cursor of %+v decodes: %v", r, err)
		}
	}
}

// A cursor's text and id keys read as json.Unmarshal read them, with or
// without the fast path.
func TestCursorKeysReadAsEncodingJSON(t *testing.T) {
	old := func(k keyKind, raw json.RawMessage) (any, bool) {
		if string(raw) == "null" {
			return nil, false
		}
		if k == keyUUID {
			var id uuid.UUID
			return id, json.Unmarshal(raw, &id) == nil && id != uuid.Nil
		}
		var s string
		ok := json.Unmarshal(raw, &s) == nil && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
		return s, ok
	}
	for _, raw := range []string{
		`"La Bouscule"`, `""`, `"Économie"`, `"a\"b"`, `"a\\b"`, `"\u00e9"`, `"tab	here"`, "\"nul\x00\"", `"\u0000"`,
		"\"bad \xff utf8\"", `"<&>"`, `"💚"`, `"unterminated`, `unquoted`, `123`, `null`, `"a"b"`, `"`, `"x" `,
		`"3f93cdaf-1dda-5927-b69c-a9a1c6513dec"`, `"00000000-0000-0000-0000-000000000000"`, `"urn:uuid:3f93cdaf-1dda-5927-b69c-a9a1c6513dec"`,
		`"{3f93cdaf-1dda-5927-b69c-a9a1c6513dec}"`, `"3f93cdaf1dda5927b69ca9a1c6513dec"`, `"3f93cdaf-1dda-5927-b69c-a9a1c6513de"`, `"3F93CDAF-1DDA-5927-B69C-A9A1C6513DEC"`,
	} {
		for _, k := range []keyKind{keyText, keyUUID} {
			got, gotOK := k.parse(json.RawMessage(raw))
			want, wantOK := old(k, json.RawMessage(raw))
			if gotOK != wantOK || (wantOK && got != want) {
				t.Errorf("kind %d, %q: got %#v %v, want %#v %v", k, raw, got, gotOK, want, wantOK)
			}
		}
	}
}

// A key that does not encode (a NaN) makes a cursor the next page refuses,
// not a panic.
func TestCursorOfAValueThatDoesNotEncode(t *testing.T) {
	type row struct{ f float64 }
	order := &sortSpec[row]{name: "test", keys: []sortKey[row]{floatKey[row]("f", false, func(r *row) float64 { return r.f })}}
	token := order.encode("structures", &row{math.NaN()})
	if _, err := order.decode("structures", token); err == nil {
		t.Fatal("a cursor of NaN decodes")
	}
}

// The columns a known page's last row is read for are its order's keys,
// or the whole row when a key is not a plain column.
func TestSortResultColumns(t *testing.T) {
	for _, o := range structures.sorts {
		got := o.resultColumns()
		if len(got) != len(o.keys) || got[len(got)-1] != "id" {
			t.Errorf("%s: %v", o.name, got)
		}
	}
	expr := &sortSpec[structureRow]{name: "x", keys: []sortKey[structureRow]{textKey[structureRow]("lower(name)", false, func(r *structureRow) string { return r.Name })}}
	if got := expr.resultColumns(); got != nil {
		t.Errorf("an expression key reads %v", got)
	}
}

// FuzzReadCursor: what the fast reading of a cursor accepts, json.Unmarshal
// reads the same (the seeds run with go test; go test -fuzz explores).
func FuzzReadCursor(f *testing.F) {
	for _, s := range []string{
		`{"l":"structures","s":"name","k":["La Bouscule","3f93cdaf-1dda-5927-b69c-a9a1c6513dec"]}`,
		`{"l":"structures","s":"-updated_at","k":["2024-11-28T09:30:00.123456789Z","3f93cdaf-1dda-5927-b69c-a9a1c6513dec"]}`,
		`{"l":"structures","s":"relevance","k":[1.2345e-7,"3f93cdaf-1dda-5927-b69c-a9a1c6513dec"]}`,
		`{"l":"structures","s":"shuffle","k":[-42,"x"]}`,
		`{"l":"events","s":"starts_at","k":[]}`,
		`{"l":"a","s":"b","k":[],"l":"c"}`, `{"l":"a","s":"b","k":[null]}`, `{"l":"a","s":"b","k":["\u00e9"]}`,
		`{"l":"a","s":"b","k":[1,]}`, `{"l":"a","s":"b","k":[01]}`, `{"l":"a","s":"b","k":[-]}`, `{"l":"a","s":"b","k":["a"]} `,
		`{"L":"a","s":"b","k":[]}`, "{\"l\":\"\xff\",\"s\":\"b\",\"k\":[]}", `{"l":"a","s":"b","k":[true]}`, `{"l":"a","s":"b","k":[[1]]}`,
		`{"l":"a","s":"b","k":["a""b"]}`, `{"l":"a","s":"b","k":[1e400]}`, `{"l":"a","s":"b","k":[1.5E+3]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := readCursor(b)
		if !ok {
			return
		}
		var want cursor
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("%q: read fast, refused by json.Unmarshal: %v", b, err)
		}
		if got.List != want.List || got.Sort != want.Sort || len(got.Keys) != len(want.Keys) {
			t.Fatalf("%q: read %+v, json.Unmarshal %+v", b, got, want)
		}
		for i := range got.Keys {
			if string(got.Keys[i]) != string(want.Keys[i]) {
				t.Fatalf("%q: key %d %s, json.Unmarshal %s", b, i, got.Keys[i], want.Keys[i])
			}
		}
	})
}

// The cursors encode writes are read fast.
func TestReadCursorReadsEncodedCursors(t *testing.T) {
	for _, o := range structures.sorts {
		row := structureRow{Name: "Économie \"solidaire\" <&>", UpdatedAt: time.Now()}
		row.ID = uuid.New()
		b, _ := base64.RawURLEncoding.DecodeString(o.encode("structures", &row))
		if _, ok := readCursor(b); !ok && !strings.Contains(string(b), `\`) {
			t.Errorf("%s: %s not read fast", o.name, b)
		}
		if _, err := o.decode("structures", base64.RawURLEncoding.EncodeToString(b)); err != nil {
			t.Errorf("%s: %s: %v", o.name, b, err)
		}
	}
}
