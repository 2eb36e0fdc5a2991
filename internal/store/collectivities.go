package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/essdir/essdir/internal/essdir"
)

// collectivityRow is the collectivities table as GORM sees it.
type collectivityRow struct {
	ID             uuid.UUID      `gorm:"column:id;primaryKey"`
	Name           string         `gorm:"column:name"`
	Kind           string         `gorm:"column:kind"`
	INSEECode      *string        `gorm:"column:insee_code"`
	SIREN          *string        `gorm:"column:siren"`
	DepartmentCode *string        `gorm:"column:department_code"`
	RegionCode     *string        `gorm:"column:region_code"`
	Website        *string        `gorm:"column:website"`
	Email          *string        `gorm:"column:email"`
	Phone          *string        `gorm:"column:phone"`
	Source         *string        `gorm:"column:source"`
	ExternalID     *string        `gorm:"column:external_id"`
	CreatedAt      time.Time      `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt      time.Time      `gorm:"column:updated_at;autoUpdateTime:false"`
	Version        int            `gorm:"column:version"`
	DeletedAt      gorm.DeletedAt `gorm:"column:deleted_at"`
}

func toCollectivityRow(c *essdir.Collectivity) *collectivityRow {
	return &collectivityRow{
		ID: c.ID, Name: c.Name, Kind: string(c.Kind), INSEECode: nullable(c.INSEECode), SIREN: nullable(c.SIREN),
		DepartmentCode: nullable(c.DepartmentCode), RegionCode: nullable(c.RegionCode),
		Website: nullable(c.Website), Email: nullable(c.Email), Phone: nullable(c.Phone),
		Source: nullable(c.Source), ExternalID: nullable(c.ExternalID),
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Version: c.Version,
	}
}

func (r *collectivityRow) toDomain() *essdir.Collectivity {
	return &essdir.Collectivity{
		Record: essdir.Record{ID: r.ID, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Version: r.Version},
		Name:   r.Name, Kind: essdir.CollectivityKind(r.Kind), INSEECode: deref(r.INSEECode), SIREN: deref(r.SIREN),
		DepartmentCode: deref(r.DepartmentCode), RegionCode: deref(r.RegionCode),
		Website: deref(r.Website), Email: deref(r.Email), Phone: deref(r.Phone),
		Source: deref(r.Source), ExternalID: deref(r.ExternalID),
	}
}

// collectivities is how collectivities are stored.
var collectivities = &table[essdir.Collectivity, collectivityRow]{
	name: "collectivities",
	kind: "collectivity",
	columns: []string{"name", "kind", "insee_code", "siren", "department_code", "region_code", "website",
		"email", "phone", "source", "external_id", "updated_at", "version"},
	toRow:    toCollectivityRow,
	toDomain: (*collectivityRow).toDomain,
	sorts: []sortSpec[collectivityRow]{
		{essdir.SortName, []sortKey[collectivityRow]{
			textKey("name", false, func(r *collectivityRow) string { return r.Name }),
			idKey(false, func(r *collectivityRow) uuid.UUID { return r.ID }),
		}},
		{essdir.SortUpdatedAtDesc, []sortKey[collectivityRow]{
			timeKey("updated_at", true, func(r *collectivityRow) time.Time { return r.UpdatedAt }),
			idKey(true, func(r *collectivityRow) uuid.UUID { return r.ID }),
		}},
	},
	onDelete: func(tx *gorm.DB, c *essdir.Collectivity, _ time.Time) ([]pendingChange, error) {
		return nil, refuseIfReferenced(tx, "collectivity", c.ID,
			referrer{"collectivity links", `SELECT id FROM collectivity_links WHERE collectivity_id = ? AND deleted_at IS NULL`},
			referrer{"support schemes (as a funder)", `SELECT DISTINCT f.support_scheme_id FROM support_scheme_funders f
				JOIN support_schemes s ON s.id = f.support_scheme_id AND s.deleted_at IS NULL WHERE f.collectivity_id = ?`},
			referrer{"events (as an organizer)", `SELECT DISTINCT o.event_id FROM event_organizers o
				JOIN events e ON e.id = o.event_id AND e.deleted_at IS NULL WHERE o.collectivity_id = ?`})
	},
}

// FindCollectivityByID returns a live collectivity.
func (s *Store) FindCollectivityByID(ctx context.Context, id uuid.UUID) (*essdir.Collectivity, error) {
	return findByID(ctx, s, collectivities, id)
}

// CreateCollectivity stores a new collectivity.
func (s *Store) CreateCollectivity(ctx context.Context, c *essdir.Collectivity, echo essdir.Echo) error {
	return create(ctx, s, collectivities, c, echo)
}

// UpdateCollectivity changes a live collectivity under the write rule.
func (s *Store) UpdateCollectivity(ctx context.Context, id uuid.UUID, change essdir.Change[essdir.Collectivity]) (*essdir.Collectivity, error) {
	return update(ctx, s, collectivities, id, change)
}

// DeleteCollectivity soft-deletes a collectivity that nothing references
// any more (409 naming what still does).
func (s *Store) DeleteCollectivity(ctx context.Context, id uuid.UUID, check func(*essdir.Collectivity) error) error {
	return softDelete(ctx, s, collectivities, id, check)
}

// FindCollectivities returns one page of live collectivities matching f.
func (s *Store) FindCollectivities(ctx context.Context, f essdir.CollectivityFilter) (*essdir.Page[essdir.Collectivity], error) {
	q := (&filter{q: s.db.WithContext(ctx)}).
		in("kind", toStrings(f.Kinds)).
		in("department_code", f.DepartmentCodes).
		in("region_code", f.RegionCodes).
		in("insee_code", f.INSEECodes).
		in("siren", f.SIRENs).
		in("source", f.Sources).
		since("updated_at", f.UpdatedSince).q
	return findPage(q, collectivities, f.List)
}
