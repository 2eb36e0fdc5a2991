package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

func (s *Server) changeRoutes(g *echo.Group) {
	g.GET("/changes", s.listChanges, requireCaller)
}

// Change is one entry of the change feed.
type Change struct {
	Seq    int64               `json:"seq" example:"1042" validate:"required"`
	Type   string              `json:"type" example:"structure" enums:"structure,activity,collectivity,collectivity_link,support_scheme,event" validate:"required"`
	ID     uuid.UUID           `json:"id" format:"uuid" validate:"required"`
	Action essdir.ChangeAction `json:"action" enums:"upsert,delete" validate:"required"`
	At     time.Time           `json:"at" validate:"required"`
} // @name Change

// ChangeMeta says where the next poll starts.
type ChangeMeta struct {
	// NextAfter is the after of the next poll: the seq of the last entry
	// given, or the after sent when there was none.
	NextAfter int64 `json:"next_after" example:"1042" validate:"required"`
} // @name ChangeMeta

// ChangeList is one page of the change feed.
type ChangeList struct {
	Data []Change   `json:"data" validate:"required"`
	Meta ChangeMeta `json:"meta" validate:"required"`
} // @name ChangeList

// Feed page sizes.
const (
	defaultChangeLimit = 100
	maxChangeLimit     = 1000
)

// listChanges godoc
//
//	@ID				listChanges
//	@Summary		Poll the change feed
//	@Description	Every write of the directory, in commit order: `upsert` when a record was created or changed, `delete` when it was deleted (a tombstone), including the records a delete took with it (a structure's activities and collectivity links). A write that changes nothing is not listed. Poll with `after` = the previous `meta.next_after` (0 the first time): no change is ever skipped, even while writers commit concurrently (no seq becomes visible before every smaller one). Seqs increase but may have holes (rolled-back writes). Any authenticated caller (BearerAuth; roles admin, editor, and partner clients) may poll; anonymous callers get 401.
//	@Tags			changes
//	@Produce		json,application/problem+json
//	@Param			after	query		int			false	"the seq after which to read (meta.next_after of the previous poll)"	minimum(0)	default(0)
//	@Param			limit	query		int			false	"entries per page"	minimum(1)	maximum(1000)	default(100)
//	@Param			types	query		[]string	false	"record types to keep (default: all)"	collectionFormat(csv)	Enums(structure, activity, collectivity, collectivity_link, support_scheme, event)
//	@Success		200		{object}	ChangeList
//	@Failure		400		{object}	Problem	"bad parameter"
//	@Failure		401		{object}	Problem	"no or invalid token"
//	@Failure		429		{object}	Problem
//	@Failure		503		{object}	Problem
//	@Failure		500		{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/changes [get]
func (s *Server) listChanges(c echo.Context) error {
	q := newQuery(c, "after", "limit", "types")
	var after int64
	if v := q.single("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			q.errs.Add("after", "must be an integer of at least 0 (a seq of the feed)")
		}
		after = n
	}
	limit := q.integer("limit", defaultChangeLimit, 1, maxChangeLimit)
	types := q.list("types")
	for _, t := range types {
		if !slices.Contains(essdir.ChangeTypes, t) {
			q.errs.Add("types", "unknown type %q (one of %s)", t, strings.Join(essdir.ChangeTypes, ", "))
		}
	}
	if err := q.err(); err != nil {
		return err
	}
	entries, err := s.feed.Changes(c.Request().Context(), after, limit, types)
	if err != nil {
		return err
	}
	out := ChangeList{Data: make([]Change, len(entries)), Meta: ChangeMeta{NextAfter: after}}
	for i, e := range entries {
		out.Data[i] = Change(e)
		out.Meta.NextAfter = e.Seq
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, out)
}
