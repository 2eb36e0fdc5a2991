package api

import (
	"context"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/essdir/essdir/internal/essdir"
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
	items, err := readBulkItems[D, In, PI](c, body)
	if err != nil {
		return err
	}
	done, err := upsert(c.Request().Context(), items, authorize)
	return bulkAnswer(c, done, err)
}

// bulkAnswer answers what became of each item of a bulk upsert.
func bulkAnswer(c echo.Context, done []essdir.Upserted, err error) error {
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
