package store

import (
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// RankedMax lets tests lower the number of matches a relevance order ranks.
var RankedMax = &rankedMax

// SetBeforeCommit makes every write transaction of s run f between its
// change-feed insert and its commit.
func (s *Store) SetBeforeCommit(f func()) { s.beforeCommit = f }

// SetStreamCheck makes a streamed bulk batch of s run f(i) before the
// checks of its item i (in the checks' goroutines).
func (s *Store) SetStreamCheck(f func(i int)) { s.streamCheck = f }

// DecodedRow has one destination of each kind decodeRow reads itself, for
// the tests that compare decodeRow with pgx.
type DecodedRow struct {
	Text      string
	NullText  *string
	Texts     []string
	ID        [16]byte
	Float     float64
	NullFloat *float64
	Int       int
	At        time.Time
	Deleted   gorm.DeletedAt
	Links     jsonList[linkJSON]
}

// Field is the destination of column in r.
func (r *DecodedRow) Field(column string) any {
	switch column {
	case "text":
		return &r.Text
	case "null_text":
		return &r.NullText
	case "texts":
		return &r.Texts
	case "id":
		return &r.ID
	case "float":
		return &r.Float
	case "null_float":
		return &r.NullFloat
	case "int":
		return &r.Int
	case "at":
		return &r.At
	case "deleted":
		return &r.Deleted
	case "links":
		return &r.Links
	}
	return nil
}

// ScanNative reads the current row of r into row as the hot reads do
// (decode.go), with a scanner kept across calls when s is the same.
type ScanNative struct{ s *nativeScanner[DecodedRow] }

// NewScanNative makes the scanner of one query.
func NewScanNative(query string) ScanNative {
	return ScanNative{newNativeScanner(query, (*DecodedRow).Field)}
}

// Scan reads the current row.
func (s ScanNative) Scan(r pgx.Rows, row *DecodedRow) error { return s.s.scan(r, row) }

// WalkBudget lets tests lower the rows a text search in an index order
// walks before it sorts its matches.
var WalkBudget = &walkBudget

// Walks is the number of index walks text searches have made so far.
func Walks() int64 { return walks.Load() }

// WholeRadius is the number of pages in distance order read over their
// whole radius after their rings so far.
func WholeRadius() int64 { return wholeRadius.Load() }

// LastWalkBudget is the budget of the last walk of a text search.
func LastWalkBudget() int64 { return lastWalkBudget.Load() }

// SortedMax lets tests choose when a text search in an index order sorts
// its matches without walking (-1: never; a large number: always).
var SortedMax = &sortedMax

// UncountedFactor lets tests choose the estimate above which a text's
// matches are not counted (0: every estimated text).
var UncountedFactor = &uncountedFactor

// SlugLock is the advisory lock of slug writers.
const SlugLock = slugLock

// ChangeLogLock is the advisory lock that orders the change feed.
const ChangeLogLock = changeLogLock
