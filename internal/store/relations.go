package store

import (
	"context"

	"github.com/google/uuid"

	"github.com/essdir/essdir/internal/essdir"
)

// The records related to structures, read for a whole page of structures at
// once (include=): a fixed number of queries per relation, never one per
// structure. Each map is keyed by structure id.

// ActivitiesOf returns the live activities of the given structures.
func (s *Store) ActivitiesOf(ctx context.Context, structureIDs []uuid.UUID) (map[uuid.UUID][]*essdir.Activity, error) {
	out := map[uuid.UUID][]*essdir.Activity{}
	if len(structureIDs) == 0 {
		return out, nil
	}
	list, err := findMany(s.db.WithContext(ctx).Where("structure_id IN ?", structureIDs).Order("name, id"), activities)
	if err != nil {
		return nil, err
	}
	for _, a := range list {
		out[a.StructureID] = append(out[a.StructureID], a)
	}
	return out, nil
}

// EventsOf returns the live events the given structures organize or take
// part in, soonest first.
func (s *Store) EventsOf(ctx context.Context, structureIDs []uuid.UUID) (map[uuid.UUID][]*essdir.Event, error) {
	out := map[uuid.UUID][]*essdir.Event{}
	if len(structureIDs) == 0 {
		return out, nil
	}
	var pairs []struct {
		EventID     uuid.UUID
		StructureID uuid.UUID
	}
	err := s.db.WithContext(ctx).Raw(`SELECT event_id, structure_id FROM event_organizers WHERE structure_id IN ?
		UNION SELECT event_id, structure_id FROM event_participants WHERE structure_id IN ?`,
		structureIDs, structureIDs).Scan(&pairs).Error
	if err != nil || len(pairs) == 0 {
		return out, translate(err)
	}
	ids := make([]uuid.UUID, len(pairs))
	for i, p := range pairs {
		ids[i] = p.EventID
	}
	list, err := findMany(s.db.WithContext(ctx).Where("id IN ?", ids).Order("starts_at, id"), events)
	if err != nil {
		return nil, err
	}
	byID := make(map[uuid.UUID]*essdir.Event, len(list))
	for _, e := range list {
		byID[e.ID] = e
	}
	for _, e := range list {
		for _, p := range pairs {
			if p.EventID == e.ID {
				out[p.StructureID] = append(out[p.StructureID], byID[e.ID])
			}
		}
	}
	return out, nil
}
