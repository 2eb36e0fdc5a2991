package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/essdir/essdir/internal/essdir"
)

// activityRow is the activities table as GORM sees it.
type activityRow struct {
	ID          uuid.UUID      `gorm:"column:id;primaryKey"`
	StructureID uuid.UUID      `gorm:"column:structure_id"`
	Name        string         `gorm:"column:name"`
	Description *string        `gorm:"column:description"`
	Sectors     textArray      `gorm:"column:sectors;type:text[]"`
	Audiences   textArray      `gorm:"column:audiences;type:text[]"`
	CreatedAt   time.Time      `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt   time.Time      `gorm:"column:updated_at;autoUpdateTime:false"`
	Version     int            `gorm:"column:version"`
	DeletedAt   gorm.DeletedAt `gorm:"column:deleted_at"`
}

func toActivityRow(a *essdir.Activity) *activityRow {
	return &activityRow{
		ID: a.ID, StructureID: a.StructureID, Name: a.Name, Description: nullable(a.Description),
		Sectors: toStrings(a.Sectors), Audiences: toStrings(a.Audiences),
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, Version: a.Version,
	}
}

func (r *activityRow) toDomain() *essdir.Activity {
	return &essdir.Activity{
		Record:      essdir.Record{ID: r.ID, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Version: r.Version},
		StructureID: r.StructureID, Name: r.Name, Description: deref(r.Description),
		Sectors: fromStrings[essdir.Sector](r.Sectors), Audiences: fromStrings[essdir.Audience](r.Audiences),
	}
}

// activities is how activities are stored.
var activities = &table[essdir.Activity, activityRow]{
	name:     "activities",
	kind:     "activity",
	columns:  []string{"structure_id", "name", "description", "sectors", "audiences", "updated_at", "version"},
	toRow:    toActivityRow,
	toDomain: (*activityRow).toDomain,
	sorts: []sortSpec[activityRow]{
		{essdir.SortName, []sortKey[activityRow]{
			textKey("name", false, func(r *activityRow) string { return r.Name }),
			idKey(false, func(r *activityRow) uuid.UUID { return r.ID }),
		}},
		{essdir.SortUpdatedAtDesc, []sortKey[activityRow]{
			timeKey("updated_at", true, func(r *activityRow) time.Time { return r.UpdatedAt }),
			idKey(true, func(r *activityRow) uuid.UUID { return r.ID }),
		}},
	},
	checkRefs: func(tx *gorm.DB, a *essdir.Activity) error {
		return checkLive(tx, ref{"structure_id", "structures", "structure", a.StructureID})
	},
}

// FindActivityByID returns a live activity.
func (s *Store) FindActivityByID(ctx context.Context, id uuid.UUID) (*essdir.Activity, error) {
	return findByID(ctx, s, activities, id)
}

// CreateActivity stores a new activity of a live structure.
func (s *Store) CreateActivity(ctx context.Context, a *essdir.Activity, echo essdir.Echo) error {
	return create(ctx, s, activities, a, echo)
}

// UpdateActivity changes a live activity under the write rule.
func (s *Store) UpdateActivity(ctx context.Context, id uuid.UUID, change essdir.Change[essdir.Activity]) (*essdir.Activity, error) {
	return update(ctx, s, activities, id, change)
}

// DeleteActivity soft-deletes a live activity.
func (s *Store) DeleteActivity(ctx context.Context, id uuid.UUID, check func(*essdir.Activity) error) error {
	return softDelete(ctx, s, activities, id, check)
}

// FindActivities returns one page of the live activities of the live
// structures f selects.
func (s *Store) FindActivities(ctx context.Context, f essdir.ActivityFilter) (*essdir.Page[essdir.Activity], error) {
	var page *essdir.Page[essdir.Activity]
	// A text search (f.Structure.Q) is resolved to its tsquery first.
	err := s.searching(ctx, f.Structure, false, func(db *gorm.DB, sel selection) error {
		parents := structureFilterQuery(db.Session(&gorm.Session{NewDB: true}).Table("structures"), sel).
			Where("structures.deleted_at IS NULL").Select("structures.id")
		q := db.Where("activities.structure_id IN (?)", parents)
		if len(f.StructureIDs) > 0 {
			q = q.Where("activities.structure_id IN ?", f.StructureIDs)
		}
		q = (&filter{q: q}).
			overlaps("activities.audiences", toStrings(f.Audiences)).
			overlaps("activities.sectors", toStrings(f.Sectors)).
			since("activities.updated_at", f.UpdatedSince).q
		var err error
		page, err = findPage(q, activities, f.List)
		return err
	})
	return page, err
}
