package essdir

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ChangeAction says what happened to a record in the change feed.
type ChangeAction string // @name ChangeAction

// Change actions: a record created or changed, or deleted (a tombstone).
const (
	ChangeUpsert ChangeAction = "upsert"
	ChangeDelete ChangeAction = "delete"
)

// ChangeTypes are the record types of the change feed: each resource's kind.
var ChangeTypes = []string{"structure", "activity", "collectivity", "collectivity_link", "support_scheme", "event"}

// FeedEntry is one entry of the change feed: the record of type Type and id
// ID was written (Upsert) or deleted at At. Seq orders entries in commit
// order; a poller resumes after the last seq it has seen.
type FeedEntry struct {
	Seq    int64
	Type   string
	ID     uuid.UUID
	Action ChangeAction
	At     time.Time
}

// Feed is the change feed partners poll.
type Feed interface {
	// Changes returns up to limit entries after seq after, of the given
	// types (all when none), in commit order.
	Changes(ctx context.Context, after int64, limit int, types []string) ([]FeedEntry, error)
}

// MaxBulkItems is the largest batch a bulk upsert takes.
const MaxBulkItems = 1000

// SyncKey is the key partners upsert by: a source and the record's id in
// that source, in their stored form (the source lower-case, both trimmed),
// so that two spellings of one key meet.
func SyncKey(source, externalID string) (string, string) {
	return strings.ToLower(CleanText(source)), CleanText(externalID)
}

// UpsertResult says what a bulk upsert did with one item.
type UpsertResult string // @name UpsertResult

// Upsert results.
const (
	UpsertCreated   UpsertResult = "created"
	UpsertUpdated   UpsertResult = "updated"
	UpsertUnchanged UpsertResult = "unchanged"
)

// Upserted is the outcome of one item of a bulk upsert. Slug is the slug
// a created record was given (its own or derived), for resources with
// slugs: an import's --strict check keeps those of the lines it judged
// (their batches rolled back) to judge the lines after them.
type Upserted struct {
	ExternalID string
	ID         uuid.UUID
	Result     UpsertResult
	Slug       string
}

// Authorize judges one item of a bulk upsert before anything is written:
// i is its index, stored the record it replaces (nil when new). An error
// (EFORBIDDEN naming items[i]) refuses the whole batch. Nil allows all.
type Authorize[T any] func(i int, stored, next *T) error

// SyncService upserts partners' records by (source, external_id), each
// batch in one transaction: every item valid and allowed, or nothing written.
type SyncService interface {
	UpsertStructures(ctx context.Context, items []BulkItem[Structure], authorize Authorize[Structure]) ([]Upserted, error)
	UpsertEvents(ctx context.Context, items []BulkItem[Event], authorize Authorize[Event]) ([]Upserted, error)
}

// BulkItem is one item of a bulk upsert: the record as the partner wrote
// it, with the read-only header values its body echoed.
type BulkItem[T any] struct {
	Record *T
	Echo   Echo
}

// ItemFields names the fields of e as fields of item i of a batch
// ("siret" → "items[3].siret"); an error without fields names the item.
func ItemFields(i int, e *Error) []FieldError {
	prefix := fmt.Sprintf("items[%d]", i)
	if len(e.Fields) == 0 {
		return []FieldError{{Field: prefix, Message: e.Message}}
	}
	out := make([]FieldError, len(e.Fields))
	for j, f := range e.Fields {
		out[j] = FieldError{Field: prefix + "." + f.Field, Message: f.Message}
		switch {
		case f.Field == "":
			out[j].Field = prefix
		case strings.HasPrefix(f.Field, "["): // an item that is an array: items[0][2]
			out[j].Field = prefix + f.Field
		}
	}
	return out
}

// StructureExporter reads the whole published directory for exports, one
// structure at a time.
type StructureExporter interface {
	EachPublishedStructure(ctx context.Context, fn func(*Structure) error) error
}
