package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
	"github.com/essdir/essdir/internal/parallel"
)

// readBulkItems reads the items of a bulk body. Reading 1,000 items is
// ~5 % of a bulk request's time, before its batch starts, so it is done on
// every core: the body is cut into its items (splitItems, or the lines of
// NDJSON) and each item is checked and decoded on its own. A JSON body that
// cannot be cut so, or an item that is not well-formed, is read the
// thorough way instead (bulkItems: the whole body checked and decoded at
// once), whose answer — a 400 at the body's first fault — is the one given.
func readBulkItems[D, In any, PI interface {
	*In
	input[D]
}](c echo.Context, body []byte) ([]essdir.BulkItem[D], error) {
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	raws, depth := splitItems(body), 2 // inside {"items": [...]}
	if mt == mimeNDJSON {
		raws, depth = ndjsonLines(body), 0
	}
	if raws != nil && len(raws) <= essdir.MaxBulkItems {
		if items, ok, err := decodeSplitItems[D, In, PI](raws, depth); ok {
			return items, err
		}
	}
	raws, plain, err := bulkItems(c, body)
	if err != nil {
		return nil, err
	}
	return decodeItems[D, In, PI](raws, plain)
}

// decodeSplitItems checks and decodes the items cut out of a bulk body
// (depth: the containers around them), each on its own, on every core. A
// bad item is a 422 naming items[i] and its fields, all bad items at once;
// ok is false when an item is not well-formed or reads ambiguously: the
// body is then to be read the thorough way.
func decodeSplitItems[D, In any, PI interface {
	*In
	input[D]
}](raws []json.RawMessage, depth int) (items []essdir.BulkItem[D], ok bool, err error) {
	items = make([]essdir.BulkItem[D], len(raws))
	failed := make([]error, len(raws))
	doubt := make([]bool, len(raws))
	parallel.For(len(raws), func(i int) {
		s := shapeScanner{b: raws[i], plain: true}
		if err := s.value("", depth); err != nil {
			doubt[i] = true
			return
		}
		in, err := decodeCheckedInput[D, In, PI](raws[i], s.plain)
		var e *essdir.Error
		if errors.As(err, &e) && e.Code == essdir.EMALFORMED {
			doubt[i] = true
			return
		}
		items[i], failed[i] = bulkItemOf[D, In, PI](in, err)
	})
	if slices.Contains(doubt, true) {
		return nil, false, nil
	}
	if err := itemsError(failed); err != nil {
		return nil, true, err
	}
	return items, true, nil
}

// bulkItemOf is a decoded body (in, unless its decoding failed with err)
// as a bulk item.
func bulkItemOf[D, In any, PI interface {
	*In
	input[D]
}](in *In, err error) (essdir.BulkItem[D], error) {
	var it essdir.BulkItem[D]
	if err == nil {
		it.Record, it.Echo, err = PI(in).toDomain()
	}
	return it, err
}

// itemsError is the answer to the items' decoding errors (failed[i], nil
// when item i decoded): a 422 naming every bad field as items[i].field, in
// the items' order; an error that is not an item's is returned as it is.
func itemsError(failed []error) error {
	var bad essdir.Violations
	for i, err := range failed {
		if err != nil {
			e, ok := err.(*essdir.Error)
			if !ok {
				return err
			}
			bad = append(bad, essdir.ItemFields(i, e)...)
		}
	}
	if len(bad) > 0 {
		return &essdir.Error{Code: essdir.EINVALID, Message: "some items are invalid; nothing was written", Fields: bad}
	}
	return nil
}

// bulkItems splits a bulk body into its items: the members of {"items":
// [...]}, or the non-empty lines of an NDJSON body. plain, when set, says
// that each item's JSON was checked already (checkJSONKeys over the whole
// body, or over each line) and whether its member names were all plain.
func bulkItems(c echo.Context, body []byte) (raws []json.RawMessage, plain []bool, err error) {
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if mt == mimeNDJSON {
		// A line that is not one JSON value, or reads ambiguously (a key
		// twice, invalid UTF-8, too deep), is a malformed body (400, naming
		// items[i]) as it is inside {"items": [...]}; an item that reads
		// but breaks the rules is a 422 (decodeItems). The lines are
		// checked on every core, all of them before they are counted (as
		// {"items": [...]} is read whole before its items are counted).
		raws = ndjsonLines(body)
		plain = make([]bool, len(raws))
		failed := make([]error, len(raws))
		parallel.For(len(raws), func(i int) {
			plain[i], failed[i] = checkJSONKeys(raws[i])
			if failed[i] == nil && !json.Valid(raws[i]) {
				failed[i] = &essdir.Error{Code: essdir.EMALFORMED, Fields: []essdir.FieldError{{Message: "this line is not one JSON value"}}}
			}
		})
		var bad essdir.Violations
		for i, err := range failed {
			var e *essdir.Error
			switch {
			case errors.As(err, &e):
				bad = append(bad, essdir.ItemFields(i, e)...)
			case err != nil:
				return nil, nil, err
			}
		}
		if len(bad) > 0 {
			return nil, nil, &essdir.Error{Code: essdir.EMALFORMED, Message: "some lines are not well-formed JSON; nothing was written", Fields: bad}
		}
		if len(raws) > essdir.MaxBulkItems {
			return nil, nil, tooManyItems(len(raws))
		}
		return raws, plain, nil
	}
	var env struct {
		Items *[]json.RawMessage `json:"items"`
	}
	allPlain, err := checkJSONKeys(body)
	if err != nil {
		return nil, nil, err
	}
	if err := decodeChecked(body, &env, allPlain); err != nil {
		return nil, nil, err
	}
	if env.Items == nil {
		return nil, nil, &essdir.Error{Code: essdir.EINVALID, Message: "the body must be {\"items\": [...]}",
			Fields: []essdir.FieldError{{Field: "items", Message: "is required"}}}
	}
	if raws = *env.Items; len(raws) > essdir.MaxBulkItems {
		return nil, nil, tooManyItems(len(raws))
	}
	plain = make([]bool, len(raws))
	for i := range plain {
		plain[i] = allPlain
	}
	return raws, plain, nil
}

// ndjsonLines are the items of an NDJSON body: its non-empty lines.
func ndjsonLines(body []byte) []json.RawMessage {
	raws := []json.RawMessage{}
	for line := range bytes.SplitSeq(body, []byte("\n")) {
		if line = trimJSONSpace(line); len(line) > 0 {
			raws = append(raws, json.RawMessage(line))
		}
	}
	return raws
}

func tooManyItems(n int) error {
	return &essdir.Error{Code: essdir.EINVALID, Message: "too many items", Fields: []essdir.FieldError{{Field: "items",
		Message: fmt.Sprintf("must have at most %d items (got %d): send several batches", essdir.MaxBulkItems, n)}}}
}

// decodeItems reads each item as the body of a PUT; a bad item is a 422
// naming items[i] and its fields, all bad items at once. plain, when
// given, is what checkJSONKeys said of each item (see bulkItems); without
// it each item is checked as a PUT's body is.
func decodeItems[D, In any, PI interface {
	*In
	input[D]
}](raws []json.RawMessage, plain []bool) ([]essdir.BulkItem[D], error) {
	items := make([]essdir.BulkItem[D], len(raws))
	// The items are independent: decoded on every core, judged in order.
	failed := make([]error, len(raws))
	parallel.For(len(raws), func(i int) {
		if plain != nil {
			items[i], failed[i] = bulkItemOf[D, In, PI](decodeCheckedInput[D, In, PI](raws[i], plain[i]))
		} else {
			items[i], failed[i] = bulkItemOf[D, In, PI](decodeInput[D, In, PI](raws[i]))
		}
	})
	if err := itemsError(failed); err != nil {
		return nil, err
	}
	return items, nil
}

// splitItems cuts a body of exactly the form {"items": [v, …]} (any
// whitespace between the tokens) into its items, without reading them: it
// only finds where each ends, by its brackets outside strings. Anything
// else (another member, an escaped or repeated key, trailing data, an
// unbalanced item) gives nil. An item it cuts may still be bad JSON: the
// caller reads each one strictly.
func splitItems(body []byte) []json.RawMessage {
	i := 0
	space := func() {
		for i < len(body) && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r') {
			i++
		}
	}
	expect := func(token string) bool {
		space()
		if !bytes.HasPrefix(body[i:], []byte(token)) {
			return false
		}
		i += len(token)
		return true
	}
	if !expect("{") || !expect(`"items"`) || !expect(":") || !expect("[") {
		return nil
	}
	raws := []json.RawMessage{}
	if !expect("]") {
		for {
			space()
			end := skipJSONValue(body, i)
			if end < 0 {
				return nil
			}
			raws = append(raws, json.RawMessage(body[i:end]))
			i = end
			if expect("]") {
				break
			}
			if !expect(",") {
				return nil
			}
		}
	}
	if space(); !expect("}") {
		return nil
	}
	if space(); i != len(body) {
		return nil
	}
	return raws
}

// skipJSONValue returns where the JSON value at body[i] ends, by its
// brackets and strings alone (-1 when the body ends first); a scalar ends
// at the next delimiter.
func skipJSONValue(body []byte, i int) int {
	start, depth := i, 0
	for ; i < len(body); i++ {
		switch body[i] {
		case '"':
			for i++; i < len(body) && body[i] != '"'; i++ {
				if body[i] == '\\' {
					i++
				}
			}
			if i >= len(body) {
				return -1
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 { // a scalar's end
				return scalarEnd(start, i)
			}
			if depth--; depth == 0 {
				return i + 1
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return scalarEnd(start, i)
			}
		}
	}
	if depth > 0 {
		return -1
	}
	return scalarEnd(start, i)
}

// scalarEnd is end, unless the scalar from start to end is empty (-1).
func scalarEnd(start, end int) int {
	if end == start {
		return -1
	}
	return end
}

// DecodeStructure reads one structure as a bulk item (the body of a PUT),
// for the command line's import to take the API's path: same wire format,
// same strictness (unknown fields, nulls, bad types).
func DecodeStructure(raw []byte) (essdir.BulkItem[essdir.Structure], error) {
	items, err := decodeItems[essdir.Structure, StructureInput]([]json.RawMessage{raw}, nil)
	if err != nil {
		return essdir.BulkItem[essdir.Structure]{}, err
	}
	return items[0], nil
}
