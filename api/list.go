package api

import (
	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

// ListMeta describes a page: the cursor of the next one and, on request, the
// number of matching records (exact up to 10,000, else a lower bound).
type ListMeta struct {
	NextCursor        string `json:"next_cursor,omitempty" example:"eyJzIjoibmFtZSIsIm4iOiJMYSBCb3VjbGUifQ"`
	Total             *int   `json:"total,omitempty" example:"42"`
	TotalIsLowerBound bool   `json:"total_is_lower_bound,omitempty"`
} // @name ListMeta

// listParams reads the paging parameters every list takes; sorts are the
// resource's orders, the first being the default.
func listParams(q *query, sorts []essdir.Sort) essdir.List {
	l := essdir.List{
		Sort:         sorts[0],
		Limit:        q.integer("limit", essdir.DefaultLimit, 1, essdir.MaxLimit),
		Cursor:       q.single("cursor"),
		IncludeTotal: q.boolean("include_total"),
	}
	if s := q.single("sort"); s != "" {
		l.Sort = ""
		for _, allowed := range sorts {
			if essdir.Sort(s) == allowed {
				l.Sort = allowed
			}
		}
		if l.Sort == "" {
			q.errs.Add("sort", "must be one of %s", joinSorts(sorts))
		}
	}
	return l
}

func joinSorts(sorts []essdir.Sort) string {
	out := ""
	for i, s := range sorts {
		if i > 0 {
			out += ", "
		}
		out += string(s)
	}
	return out
}

// listParamNames are the query parameters of every list.
var listParamNames = []string{"limit", "cursor", "include_total", "sort"}

// writeList answers one page of any list: the envelope {data, meta}, the
// next page in a Link header (RFC 8288), a strong ETag of the body (304 to
// If-None-Match) and the cache policy of writeCached (Vary on the
// credentials, since editors see more than anonymous callers).
func writeList[D, V any](c echo.Context, page *essdir.Page[D], view func(*D) V, envelope func([]V, ListMeta) any) error {
	return writePage(c, page, mapAll(page.Items, view), envelope)
}

// writePage is writeList for views the handler has completed itself
// (structures with their included relations).
func writePage[D, V any](c echo.Context, page *essdir.Page[D], data []V, envelope func([]V, ListMeta) any) error {
	return writeCached(c, envelope(data, pageMeta(c, page)))
}

// pageMeta is the meta of a page's envelope; it sets the Link header to
// the next page.
func pageMeta[D any](c echo.Context, page *essdir.Page[D]) ListMeta {
	if next := page.NextCursor; next != "" {
		u := *c.Request().URL
		q := u.Query()
		q.Set("cursor", next)
		c.Response().Header().Set("Link", "<"+u.Path+"?"+q.Encode()+`>; rel="next"`)
	}
	return ListMeta{NextCursor: page.NextCursor, Total: page.Total, TotalIsLowerBound: page.TotalIsLowerBound}
}
