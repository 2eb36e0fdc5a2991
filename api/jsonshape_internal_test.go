package api

import (
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

func BenchmarkCheckJSONDeep(b *testing.B) {
	body := []byte(strings.Repeat(`{"a":`, 8000) + "1" + strings.Repeat("}", 8000))
	for b.Loop() {
		if checkJSON(body) == nil {
			b.Fatal("accepted")
		}
	}
}
