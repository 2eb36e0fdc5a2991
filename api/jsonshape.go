package api

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/essdir/essdir/internal/essdir"
)

// maxJSONDepth is the deepest nesting of objects and arrays a body may have.
const maxJSONDepth = 32

// errNotJSON stops the shape check at a syntax error: the decoder that
// reads the body next reports it, with its offset.
var errNotJSON = errors.New("not JSON")

// checkJSON refuses the bodies that encoding/json would read ambiguously or
// at a cost out of proportion: a key twice in one object (the decoder keeps
// the last, a proxy or a log may have believed the first; keys that differ
// only by case count as the same, since the decoder matches fields so),
// nesting deeper than maxJSONDepth, invalid UTF-8, and \u escapes of lone
// surrogates (both of which the decoder silently turns into U+FFFD). It reads
// the first JSON value of body in one pass, never deeper than maxJSONDepth
// calls, so a body of 8,000 brackets costs 33 steps. Syntax errors are left
// to the decoder.
func checkJSON(body []byte) error {
	_, err := checkJSONKeys(body)
	return err
}

// checkJSONKeys is checkJSON, and says as well whether every member name
// of the body is plain: lower-case ASCII letters, digits and underscores.
// Then none can match a field of snake_case names only when case is
// ignored, and exactNames has nothing to look for.
func checkJSONKeys(body []byte) (plain bool, err error) {
	s := shapeScanner{b: body, plain: true}
	if err := s.value("", 0); err != nil && !errors.Is(err, errNotJSON) {
		return false, err
	}
	return s.plain, nil
}

type shapeScanner struct {
	b     []byte
	i     int
	plain bool // every key so far is plain (checkJSONKeys)
}

func (s *shapeScanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// value checks the value at s.i; path names it for error messages and
// depth counts the containers around it.
func (s *shapeScanner) value(path string, depth int) error {
	s.space()
	if s.i >= len(s.b) {
		return errNotJSON
	}
	switch s.b[s.i] {
	case '{', '[':
		if depth >= maxJSONDepth {
			return malformed(fieldOrBody(path), "the JSON nests deeper than %d levels", maxJSONDepth)
		}
		if s.b[s.i] == '{' {
			return s.object(path, depth+1)
		}
		return s.array(path, depth+1)
	case '"':
		_, _, err := s.scanStr(path)
		return err
	}
	// A number or a literal: the decoder checks its syntax. Anything else
	// (a byte no JSON value starts with, such as whitespace JSON does not
	// know: \v, U+00A0, U+3000) is no value: refused here, not skipped, so
	// that what follows it is never left unchecked.
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '-' || c == '+' || c == '.' || c == 'E') {
			break
		}
		s.i++
	}
	if s.i == start {
		return errNotJSON
	}
	return nil
}

func (s *shapeScanner) object(path string, depth int) error {
	s.i++ // {
	var seen keySet
	for first := true; ; first = false {
		s.space()
		if s.i >= len(s.b) {
			return errNotJSON
		}
		if s.b[s.i] == '}' && first {
			s.i++
			return nil
		}
		if s.b[s.i] != '"' {
			return errNotJSON
		}
		key, err := s.str(path)
		if err != nil {
			return err
		}
		field := key
		if path != "" {
			field = path + "." + key
		}
		if s.plain && !plainName(key) {
			s.plain = false
		}
		if seen.add(key) {
			return malformed(field, "the key %q appears more than once in the same object", key)
		}
		s.space()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return errNotJSON
		}
		s.i++
		if err := s.value(field, depth); err != nil {
			return err
		}
		s.space()
		if s.i >= len(s.b) {
			return errNotJSON
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return errNotJSON
		}
	}
}

func (s *shapeScanner) array(path string, depth int) error {
	s.i++ // [
	for n := 0; ; n++ {
		s.space()
		if s.i >= len(s.b) {
			return errNotJSON
		}
		if s.b[s.i] == ']' && n == 0 {
			s.i++
			return nil
		}
		if err := s.value(path+"["+strconv.Itoa(n)+"]", depth); err != nil {
			return err
		}
		s.space()
		if s.i >= len(s.b) {
			return errNotJSON
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return errNotJSON
		}
	}
}

// str checks the string at s.i and returns its decoded text.
func (s *shapeScanner) str(path string) (string, error) {
	start, escaped, err := s.scanStr(path)
	if err != nil {
		return "", err
	}
	raw := s.b[start:s.i]
	if !escaped {
		return string(raw[1 : len(raw)-1]), nil
	}
	var out string
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", errNotJSON
	}
	return out, nil
}

// scanStr checks the string at s.i, without decoding it (a value's text is
// not needed): it returns where it starts and whether it has escapes, and
// leaves s.i after it.
func (s *shapeScanner) scanStr(path string) (start int, escaped bool, err error) {
	start = s.i
	s.i++ // "
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return start, escaped, nil
		case c == '\\':
			escaped = true
			if s.i+1 >= len(s.b) {
				return 0, false, errNotJSON
			}
			if s.b[s.i+1] != 'u' {
				// An escape JSON does not have is a syntax error, left to the
				// decoder as the others are (the text is not decoded here).
				if !strings.ContainsRune(`"\\/bfnrt`, rune(s.b[s.i+1])) {
					return 0, false, errNotJSON
				}
				s.i += 2
				continue
			}
			r, ok := s.hex4(s.i + 2)
			if !ok {
				return 0, false, errNotJSON
			}
			s.i += 6
			switch {
			case r >= 0xDC00 && r <= 0xDFFF:
				return 0, false, malformed(fieldOrBody(path), "a string has a lone surrogate (\\u%04x)", r)
			case r >= 0xD800 && r <= 0xDBFF:
				low, ok := rune(0), false
				if s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
					low, ok = s.hex4(s.i + 2)
				}
				if !ok || low < 0xDC00 || low > 0xDFFF {
					return 0, false, malformed(fieldOrBody(path), "a string has a lone surrogate (\\u%04x)", r)
				}
				s.i += 6
			}
		case c < 0x20:
			return 0, false, errNotJSON
		case c < utf8.RuneSelf:
			s.i++
		default:
			r, size := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && size == 1 {
				return 0, false, malformed(fieldOrBody(path), "a string is not valid UTF-8 (byte %d)", s.i)
			}
			s.i += size
		}
	}
	return 0, false, errNotJSON
}

// hex4 reads the four hex digits of a \u escape at b[at:].
func (s *shapeScanner) hex4(at int) (rune, bool) {
	if at+4 > len(s.b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(s.b[at:at+4]), 16, 32)
	return rune(n), err == nil
}

// keySet is the keys of an object, as encoding/json matches keys:
// regardless of case (foldKey). An object's first keys are kept in a list
// (an item has a handful: a list is cheaper than a map, and two plain keys
// are compared without folding); past them, in a map of their folded
// forms, so that an object of many keys costs each key one look, not one
// per key before it (20,000 keys: 34 s of CPU for one 200 KB body).
type keySet struct {
	list   []string
	folded map[string]bool
}

// keySetList is how many keys an object keeps in its list.
const keySetList = 16

// add adds key, and tells whether the set held it already.
func (k *keySet) add(key string) (held bool) {
	if k.folded == nil && len(k.list) < keySetList {
		if sameKeyIn(k.list, key) {
			return true
		}
		k.list = append(k.list, key)
		return false
	}
	if k.folded == nil {
		k.folded = make(map[string]bool, 4*keySetList)
		for _, x := range k.list {
			k.folded[foldKey(x)] = true
		}
	}
	f := foldKey(key)
	held = k.folded[f]
	k.folded[f] = true
	return held
}

// sameKeyIn tells whether keys holds key, as encoding/json matches keys:
// regardless of case (foldKey). Two plain keys (plainName) match only when
// equal, which spares most comparisons the folding.
func sameKeyIn(keys []string, key string) bool {
	plain := plainName(key)
	for _, k := range keys {
		if k == key || (!plain || !plainName(k)) && foldKey(k) == foldKey(key) {
			return true
		}
	}
	return false
}

// foldKey is the form under which encoding/json matches a key to a field
// (case-insensitively, with Unicode simple folding).
func foldKey(k string) string {
	out := make([]rune, 0, len(k))
	for _, r := range k {
		out = append(out, unicode.ToUpper(unicode.ToLower(r)))
	}
	return string(out)
}

func fieldOrBody(path string) string {
	if path == "" {
		return "(body)"
	}
	return path
}

// shapeMessage is the client-safe text of a checkJSON refusal.
func shapeMessage(err error) string {
	var e *essdir.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "the body is not valid JSON"
}

// plainName tells a member name of lower-case ASCII letters, digits and
// underscores.
func plainName(name string) bool {
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
