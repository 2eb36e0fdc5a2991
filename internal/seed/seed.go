// Package seed loads the demo data set: the records of the forum report
// "Engager sa collectivité dans un projet" (Dijon, 28 November 2024), the
// document the product comes from. Every record goes through the same
// services, rules and validation as the API's writes.
//
// Loading is idempotent: each record has a fixed id (derived from a stable
// key), so a second run finds every record, applies the write rule and,
// since nothing differs, changes nothing — not even a timestamp. A demo
// record an editor has deleted is not brought back.
package seed

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/essdir/essdir/internal/essdir"
)

// Services are the stores the demo data set is written through.
type Services struct {
	Structures     essdir.StructureService
	Activities     essdir.ActivityService
	Collectivities essdir.CollectivityService
	Events         essdir.EventService
	SupportSchemes essdir.SupportSchemeService
	Links          essdir.CollectivityLinkService
}

// Report counts what a run did.
type Report struct {
	Created, Updated, Unchanged int
	Skipped                     []string // records deleted since an earlier run
}

func (r Report) String() string {
	s := fmt.Sprintf("demo data: %d created, %d updated, %d unchanged", r.Created, r.Updated, r.Unchanged)
	if len(r.Skipped) > 0 {
		s += fmt.Sprintf(", %d skipped (deleted since loaded: %v)", len(r.Skipped), r.Skipped)
	}
	return s
}

// namespace makes the demo records' ids: uuid v5 of a stable key.
var namespace = uuid.MustParse("6f1c7c3e-3f9e-4c55-9d0a-2b7f43c8e8a1")

// ID is the fixed id of the demo record named key ("structure:boucle").
func ID(key string) uuid.UUID { return uuid.NewSHA1(namespace, []byte(key)) }

// Source is the source of the demo records.
const Source = "demo"

// upsert writes one record under its fixed id: created when missing,
// otherwise replaced through the write rule (a no-op when unchanged).
func upsert[T any, P essdir.Writable[T]](ctx context.Context, r *Report, key string, rec P,
	find func(context.Context, uuid.UUID) (*T, error),
	create func(context.Context, *T, essdir.Echo) error,
	update func(context.Context, uuid.UUID, essdir.Change[T]) (*T, error),
) error {
	id := ID(key)
	stored, err := find(ctx, id)
	switch {
	case essdir.ErrorCode(err) == essdir.ENOTFOUND:
		rec.Head().ID = id
		err := create(ctx, (*T)(rec), essdir.Echo{})
		var conflict *essdir.Error
		if errors.As(err, &conflict) && conflict.Code == essdir.ECONFLICT && len(conflict.Fields) == 0 {
			// The id itself is taken: an editor deleted this demo record
			// (the row stays as a tombstone). Leave it deleted.
			r.Skipped = append(r.Skipped, key)
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		r.Created++
		return nil
	case err != nil:
		return fmt.Errorf("%s: %w", key, err)
	}
	before := P(stored).Head().Version
	next, err := update(ctx, id, func(*T) (*T, essdir.Echo, error) { return (*T)(rec), essdir.Echo{}, nil })
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	if P(next).Head().Version == before {
		r.Unchanged++
	} else {
		r.Updated++
	}
	return nil
}

// Demo loads the demo data set.
func Demo(ctx context.Context, s Services) (Report, error) {
	var r Report
	for _, x := range structures() {
		if err := upsert(ctx, &r, x.key, x.rec, s.Structures.FindStructureByID, s.Structures.CreateStructure, s.Structures.UpdateStructure); err != nil {
			return r, err
		}
	}
	for _, x := range activities() {
		if err := upsert(ctx, &r, x.key, x.rec, s.Activities.FindActivityByID, s.Activities.CreateActivity, s.Activities.UpdateActivity); err != nil {
			return r, err
		}
	}
	for _, x := range collectivities() {
		if err := upsert(ctx, &r, x.key, x.rec, s.Collectivities.FindCollectivityByID, s.Collectivities.CreateCollectivity, s.Collectivities.UpdateCollectivity); err != nil {
			return r, err
		}
	}
	for _, x := range schemes() {
		if err := upsert(ctx, &r, x.key, x.rec, s.SupportSchemes.FindSupportSchemeByID, s.SupportSchemes.CreateSupportScheme, s.SupportSchemes.UpdateSupportScheme); err != nil {
			return r, err
		}
	}
	for _, x := range links() {
		if err := upsert(ctx, &r, x.key, x.rec, s.Links.FindCollectivityLinkByID, s.Links.CreateCollectivityLink, s.Links.UpdateCollectivityLink); err != nil {
			return r, err
		}
	}
	for _, x := range events() {
		if err := upsert(ctx, &r, x.key, x.rec, s.Events.FindEventByID, s.Events.CreateEvent, s.Events.UpdateEvent); err != nil {
			return r, err
		}
	}
	return r, nil
}

// keyed is a demo record with its stable key.
type keyed[T any] struct {
	key string
	rec *T
}
