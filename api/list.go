package api

import (
	"net/url"
	"strings"

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
		u := c.Request().URL
		c.Response().Header()["Link"] = []string{"<" + u.EscapedPath() + "?" + withCursor(u.RawQuery, next) + `>; rel="next"`}
	}
	return ListMeta{NextCursor: page.NextCursor, Total: page.Total, TotalIsLowerBound: page.TotalIsLowerBound}
}

// withCursor is the query string of the next page: the request's own
// parameters in its order, any cursor left out, then the next cursor
// (base64url: nothing to escape, but escaped all the same should that
// change). A pair written only with what a URI's query may hold is kept as
// the client wrote it; any other (raw UTF-8, '>', '#', '"'… which net/http
// lets through) is escaped again, so that the Link stays one URI that ends
// where it should. A pair the handler did not read (net/url skips one with
// a semicolon or a bad escape) is left out too, as it was when the query
// was parsed and encoded again.
func withCursor(rawQuery, cursor string) string {
	var b strings.Builder
	b.Grow(len(rawQuery) + len(cursor) + len("&cursor="))
	for pair := range strings.SplitSeq(rawQuery, "&") {
		key, value, _ := strings.Cut(pair, "=")
		if strings.ContainsAny(pair, "%+;") {
			var err1, err2 error
			key, err1 = url.QueryUnescape(key) // curs%6Fr is a cursor too
			_, err2 = url.QueryUnescape(value)
			if err1 != nil || err2 != nil || strings.Contains(pair, ";") {
				continue
			}
		}
		if pair == "" || key == "cursor" {
			continue
		}
		if uriQuerySafe(pair) {
			b.WriteString(pair)
		} else {
			k, v, hasValue := strings.Cut(pair, "=")
			k, _ = url.QueryUnescape(k) // checked above when it had a '%' or '+'
			b.WriteString(url.QueryEscape(k))
			if hasValue {
				v, _ = url.QueryUnescape(v)
				b.WriteByte('=')
				b.WriteString(url.QueryEscape(v))
			}
		}
		b.WriteByte('&')
	}
	b.WriteString("cursor=")
	b.WriteString(url.QueryEscape(cursor))
	return b.String()
}

// uriQuerySafe reports whether a query pair holds only what RFC 3986 allows
// in a query, minus the separators of pairs ('&', ';'), and '%' only
// before two hex digits.
func uriQuerySafe(pair string) bool {
	for i := 0; i < len(pair); i++ {
		switch c := pair[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~!$'()*+,=:@/?", c) >= 0:
		case c == '%' && i+2 < len(pair) && isHex(pair[i+1]) && isHex(pair[i+2]):
			i += 2
		default:
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
