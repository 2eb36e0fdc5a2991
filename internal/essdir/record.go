package essdir

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/google/uuid"
)

// Record is the header every stored record shares. The server alone sets it:
// a client may echo it back (a PUT of what it GOT) but never change it.
type Record struct {
	ID        uuid.UUID
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int
}

// Head gives the write rule and the store access to the header of any record
// that embeds Record.
func (r *Record) Head() *Record { return r }

// Echo holds the read-only header values a client sent back in a body; nil
// means "not sent". They are ignored when equal to the stored values.
type Echo struct {
	ID        *uuid.UUID
	CreatedAt *time.Time
	UpdatedAt *time.Time
	Version   *int
}

// check judges the echo against the stored header (nil on create): a body id
// other than the path id is malformed (400), other read-only mismatches are
// invalid (422), and a stale version is a conflict (409).
func (e Echo) check(stored *Record, v *Violations) error {
	if stored == nil {
		if e.ID != nil {
			v.Add("id", "is chosen by the server; leave it out")
		}
		if e.CreatedAt != nil || e.UpdatedAt != nil || e.Version != nil {
			v.Add("version", "created_at, updated_at and version are set by the server; leave them out")
		}
		return nil
	}
	if e.ID != nil && *e.ID != stored.ID {
		return &Error{Code: EMALFORMED, Message: "the body id differs from the id in the path",
			Fields: []FieldError{{Field: "id", Message: "the body id differs from the id in the path"}}}
	}
	if e.CreatedAt != nil && !e.CreatedAt.Equal(stored.CreatedAt) {
		v.Add("created_at", "is read-only")
	}
	if e.UpdatedAt != nil && !e.UpdatedAt.Equal(stored.UpdatedAt) {
		v.Add("updated_at", "is read-only")
	}
	if e.Version != nil && *e.Version != stored.Version {
		return &Error{Code: ECONFLICT,
			Message: fmt.Sprintf("the record is at version %d, the body was made from version %d", stored.Version, *e.Version),
			Fields:  []FieldError{{Field: "version", Message: "is stale: GET the record again"}}}
	}
	return nil
}

// Writable is what a record type gives the write rule: its header, its
// canonical form and its checks. Derive puts the record in its stored form
// (normalised text, derived fields, territorial codes checked against the
// official geography when geo is given) and, on an update, carries over from
// the stored record what the write may not change or did not name (a slug
// once given, a status left out), recording an echoed derived value that
// matches neither the stored nor the new one; its error is only for a
// failing lookup. Validate then judges the result.
type Writable[T any] interface {
	*T
	Head() *Record
	Derive(ctx context.Context, geo Geography, stored *T, v *Violations) error
	Validate() error
}

// Prepare applies the one write rule of every resource. next is the record as
// the client wrote it; stored is the current record (nil on create) and echo
// the header values the body carried. It returns whether next differs from
// stored: a write that changes nothing must not touch the row (same version,
// same updated_at, no change-feed entry).
//
// The store then, for a real change, calls Touch exactly once.
func Prepare[T any, P Writable[T]](ctx context.Context, geo Geography, stored, next P, echo Echo) (changed bool, err error) {
	var v Violations
	var head *Record
	if stored != nil {
		head = stored.Head()
	}
	if err := echo.check(head, &v); err != nil {
		return false, err
	}
	if stored != nil {
		*next.Head() = *head
	}
	if err := next.Derive(ctx, geo, stored, &v); err != nil {
		return false, err
	}
	// Every broken rule at once: what deriving found, then what Validate does.
	if err := next.Validate(); err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Code != EINVALID {
			return false, err
		}
		v = append(v, e.Fields...)
	}
	if err := v.Err(); err != nil {
		return false, err
	}
	return stored == nil || !reflect.DeepEqual(stored, next), nil
}

// Touch marks a real change: a new version and update time. A created record
// gets version 1; the store assigns the id before.
func (r *Record) Touch(now time.Time) {
	if r.Version == 0 {
		r.CreatedAt = now
	}
	r.UpdatedAt = now
	r.Version++
}

// derived resolves a server-derived field: the value the server derives
// (want) always wins, and a value the client sent is accepted only when it
// is the stored value (a GET body sent back) or the new derived one.
func derived(v *Violations, field, given, stored, want, why string) string {
	if given != "" && given != stored && given != want {
		if want == "" {
			v.Add(field, "is derived %s (here none); leave it out", why)
		} else {
			v.Add(field, "is derived %s (here %q); leave it out", why, want)
		}
	}
	return want
}

// keepStatus carries the lifecycle state over: an update never changes
// status unless it names the new one. A create without one is published.
func keepStatus(next *Status, stored *Status) { keepState(next, stored, StatusPublished) }

// keepState is keepStatus for any lifecycle (an event's status): the
// stored state unless the write names one, initial on a create.
func keepState[S ~string](next, stored *S, initial S) {
	if *next != "" {
		return
	}
	if stored != nil {
		*next = *stored
		return
	}
	*next = initial
}
