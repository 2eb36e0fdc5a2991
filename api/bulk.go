package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/essdir/essdir/internal/essdir"
	"github.com/essdir/essdir/internal/parallel"
)

// bulkRoutes are the partner sync writes. Their bodies may be larger than
// any other's: the global body limit skips them (isBulkRoute) and this
// route-level one applies instead.
func (s *Server) bulkRoutes(g *echo.Group, limit int64, write ...echo.MiddlewareFunc) {
	mw := append(write, middleware.BodyLimit(strconv.FormatInt(limit, 10)), requireJSONOrNDJSON)
	g.POST("/structures/bulk", s.bulkUpsertStructures, mw...)
	g.POST("/events/bulk", s.bulkUpsertEvents, mw...)
}

// isBulkRoute tells the global body limit which routes have their own.
func isBulkRoute(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && strings.HasPrefix(c.Path(), "/v1/") && strings.HasSuffix(c.Path(), "/bulk")
}

// BulkItemResult says what a bulk upsert did with one item, in the order sent.
type BulkItemResult struct {
	ExternalID string              `json:"external_id" example:"rtes-1234" validate:"required"`
	ID         uuid.UUID           `json:"id" format:"uuid" validate:"required"`
	Result     essdir.UpsertResult `json:"result" enums:"created,updated,unchanged" validate:"required"`
} // @name BulkItemResult

// BulkResult is the answer of a bulk upsert.
type BulkResult struct {
	Created   int              `json:"created" example:"2" validate:"required"`
	Updated   int              `json:"updated" example:"1" validate:"required"`
	Unchanged int              `json:"unchanged" example:"997" validate:"required"`
	Items     []BulkItemResult `json:"items" validate:"required"`
} // @name BulkResult

// StructureBulk is the JSON body of POST /v1/structures/bulk.
type StructureBulk struct {
	Items []StructureInput `json:"items" validate:"required" maxItems:"1000"`
} // @name StructureBulk

// EventBulk is the JSON body of POST /v1/events/bulk.
type EventBulk struct {
	Items []EventInput `json:"items" validate:"required" maxItems:"1000"`
} // @name EventBulk

// itemAuthorizer is the one place where the items of a bulk upsert are
// authorised one by one, before anything is written: the partner rule
// (essdir.Client.AuthorizeWrite) for a partner — an item of another source,
// or one that would replace another source's record, makes the request a
// 403 naming the items — and nothing (nil) for editors and admins.
func itemAuthorizer[D any, P interface {
	*D
	essdir.Sourced
}](s *Server, c echo.Context) (essdir.Authorize[D], error) {
	cl, err := s.writingPartner(c)
	if err != nil || cl == nil {
		return nil, err
	}
	return func(_ int, stored, next *D) error {
		var was essdir.Sourced
		if stored != nil {
			was = P(stored)
		}
		return cl.AuthorizeWrite(was, P(next))
	}, nil
}

// bulkUpsertStructures godoc
//
//	@ID				bulkUpsertStructures
//	@Summary		Upsert structures in bulk
//	@Description	Up to 1000 structures, matched by (`source`, `external_id`) — both required in every item — and written in one transaction: all valid, or nothing written and a 422 naming every bad field of every item as `items[i].field`. A repeated key in one payload is a 422. An item replaces the stored record as a PUT does (omitted optional fields are cleared, `status` kept unless named, the slug kept); a new one is created (published unless `status` says otherwise). Sending the same payload again changes nothing and adds nothing to the change feed. The body is `{"items": [...]}` or NDJSON (`Content-Type: application/x-ndjson`, one item a line; `items[i]` is then the i-th non-empty line, from 0). A line or item that is not well-formed JSON, or reads ambiguously (a key twice, invalid UTF-8), makes the body a 400 naming `items[i]`, in both formats. Needs BearerAuth with the editor or admin role.
//	@Tags			sync
//	@Accept			json,application/x-ndjson
//	@Produce		json,application/problem+json
//	@Param			Idempotency-Key	header		string	false	"makes a retry safe: the first answer is replayed"
//	@Param			items	body		StructureBulk	true	"the structures"
//	@Success		200		{object}	BulkResult
//	@Failure		400		{object}	Problem	"malformed JSON"
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem	"the caller may not write some items (errors[] names them)"
//	@Failure		409		{object}	Problem	"an item conflicts with another record (SIRET, slug)"
//	@Failure		413		{object}	Problem	"body over ESSDIR_BULK_BODY_LIMIT"
//	@Failure		415		{object}	Problem
//	@Failure		422		{object}	Problem	"bad items, each field named items[i].field; nothing written"
//	@Failure		429		{object}	Problem
//	@Failure		503		{object}	Problem
//	@Failure		500		{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/structures/bulk [post]
func (s *Server) bulkUpsertStructures(c echo.Context) error {
	authorize, err := itemAuthorizer[essdir.Structure](s, c)
	if err != nil {
		return err
	}
	return bulkUpsert[essdir.Structure, StructureInput](c, s.sync.UpsertStructures, authorize)
}

// bulkUpsertEvents godoc
//
//	@ID				bulkUpsertEvents
//	@Summary		Upsert events in bulk
//	@Description	Up to 1000 events, matched by (`source`, `external_id`) — both required in every item — and written in one transaction: all valid, or nothing written and a 422 naming every bad field of every item as `items[i].field`. A repeated key in one payload is a 422. An item replaces the stored event as a PUT does (`status` kept unless named). Sending the same payload again changes nothing and adds nothing to the change feed. The body is `{"items": [...]}` or NDJSON (`Content-Type: application/x-ndjson`, one item a line). Needs BearerAuth with the editor or admin role.
//	@Tags			sync
//	@Accept			json,application/x-ndjson
//	@Produce		json,application/problem+json
//	@Param			Idempotency-Key	header		string	false	"makes a retry safe: the first answer is replayed"
//	@Param			items	body		EventBulk	true	"the events"
//	@Success		200		{object}	BulkResult
//	@Failure		400		{object}	Problem	"malformed JSON"
//	@Failure		401		{object}	Problem
//	@Failure		403		{object}	Problem	"the caller may not write some items (errors[] names them)"
//	@Failure		409		{object}	Problem
//	@Failure		413		{object}	Problem	"body over ESSDIR_BULK_BODY_LIMIT"
//	@Failure		415		{object}	Problem
//	@Failure		422		{object}	Problem	"bad items, each field named items[i].field; nothing written"
//	@Failure		429		{object}	Problem
//	@Failure		503		{object}	Problem
//	@Failure		500		{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/events/bulk [post]
func (s *Server) bulkUpsertEvents(c echo.Context) error {
	authorize, err := itemAuthorizer[essdir.Event](s, c)
	if err != nil {
		return err
	}
	return bulkUpsert[essdir.Event, EventInput](c, s.sync.UpsertEvents, authorize)
}

// bulkUpsert reads the items of a bulk body, has them upserted and answers
// what became of each.
func bulkUpsert[D, In any, PI interface {
	*In
	input[D]
}](c echo.Context, upsert func(context.Context, []essdir.BulkItem[D], essdir.Authorize[D]) ([]essdir.Upserted, error), authorize essdir.Authorize[D]) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	items, err := readBulkItems[D, In, PI](c, body)
	if err != nil {
		return err
	}
	done, err := upsert(c.Request().Context(), items, authorize)
	if err != nil {
		return err
	}
	out := BulkResult{Items: make([]BulkItemResult, len(done))}
	for i, d := range done {
		out.Items[i] = BulkItemResult(d)
		switch d.Result {
		case essdir.UpsertCreated:
			out.Created++
		case essdir.UpsertUpdated:
			out.Updated++
		default:
			out.Unchanged++
		}
	}
	return c.JSON(http.StatusOK, out)
}

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
		// checked on every core.
		if raws = ndjsonLines(body); len(raws) > essdir.MaxBulkItems {
			return nil, nil, tooManyItems(len(raws))
		}
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
		if line = bytes.TrimSpace(line); len(line) > 0 {
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
	var bad essdir.Violations
	// The items are independent: decoded on every core, judged in order.
	failed := make([]error, len(raws))
	parallel.For(len(raws), func(i int) {
		var in *In
		var err error
		if plain != nil {
			in, err = decodeCheckedInput[D, In, PI](raws[i], plain[i])
		} else {
			in, err = decodeInput[D, In, PI](raws[i])
		}
		if err == nil {
			items[i].Record, items[i].Echo, err = PI(in).toDomain()
		}
		failed[i] = err
	})
	for i, err := range failed {
		if err != nil {
			e, ok := err.(*essdir.Error)
			if !ok {
				return nil, err
			}
			bad = append(bad, essdir.ItemFields(i, e)...)
		}
	}
	if len(bad) > 0 {
		return nil, &essdir.Error{Code: essdir.EINVALID, Message: "some items are invalid; nothing was written", Fields: bad}
	}
	return items, nil
}

// decodeSplitItems is decodeItems for the items cut out of a body
// (splitItems, ndjsonLines), unchecked: each is checked as the whole body
// or its line would have been (its shape, at depth, the depth it has
// there) and decoded, on every core. ok is false when an item is not
// well-formed or reads ambiguously: the body is then to be read the
// thorough way (bulkItems), which names its faults as before.
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
		if err == nil {
			items[i].Record, items[i].Echo, err = PI(in).toDomain()
		}
		failed[i] = err
	})
	if slices.Contains(doubt, true) {
		return nil, false, nil
	}
	var bad essdir.Violations
	for i, err := range failed {
		if err != nil {
			e, ok := err.(*essdir.Error)
			if !ok {
				return nil, true, err
			}
			bad = append(bad, essdir.ItemFields(i, e)...)
		}
	}
	if len(bad) > 0 {
		return nil, true, &essdir.Error{Code: essdir.EINVALID, Message: "some items are invalid; nothing was written", Fields: bad}
	}
	return items, true, nil
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

// requireJSONOrNDJSON refuses bulk bodies that are neither JSON nor NDJSON (415).
func requireJSONOrNDJSON(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		mt, _, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
		if err != nil || (mt != echo.MIMEApplicationJSON && mt != mimeNDJSON) {
			return newHTTPError(http.StatusUnsupportedMediaType, "the body must be application/json or "+mimeNDJSON)
		}
		return next(c)
	}
}
