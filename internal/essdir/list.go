package essdir

import "github.com/google/uuid"

// Sort names an order of a list ("name", "-updated_at"). Each resource lists
// the sorts it offers; the store knows the keys of each.
type Sort string

// Sorts shared by the resources.
const (
	SortName          Sort = "name"
	SortUpdatedAtDesc Sort = "-updated_at"
)

// MaxLimit is the largest page; MaxCount the largest exact total a list
// counts: above it the total is a lower bound, so a count never costs more.
const (
	DefaultLimit = 20
	MaxLimit     = 100
	MaxCount     = 10000
)

// List is how a caller pages through any list: the order, the page size, the
// position (an opaque cursor from the previous page) and whether to count.
//
// Known, when set, is asked about the rows of the page before they are read
// in full, with the row's id and a digest of its stored columns (the same
// digest for the same stored values read as the same columns): a row it
// recognises is not made into an item (its Items entry is nil, its id in
// Page.IDs), the caller having what it derives from that row already
// (api's cache of encoded views).
type List struct {
	Sort         Sort
	Limit        int
	Cursor       string
	IncludeTotal bool
	Known        func(id uuid.UUID, digest uint64) bool
}

// Page is one page of a list. Total is set when the list asked for it; it is
// exact up to MaxCount, else MaxCount with TotalIsLowerBound.
type Page[T any] struct {
	Items             []*T
	NextCursor        string // "" on the last page
	Total             *int
	TotalIsLowerBound bool
	// With List.Known: each item's id and row digest, and whether Known
	// recognised it (its Items entry is then nil).
	IDs     []uuid.UUID
	Digests []uint64
	Known   []bool
}

// Change builds the new state of a stored record inside the write's
// transaction, with the row locked: it checks preconditions such as If-Match
// against stored, then returns the record as the client wrote it and the
// read-only header values its body echoed. The store applies Prepare to the
// result, so every resource obeys the same write rule.
type Change[T any] func(stored *T) (next *T, echo Echo, err error)
