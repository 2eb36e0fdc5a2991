package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/labstack/echo/v4"
)

// withBody encodes a response body (the tagged ones: records, pages,
// reference data) into a pooled buffer and hands it to write, which must
// not keep it. The encoder is goccy/go-json, which writes the bytes
// encoding/json writes (same HTML-safe escaping, field rules and
// MarshalJSON/MarshalText methods; TestBodyMatchesEncodingJSON) in a third
// of the time: on a page of 20 structures encoding/json was the largest cost
// of the request after the database. Request bodies are still read by
// encoding/json, whose errors the API's messages are written for.
func withBody(v any, write func(body []byte) error) error {
	buf := bodyBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledBody { // an export-sized body is left to the GC
			bodyBuffers.Put(buf)
		}
	}()
	buf.Reset()
	if err := gojson.NewEncoder(buf).Encode(v); err != nil {
		return err
	}
	return write(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))) // Encode ends the value with a newline
}

var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBody is the largest buffer kept for reuse (a page of 100
// structures with their relations is far below it).
const maxPooledBody = 1 << 20

// readBody reads the whole request body, within the body limit.
func readBody(c echo.Context) ([]byte, error) {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return nil, he // the body limit's 413
		}
		return nil, malformed("", "the request body could not be read")
	}
	return body, nil
}

// decodeStrict reads a JSON object into v, refusing unknown fields, trailing
// data and anything that is not an object, each with a message that says
// what to fix.
func decodeStrict(body []byte, v any) error {
	plain, err := checkJSONKeys(body)
	if err != nil {
		return err
	}
	return decodeChecked(body, v, plain)
}

// decodeChecked is decodeStrict for a body checkJSONKeys already passed
// (an item of a bulk body checked whole); plain is what it said.
func decodeChecked(body []byte, v any, plain bool) error {
	trimmed := trimJSONSpace(body)
	if len(trimmed) == 0 {
		return malformed("", "the request body is empty")
	}
	if trimmed[0] != '{' {
		return malformed("", "the request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return malformed("", "the request body has data after the JSON object")
	}
	if plain && plainNames(reflect.TypeOf(v)) {
		return nil // no name can match a field only when case is ignored
	}
	return exactNames(trimmed, reflect.TypeOf(v), "")
}

// trimJSONSpace cuts the whitespace JSON allows around a value (space,
// tab, line feed, carriage return) off b, and nothing else: other spaces
// (\v, \f, U+00A0, U+3000…) are no JSON, and a body they open is refused
// rather than read from what follows them unchecked.
func trimJSONSpace(b []byte) []byte {
	return bytes.Trim(b, " \t\n\r")
}

var plainTypes sync.Map // reflect.Type → bool

// plainNames tells whether every JSON field name of t, and of the types
// it holds, is plain (plainName), so that a plain member name matches a
// field only by being its name.
func plainNames(t reflect.Type) bool {
	if p, ok := plainTypes.Load(t); ok {
		return p.(bool)
	}
	plainTypes.Store(t, true) // a recursive type: assumed plain until shown not
	plain := true
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		plain = plainNames(t.Elem())
	case reflect.Struct:
		for name, field := range jsonFields(t) {
			if !plainName(name) || !plainNames(field) {
				plain = false
			}
		}
	}
	plainTypes.Store(t, plain)
	return plain
}

// exactNames refuses a member whose name matches a field only when case is
// ignored: encoding/json would take {"NAME": …} or {"Status": null} for name
// and status, while field names are snake_case and an unknown one is a 400.
// Type errors were reported by the decoder already.
func exactNames(raw []byte, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Struct && t != reflect.TypeOf(time.Time{}):
		var members map[string]json.RawMessage
		if json.Unmarshal(raw, &members) != nil {
			return nil
		}
		fields := jsonFields(t)
		for name, value := range members {
			field, ok := fields[name]
			if !ok {
				return malformed(path+name, "unknown field %q (field names are snake_case)", path+name)
			}
			if err := exactNames(value, field, path+name+"."); err != nil {
				return err
			}
		}
	case t == rawMessage || ((t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && t.Elem() == rawMessage):
		// Raw members are read, and checked, by whoever decodes them later
		// (the items of a bulk body, one by one).
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && t.Elem().Kind() != reflect.Uint8:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return nil
		}
		for i, item := range items {
			if err := exactNames(item, t.Elem(), fmt.Sprintf("%s[%d].", strings.TrimSuffix(path, "."), i)); err != nil {
				return err
			}
		}
	}
	return nil
}

var rawMessage = reflect.TypeFor[json.RawMessage]()

// fieldsOfType caches jsonFields: a bulk body asks it for every item.
var fieldsOfType sync.Map // reflect.Type → map[string]reflect.Type

// jsonFields maps the JSON names of a struct's fields (promoted ones
// included) to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if f, ok := fieldsOfType.Load(t); ok {
		return f.(map[string]reflect.Type)
	}
	out := map[string]reflect.Type{}
	defer fieldsOfType.Store(t, out)
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var parse *time.ParseError
	switch {
	case errors.As(err, &syntax):
		return malformed("", "the request body is not valid JSON (error at byte %d)", syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return malformed("", "the request body is truncated JSON")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return malformed(field, "%s must be %s", field, jsonKind(typ.Type))
	case errors.As(err, &parse):
		return malformed("", "a timestamp is not in RFC 3339 format (2024-11-28T14:00:00+01:00)")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return malformed(name, "unknown field %q", name)
	}
	return malformed("", "the request body is not valid JSON")
}

// jsonKind names the JSON type a Go type is read from, for error messages
// that speak the client's language rather than Go's.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "of another type"
	}
	if t == reflect.TypeOf(time.Time{}) {
		return "an RFC 3339 timestamp"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "of another type"
}
