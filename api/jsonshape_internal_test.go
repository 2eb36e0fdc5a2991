package api

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/essdir/essdir/internal/essdir"
)

func TestCheckJSON(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	tests := []struct {
		name, body string
		field      string // "" when the body passes
	}{
		{"Plain", `{"a": 1, "b": [true, null, -1.5e3, "x"], "c": {"d": "é\u00e9\ud83d\ude00"}}`, ""},
		{"SameKeyInSiblingObjects", `{"a": {"k": 1}, "b": {"k": 2}, "c": [{"k": 1}, {"k": 2}]}`, ""},
		{"Depth32", `{"a": ` + deep(31) + `}`, ""},
		{"SyntaxErrorLeftToTheDecoder", `{"a": }`, ""},
		{"ErrDuplicateKey", `{"name": "a", "name": "b"}`, "name"},
		{"ErrDuplicateKeyDeep", `{"address": {"city": "a", "city": "b"}}`, "address.city"},
		{"ErrDuplicateKeyInArray", `{"contacts": [{"name": "a"}, {"name": "b", "name": "c"}]}`, "contacts[1].name"},
		{"ErrDuplicateKeyEscaped", `{"name": "a", "n\u0061me": "b"}`, "name"},
		{"ErrDuplicateKeyOtherCase", `{"name": "a", "NAME": "b"}`, "NAME"},
		{"ErrDepth33", `{"a": ` + deep(32) + `}`, "a" + strings.Repeat("[0]", 31)},
		{"ErrDepth8000", deep(8000), strings.Repeat("[0]", 32)},
		{"ErrInvalidUTF8", "{\"name\": \"a\xffb\"}", "name"},
		{"ErrInvalidUTF8InKey", "{\"n\xc3\": 1}", "(body)"},
		{"ErrEncodedSurrogate", "{\"name\": \"\xed\xa0\x80\"}", "name"},
		{"ErrLoneHighSurrogate", `{"name": "\ud800"}`, "name"},
		{"ErrHighSurrogateThenOther", `{"name": "\ud800\u0041"}`, "name"},
		{"ErrLoneLowSurrogate", `{"name": "x\udc00"}`, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkJSON([]byte(tt.body))
			if tt.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var e *essdir.Error
			if err == nil || essdir.ErrorCode(err) != essdir.EMALFORMED {
				t.Fatalf("error = %v, want a malformed-body error", err)
			}
			e = err.(*essdir.Error)
			if len(e.Fields) != 1 || e.Fields[0].Field != tt.field {
				t.Errorf("fields = %+v, want %q", e.Fields, tt.field)
			}
		})
	}
}

// TestCheckJSONDepthIsBounded: an 8,000-deep body is refused after reading
// its first 33 brackets, not after walking it (no timing asserted).
func TestCheckJSONDepthIsBounded(t *testing.T) {
	body := []byte(strings.Repeat("[", 8000) + strings.Repeat("]", 8000))
	s := shapeScanner{b: body}
	if err := s.value("", 0); err == nil {
		t.Fatal("accepted")
	}
	if s.i > maxJSONDepth+1 {
		t.Errorf("read %d bytes before refusing", s.i)
	}
}

// manyKeys is an object of n distinct keys named prefix0, prefix1…, and
// then, when again is set, its key again in another case.
func manyKeys(n int, prefix, again string) []byte {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, "%q:0,", prefix+strconv.Itoa(i))
	}
	if again != "" {
		fmt.Fprintf(&b, "%q:0,", again)
	}
	b.WriteString(`"end":0}`)
	return []byte(b.String())
}

// TestCheckJSONManyKeys: a repeated key is found however many keys an
// object has, regardless of case as encoding/json matches them, and an
// object of many keys costs each key one look: the allocations of 20,000
// keys are about ten times those of 2,000 (each key compared with every
// key before it, they were a hundred times; one 200 KB body took 34 s of
// CPU), counted, not timed.
func TestCheckJSONManyKeys(t *testing.T) {
	for _, c := range []struct {
		n             int
		prefix, again string
	}{{3, "a", "A1"}, {20, "a", "A17"}, {20, "A", "a3"}, {5000, "a", "A4321"}, {5000, "Key", "KEY12"}, {5000, "k", "K7"}} {
		if err := checkJSON(manyKeys(c.n, c.prefix, c.again)); err == nil || !strings.Contains(err.Error(), "more than once") {
			t.Errorf("%d keys %s…, then %q: %v, want the key refused", c.n, c.prefix, c.again, err)
		}
		if err := checkJSON(manyKeys(c.n, c.prefix, "")); err != nil {
			t.Errorf("%d keys %s…: %v", c.n, c.prefix, err)
		}
	}
	for _, prefix := range []string{"a", "A"} {
		small, large := manyKeys(2000, prefix, ""), manyKeys(20000, prefix, "")
		perSmall := testing.AllocsPerRun(3, func() { _ = checkJSON(small) })
		perLarge := testing.AllocsPerRun(3, func() { _ = checkJSON(large) })
		if perLarge > 15*perSmall {
			t.Errorf("keys %s…: %.0f allocations for 2,000 keys, %.0f for 20,000", prefix, perSmall, perLarge)
		}
	}
}

func BenchmarkCheckJSONDeep(b *testing.B) {
	body := []byte(strings.Repeat(`{"a":`, 8000) + "1" + strings.Repeat("}", 8000))
	for b.Loop() {
		if checkJSON(body) == nil {
			b.Fatal("accepted")
		}
	}
}
