package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
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
//	@Failure		409		{object}	Problem	"items hold a SIRET or slug another record (or an earlier item) holds, errors[] names each items[i].field; nothing written"
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
	raws, checked, err := bulkItems(c, body)
	if err != nil {
		return err
	}
	items, err := decodeItems[D, In, PI](raws, checked)
	if err != nil {
		return err
	}
	done, err := upsert(c.Request().Context(), items, authorize)
	if err != nil {
		return err
	}
	out := BulkResult{Items: make([]BulkItemResult, len(done))}
	for i, d := range done {
		out.Items[i] = BulkItemResult{ExternalID: d.ExternalID, ID: d.ID, Result: d.Result}
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

// bulkItems splits a bulk body into its items: the members of {"items":
// [...]}, or the non-empty lines of an NDJSON body. checked, when set,
// says that the items' JSON was checked already (checkJSONKeys over the
// whole body) and whether its member names were all plain.
func bulkItems(c echo.Context, body []byte) (raws []json.RawMessage, checked *bool, err error) {
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if mt == mimeNDJSON {
		// A line that is not one JSON value, or reads ambiguously (a key
		// twice, invalid UTF-8, too deep), is a malformed body (400, naming
		// items[i]) as it is inside {"items": [...]}; an item that reads
		// but breaks the rules is a 422 (decodeItems).
		var bad essdir.Violations
		allPlain := true
		for line := range bytes.SplitSeq(body, []byte("\n")) {
			if line = bytes.TrimSpace(line); len(line) == 0 {
				continue
			}
			i := len(raws)
			raws = append(raws, json.RawMessage(line))
			var e *essdir.Error
			plain, err := checkJSONKeys(line)
			switch {
			case errors.As(err, &e):
				bad = append(bad, essdir.ItemFields(i, e)...)
			case err != nil:
				return nil, nil, err
			case !json.Valid(line):
				bad = append(bad, essdir.FieldError{Field: fmt.Sprintf("items[%d]", i), Message: "this line is not one JSON value"})
			}
			allPlain = allPlain && plain
		}
		if len(bad) > 0 {
			return nil, nil, &essdir.Error{Code: essdir.EMALFORMED, Message: "some lines are not well-formed JSON; nothing was written", Fields: bad}
		}
		checked = &allPlain
	} else {
		var env struct {
			Items *[]json.RawMessage `json:"items"`
		}
		plain, err := checkJSONKeys(body)
		if err != nil {
			return nil, nil, err
		}
		if err := decodeChecked(body, &env, plain); err != nil {
			return nil, nil, err
		}
		if env.Items == nil {
			return nil, nil, &essdir.Error{Code: essdir.EINVALID, Message: "the body must be {\"items\": [...]}",
				Fields: []essdir.FieldError{{Field: "items", Message: "is required"}}}
		}
		raws, checked = *env.Items, &plain
	}
	if len(raws) > essdir.MaxBulkItems {
		return nil, nil, &essdir.Error{Code: essdir.EINVALID, Message: "too many items", Fields: []essdir.FieldError{{Field: "items",
			Message: fmt.Sprintf("must have at most %d items (got %d): send several batches", essdir.MaxBulkItems, len(raws))}}}
	}
	return raws, checked, nil
}

// decodeItems reads each item as the body of a PUT; a bad item is a 422
// naming items[i] and its fields, all bad items at once.
func decodeItems[D, In any, PI interface {
	*In
	input[D]
}](raws []json.RawMessage, checked *bool) ([]essdir.BulkItem[D], error) {
	items := make([]essdir.BulkItem[D], len(raws))
	var bad essdir.Violations
	decode := decodeInput[D, In, PI]
	if checked != nil {
		plain := *checked
		decode = func(raw []byte) (*In, error) { return decodeCheckedInput[D, In, PI](raw, plain) }
	}
	// The items are independent: decoded on every core, judged in order.
	failed := make([]error, len(raws))
	parallel.For(len(raws), func(i int) {
		in, err := decode(raws[i])
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
