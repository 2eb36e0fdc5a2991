package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/essdir/essdir/internal/essdir"
)

// collectivityLinkRow is the collectivity_links table as GORM sees it.
type collectivityLinkRow struct {
	ID              uuid.UUID      `gorm:"column:id;primaryKey"`
	StructureID     uuid.UUID      `gorm:"column:structure_id"`
	CollectivityID  uuid.UUID      `gorm:"column:collectivity_id"`
	SupportKinds    textArray      `gorm:"column:support_kinds;type:text[]"`
	Description     *string        `gorm:"column:description"`
	AmountEUR       *string        `gorm:"column:amount_eur"` // numeric(14, 2), read and written as text
	StartDate       date           `gorm:"column:start_date"`
	EndDate         date           `gorm:"column:end_date"`
	SupportSchemeID *uuid.UUID     `gorm:"column:support_scheme_id"`
	CreatedAt       time.Time      `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt       time.Time      `gorm:"column:updated_at;autoUpdateTime:false"`
	Version         int            `gorm:"column:version"`
	DeletedAt       gorm.DeletedAt `gorm:"column:deleted_at"`
}

func toCollectivityLinkRow(l *essdir.CollectivityLink) *collectivityLinkRow {
	return &collectivityLinkRow{
		ID: l.ID, StructureID: l.StructureID, CollectivityID: l.CollectivityID,
		SupportKinds: toStrings(l.SupportKinds), Description: nullable(l.Description),
		AmountEUR: nullable(l.AmountEUR), StartDate: date(l.StartDate), EndDate: date(l.EndDate),
		SupportSchemeID: optionalID(l.SupportSchemeID),
		CreatedAt:       l.CreatedAt, UpdatedAt: l.UpdatedAt, Version: l.Version,
	}
}

func (r *collectivityLinkRow) toDomain() *essdir.CollectivityLink {
	l := &essdir.CollectivityLink{
		Record:      essdir.Record{ID: r.ID, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Version: r.Version},
		StructureID: r.StructureID, CollectivityID: r.CollectivityID,
		SupportKinds: fromStrings[essdir.SupportKind](r.SupportKinds), Description: deref(r.Description),
		AmountEUR: deref(r.AmountEUR), StartDate: string(r.StartDate), EndDate: string(r.EndDate),
	}
	if r.SupportSchemeID != nil {
		l.SupportSchemeID = *r.SupportSchemeID
	}
	return l
}

// collectivityLinks is how collectivity links are stored. A structure's
// deletion deletes its links (deleteStructureRecords); a collectivity or a
// support scheme that a live link names cannot be deleted.
var collectivityLinks = &table[essdir.CollectivityLink, collectivityLinkRow]{
	name: "collectivity_links",
	kind: "collectivity link",
	columns: []string{"structure_id", "collectivity_id", "support_kinds", "description", "amount_eur",
		"start_date", "end_date", "support_scheme_id", "updated_at", "version"},
	toRow:    toCollectivityLinkRow,
	toDomain: (*collectivityLinkRow).toDomain,
	sorts: []sortSpec[collectivityLinkRow]{
		{essdir.SortUpdatedAtDesc, []sortKey[collectivityLinkRow]{
			timeKey("updated_at", true, func(r *collectivityLinkRow) time.Time { return r.UpdatedAt }),
			idKey(true, func(r *collectivityLinkRow) uuid.UUID { return r.ID }),
		}},
	},
	checkRefs: func(tx *gorm.DB, l *essdir.CollectivityLink) error {
		return checkLive(tx,
			ref{"structure_id", "structures", "structure", l.StructureID},
			ref{"collectivity_id", "collectivities", "collectivity", l.CollectivityID},
			ref{"support_scheme_id", "support_schemes", "support scheme", l.SupportSchemeID})
	},
}

// FindCollectivityLinkByID returns a live link.
func (s *Store) FindCollectivityLinkByID(ctx context.Context, id uuid.UUID) (*essdir.CollectivityLink, error) {
	return findByID(ctx, s, collectivityLinks, id)
}

// CreateCollectivityLink stores a new link between live records.
func (s *Store) CreateCollectivityLink(ctx context.Context, l *essdir.CollectivityLink, echo essdir.Echo) error {
	return create(ctx, s, collectivityLinks, l, echo)
}

// UpdateCollectivityLink changes a live link under the write rule.
func (s *Store) UpdateCollectivityLink(ctx context.Context, id uuid.UUID, change essdir.Change[essdir.CollectivityLink]) (*essdir.CollectivityLink, error) {
	return update(ctx, s, collectivityLinks, id, change)
}

// DeleteCollectivityLink soft-deletes a live link.
func (s *Store) DeleteCollectivityLink(ctx context.Context, id uuid.UUID, check func(*essdir.CollectivityLink) error) error {
	return softDelete(ctx, s, collectivityLinks, id, check)
}

// FindCollectivityLinks returns one page of the live links f selects.
func (s *Store) FindCollectivityLinks(ctx context.Context, f essdir.CollectivityLinkFilter) (*essdir.Page[essdir.CollectivityLink], error) {
	w := (&filter{q: s.db.WithContext(ctx)}).
		ids("collectivity_links.structure_id", f.StructureIDs).
		ids("collectivity_links.collectivity_id", f.CollectivityIDs).
		ids("collectivity_links.support_scheme_id", f.SupportSchemeIDs).
		overlaps("collectivity_links.support_kinds", toStrings(f.SupportKinds)).
		since("collectivity_links.updated_at", f.UpdatedSince)
	if len(f.StructureStatuses) > 0 {
		w.q = w.q.Where(`EXISTS (SELECT 1 FROM structures s WHERE s.id = collectivity_links.structure_id
			AND s.deleted_at IS NULL AND s.status IN ?)`, []string(toStrings(f.StructureStatuses)))
	}
	return findPage(w.q, collectivityLinks, f.List)
}
