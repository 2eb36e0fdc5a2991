package store

import (
	"context"
	"database/sql"

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
	return relatedThrough(ctx, s, events, structureIDs, "starts_at, id",
		`SELECT event_id AS record_id, structure_id FROM event_organizers WHERE structure_id IN @ids
		 UNION SELECT event_id, structure_id FROM event_participants WHERE structure_id IN @ids`)
}

// SupportSchemesOf returns the live support schemes the given structures
// operate or benefit from, by name.
func (s *Store) SupportSchemesOf(ctx context.Context, structureIDs []uuid.UUID) (map[uuid.UUID][]*essdir.SupportScheme, error) {
	return relatedThrough(ctx, s, supportSchemes, structureIDs, "name, id",
		`SELECT id AS record_id, operator_structure_id AS structure_id FROM support_schemes WHERE operator_structure_id IN @ids
		 UNION SELECT support_scheme_id, structure_id FROM support_scheme_beneficiaries WHERE structure_id IN @ids`)
}

// CollectivityLinksOf returns the live links collectivities made to the
// given structures, the latest first.
func (s *Store) CollectivityLinksOf(ctx context.Context, structureIDs []uuid.UUID) (map[uuid.UUID][]*essdir.CollectivityLink, error) {
	out := map[uuid.UUID][]*essdir.CollectivityLink{}
	if len(structureIDs) == 0 {
		return out, nil
	}
	list, err := findMany(s.db.WithContext(ctx).Where("structure_id IN ?", structureIDs).Order("updated_at DESC, id DESC"), collectivityLinks)
	if err != nil {
		return nil, err
	}
	for _, l := range list {
		out[l.StructureID] = append(out[l.StructureID], l)
	}
	return out, nil
}

// relatedThrough reads the live records of t that pairsSQL relates to the
// given structures (it selects record_id, structure_id pairs, with the ids
// as @ids), in the given order, grouped by structure: two statements plus
// the records' children, whatever their number.
func relatedThrough[D any, P essdir.Writable[D], R any](ctx context.Context, s *Store, t *table[D, R], structureIDs []uuid.UUID, order, pairsSQL string) (map[uuid.UUID][]*D, error) {
	out := map[uuid.UUID][]*D{}
	if len(structureIDs) == 0 {
		return out, nil
	}
	var pairs []struct {
		RecordID    uuid.UUID
		StructureID uuid.UUID
	}
	err := s.db.WithContext(ctx).Raw(pairsSQL, sql.Named("ids", structureIDs)).Scan(&pairs).Error
	if err != nil || len(pairs) == 0 {
		return out, translate(err)
	}
	structuresOf := map[uuid.UUID][]uuid.UUID{}
	ids := make([]uuid.UUID, 0, len(pairs))
	for _, p := range pairs {
		if structuresOf[p.RecordID] == nil {
			ids = append(ids, p.RecordID)
		}
		structuresOf[p.RecordID] = append(structuresOf[p.RecordID], p.StructureID)
	}
	list, err := findMany(s.db.WithContext(ctx).Where("id IN ?", ids).Order(order), t)
	if err != nil {
		return nil, err
	}
	for _, rec := range list {
		for _, sid := range structuresOf[P(rec).Head().ID] {
			out[sid] = append(out[sid], rec)
		}
	}
	return out, nil
}
