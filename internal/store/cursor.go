package store

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/essdir/essdir/internal/essdir"
)

// cursor is the position after the last row of a page, for keyset
// pagination: the next page starts strictly after it, so page 10,000 costs
// what page 1 costs. It is opaque to clients (base64url JSON).
type cursor struct {
	Sort      essdir.StructureSort `json:"s"`
	Name      string               `json:"n,omitempty"`
	UpdatedAt time.Time            `json:"u,omitzero"`
	ID        uuid.UUID            `json:"i"`
}

func encodeCursor(sort essdir.StructureSort, last *structureRow) string {
	c := cursor{Sort: sort, ID: last.ID}
	switch sort {
	case essdir.SortUpdatedAtDesc:
		c.UpdatedAt = last.UpdatedAt.UTC()
	default:
		c.Name = last.Name
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func badCursor() error {
	return &essdir.Error{Code: essdir.EMALFORMED, Message: "the cursor is not valid for this list",
		Fields: []essdir.FieldError{{Field: "cursor", Message: "use the next_cursor of a previous page with the same sort"}}}
}

// applyKeyset orders q and, with a cursor, starts it after the cursor's row.
func applyKeyset(q *gorm.DB, sort essdir.StructureSort, token string) (*gorm.DB, error) {
	var c *cursor
	if token != "" {
		b, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil {
			return nil, badCursor()
		}
		c = new(cursor)
		if err := json.Unmarshal(b, c); err != nil || c.Sort != sort || c.ID == uuid.Nil ||
			!utf8.ValidString(c.Name) || strings.ContainsRune(c.Name, 0) {
			return nil, badCursor()
		}
	}
	switch sort {
	case essdir.SortUpdatedAtDesc:
		if c != nil {
			q = q.Where("(updated_at, id) < (?, ?)", c.UpdatedAt, c.ID)
		}
		return q.Order("updated_at DESC, id DESC"), nil
	default:
		if c != nil {
			q = q.Where("(name, id) > (?, ?)", c.Name, c.ID)
		}
		return q.Order("name, id"), nil
	}
}
