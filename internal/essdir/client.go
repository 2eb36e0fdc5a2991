package essdir

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Client is a partner application: it authenticates with its id and a
// secret (OAuth 2 client credentials), acts with the partner role and writes
// only records of its Source. Moderation is the status its new structures
// take when the write names none. A disabled client gets no token.
type Client struct {
	ID         uuid.UUID
	Name       string
	Source     string
	Moderation Status // pending or published
	SecretHash []byte
	Disabled   bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Normalize puts the client's text in its stored form.
func (cl *Client) Normalize() {
	cl.Name = CleanText(cl.Name)
	cl.Source = CleanText(cl.Source)
	if cl.Moderation == "" {
		cl.Moderation = StatusPending
	}
}

// Validate reports every broken rule of a client at once.
func (cl *Client) Validate() error {
	var v Violations
	checkText(&v, "name", cl.Name, 200, true)
	if cl.Source == "" {
		v.Add("source", "is required")
	} else {
		checkOrigin(&v, cl.Source, "")
	}
	if cl.Moderation != StatusPending && cl.Moderation != StatusPublished {
		v.Add("moderation", "must be pending or published")
	}
	return v.Err()
}

// ClientChange is an admin's change to a client; nil leaves a field as it is.
// The source never changes: the client's records carry it.
type ClientChange struct {
	Name       *string
	Moderation *Status
	Disabled   *bool
}

// ClientService stores partner clients. Deleting a client erases the row
// (and its refresh tokens); the records it wrote keep their source.
type ClientService interface {
	CreateClient(ctx context.Context, cl *Client) error
	FindClientByID(ctx context.Context, id uuid.UUID) (*Client, error)
	FindClients(ctx context.Context, after uuid.UUID, limit int) ([]*Client, error)
	UpdateClient(ctx context.Context, id uuid.UUID, ch ClientChange) (*Client, error)
	DeleteClient(ctx context.Context, id uuid.UUID) error
}

// Sourced is a record a partner may write: it carries a source and, when it
// has an editorial state, a status (nil for events, whose status is no
// moderation state).
type Sourced interface {
	Origin() (source *string, status *Status)
}

// Origin gives the partner rule a structure's source and status.
func (s *Structure) Origin() (*string, *Status) { return &s.Source, &s.Status }

// Origin gives the partner rule an event's source; events have no editorial
// state.
func (e *Event) Origin() (*string, *Status) { return &e.Source, nil }

// AuthorizeWrite is the one partner rule of every write. stored is the
// record as it is (nil on a create), next the record as the partner wrote it
// (nil on a delete). A partner:
//   - writes only records of its own source: another source's record, or a
//     body naming another source, is forbidden (403), even by id — the
//     record is not hidden, its owner is simply someone else;
//   - never leaves a source out: an omitted source is its own;
//   - creates structures in its client's moderation status unless the body
//     names one, and may publish only when that setting is published: a
//     moderated partner never moves a record to published (keeping an
//     already-published record published is no move).
func (cl *Client) AuthorizeWrite(stored, next Sourced) error {
	if stored != nil {
		if src, _ := stored.Origin(); *src != cl.Source {
			return Errorf(EFORBIDDEN, "this record belongs to another source; a partner writes only records of its source %q", cl.Source)
		}
	}
	if next == nil {
		return nil
	}
	src, status := next.Origin()
	switch *src = CleanText(*src); *src {
	case "":
		*src = cl.Source
	case cl.Source:
	default:
		return &Error{Code: EFORBIDDEN, Message: "a partner writes only records of its source " + cl.Source,
			Fields: []FieldError{{Field: "source", Message: "must be " + cl.Source + " (or left out)"}}}
	}
	if status == nil {
		return nil
	}
	if *status == "" && stored == nil {
		*status = cl.Moderation
	}
	var was Status
	if stored != nil {
		_, s := stored.Origin()
		was = *s
	}
	if *status == StatusPublished && was != StatusPublished && cl.Moderation != StatusPublished {
		return &Error{Code: EFORBIDDEN, Message: "this client's records are moderated: an editor publishes them",
			Fields: []FieldError{{Field: "status", Message: "may be draft, pending or archived for a moderated partner"}}}
	}
	return nil
}
