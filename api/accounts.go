package api

import (
	"encoding/base64"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

// Users and clients are accounts, not directory records: an admin lists
// them in creation order, and their answers are never cached (no-store).

// accountPage reads the paging parameters of an account list: limit and an
// opaque cursor (the last id of the previous page).
func accountPage(c echo.Context) (after uuid.UUID, limit int, err error) {
	q := newQuery(c, "limit", "cursor")
	limit = q.integer("limit", essdir.DefaultLimit, 1, essdir.MaxLimit)
	if cur := q.single("cursor"); cur != "" {
		b, decErr := base64.RawURLEncoding.DecodeString(cur)
		if decErr != nil || len(b) != 16 {
			q.errs.Add("cursor", "is not a cursor of this list")
		} else {
			after = uuid.UUID(b)
		}
	}
	return after, limit, q.err()
}

// writeAccounts answers a page of accounts; items holds up to limit+1 so
// that a next page is known.
func writeAccounts[A, V any](c echo.Context, items []A, limit int, id func(A) uuid.UUID, view func(A) V, envelope func([]V, ListMeta) any) error {
	var meta ListMeta
	if len(items) > limit {
		items = items[:limit]
		last := id(items[len(items)-1])
		meta.NextCursor = base64.RawURLEncoding.EncodeToString(last[:])
		u := *c.Request().URL
		q := u.Query()
		q.Set("cursor", meta.NextCursor)
		c.Response().Header().Set("Link", "<"+u.Path+"?"+q.Encode()+`>; rel="next"`)
	}
	data := make([]V, len(items))
	for i, it := range items {
		data[i] = view(it)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, envelope(data, meta))
}

// writeAccount answers one account with a strong ETag of its body.
func writeAccount(c echo.Context, status int, v any) error {
	return withBody(v, func(body []byte) error {
		return writeTagged(c, status, `"`+bodyHash(body)+`"`, "no-store", echo.MIMEApplicationJSON, body)
	})
}

// notSelf refuses an admin's change that would lock the admin out.
func notSelf(c echo.Context, id uuid.UUID, what string) error {
	if p := principalOf(c); p != nil && p.Subject == id {
		return essdir.Errorf(essdir.ECONFLICT, "an admin cannot %s its own account; ask another admin", what)
	}
	return nil
}
