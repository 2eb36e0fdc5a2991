package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/essdir/essdir/internal/essdir"
)

// structureRow is the structures table as GORM sees it.
type structureRow struct {
	ID             uuid.UUID          `gorm:"column:id;primaryKey"`
	Slug           string             `gorm:"column:slug"`
	Name           string             `gorm:"column:name"`
	LegalForm      *string            `gorm:"column:legal_form"`
	SIRET          *string            `gorm:"column:siret"`
	SIREN          *string            `gorm:"column:siren"`
	RNA            *string            `gorm:"column:rna"`
	Summary        *string            `gorm:"column:summary"`
	Description    *string            `gorm:"column:description"`
	Sectors        textArray          `gorm:"column:sectors;type:text[]"`
	Labels         textArray          `gorm:"column:labels;type:text[]"`
	Street         *string            `gorm:"column:street"`
	PostalCode     *string            `gorm:"column:postal_code"`
	City           *string            `gorm:"column:city"`
	INSEECode      *string            `gorm:"column:insee_code"`
	DepartmentCode *string            `gorm:"column:department_code"`
	RegionCode     *string            `gorm:"column:region_code"`
	Lat            *float64           `gorm:"column:lat"`
	Lon            *float64           `gorm:"column:lon"`
	Website        *string            `gorm:"column:website"`
	Email          *string            `gorm:"column:email"`
	Phone          *string            `gorm:"column:phone"`
	SocialLinks    jsonList[linkJSON] `gorm:"column:social_links;type:jsonb"`
	Contacts       jsonList[contJSON] `gorm:"column:contacts;type:jsonb"`
	Networks       textArray          `gorm:"column:networks;type:text[]"`
	Status         string             `gorm:"column:status"`
	Source         *string            `gorm:"column:source"`
	ExternalID     *string            `gorm:"column:external_id"`
	CreatedAt      time.Time          `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt      time.Time          `gorm:"column:updated_at;autoUpdateTime:false"`
	Version        int                `gorm:"column:version"`
	DeletedAt      gorm.DeletedAt     `gorm:"column:deleted_at"`
}

func (structureRow) TableName() string { return "structures" }

type linkJSON struct {
	Network string `json:"network"`
	URL     string `json:"url"`
}

type contJSON struct {
	Name  string `json:"name"`
	Role  string `json:"role,omitempty"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// structureColumns are the columns a write may set: an explicit allowlist so
// that no field reaches the table by accident.
var structureColumns = []string{
	"slug", "name", "legal_form", "siret", "siren", "rna", "summary", "description",
	"sectors", "labels", "street", "postal_code", "city", "insee_code", "department_code",
	"region_code", "lat", "lon", "website", "email", "phone", "social_links", "contacts",
	"networks", "status", "source", "external_id", "updated_at", "version",
}

func toStructureRow(s *essdir.Structure) *structureRow {
	r := &structureRow{
		ID: s.ID, Slug: s.Slug, Name: s.Name,
		LegalForm: nullable(string(s.LegalForm)), SIRET: nullable(s.SIRET), SIREN: nullable(s.SIREN),
		RNA: nullable(s.RNA), Summary: nullable(s.Summary), Description: nullable(s.Description),
		Sectors: toStrings(s.Sectors), Labels: toStrings(s.Labels),
		Street: nullable(s.Address.Street), PostalCode: nullable(s.Address.PostalCode),
		City: nullable(s.Address.City), INSEECode: nullable(s.Address.INSEECode),
		DepartmentCode: nullable(s.DepartmentCode), RegionCode: nullable(s.RegionCode),
		Website: nullable(s.Website), Email: nullable(s.Email), Phone: nullable(s.Phone),
		Networks: toStrings(s.Networks), Status: string(s.Status),
		Source: nullable(s.Source), ExternalID: nullable(s.ExternalID),
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, Version: s.Version,
		SocialLinks: make(jsonList[linkJSON], len(s.SocialLinks)),
		Contacts:    make(jsonList[contJSON], len(s.Contacts)),
	}
	if s.Location != nil {
		r.Lat, r.Lon = &s.Location.Lat, &s.Location.Lon
	}
	for i, l := range s.SocialLinks {
		r.SocialLinks[i] = linkJSON(l)
	}
	for i, c := range s.Contacts {
		r.Contacts[i] = contJSON(c)
	}
	return r
}

func (r *structureRow) toDomain() *essdir.Structure {
	s := &essdir.Structure{
		ID: r.ID, Slug: r.Slug, Name: r.Name, LegalForm: essdir.LegalForm(deref(r.LegalForm)),
		SIRET: deref(r.SIRET), SIREN: deref(r.SIREN), RNA: deref(r.RNA),
		Summary: deref(r.Summary), Description: deref(r.Description),
		Sectors: fromStrings[essdir.Sector](r.Sectors), Labels: fromStrings[essdir.Label](r.Labels),
		Address: essdir.Address{Street: deref(r.Street), PostalCode: deref(r.PostalCode),
			City: deref(r.City), INSEECode: deref(r.INSEECode)},
		DepartmentCode: deref(r.DepartmentCode), RegionCode: deref(r.RegionCode),
		Website: deref(r.Website), Email: deref(r.Email), Phone: deref(r.Phone),
		Networks: fromStrings[string](r.Networks), Status: essdir.Status(r.Status),
		Source: deref(r.Source), ExternalID: deref(r.ExternalID),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Version: r.Version,
		SocialLinks: make([]essdir.SocialLink, len(r.SocialLinks)),
		Contacts:    make([]essdir.Contact, len(r.Contacts)),
	}
	if r.Lat != nil && r.Lon != nil {
		s.Location = &essdir.Location{Lat: *r.Lat, Lon: *r.Lon}
	}
	for i, l := range r.SocialLinks {
		s.SocialLinks[i] = essdir.SocialLink(l)
	}
	for i, c := range r.Contacts {
		s.Contacts[i] = essdir.Contact(c)
	}
	return s
}

// FindStructureByID returns a live (not deleted) structure.
func (s *Store) FindStructureByID(ctx context.Context, id uuid.UUID) (*essdir.Structure, error) {
	var row structureRow
	if err := s.db.WithContext(ctx).Take(&row, "id = ?", id).Error; err != nil {
		return nil, structureErr(err)
	}
	return row.toDomain(), nil
}

func structureErr(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return essdir.Errorf(essdir.ENOTFOUND, "structure not found")
	}
	return translate(err)
}

// CreateStructure validates s, fills its id, slug (when not given), derived
// fields and timestamps, and inserts it.
func (s *Store) CreateStructure(ctx context.Context, st *essdir.Structure) error {
	st.Normalize()
	if err := st.Validate(); err != nil {
		return err
	}
	now := s.now()
	st.ID, st.CreatedAt, st.UpdatedAt, st.Version = uuid.Must(uuid.NewV7()), now, now, 1
	derive := st.Slug == ""
	// A derived slug can lose a race with a concurrent insert of the same
	// name: try again with the next free suffix.
	for attempt := 0; ; attempt++ {
		err := s.inTx(ctx, func(tx *gorm.DB) error {
			if derive {
				slug, err := freeSlug(tx, essdir.Slugify(st.Name))
				if err != nil {
					return err
				}
				st.Slug = slug
			}
			return tx.Create(toStructureRow(st)).Error
		})
		if derive && attempt < 5 && isConflictOn(err, "slug") {
			continue
		}
		return err
	}
}

// UpdateStructure locks the live structure, lets update change it, then
// validates and stores the result. A result equal to the stored record
// changes nothing (same version, same updated_at).
func (s *Store) UpdateStructure(ctx context.Context, id uuid.UUID, update func(*essdir.Structure) error) (*essdir.Structure, error) {
	var out *essdir.Structure
	err := s.inTx(ctx, func(tx *gorm.DB) error {
		var row structureRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&row, "id = ?", id).Error; err != nil {
			return structureErr(err)
		}
		cur := row.toDomain()
		next := row.toDomain()
		if err := update(next); err != nil {
			return err
		}
		next.ID, next.CreatedAt, next.UpdatedAt, next.Version = cur.ID, cur.CreatedAt, cur.UpdatedAt, cur.Version
		if next.Slug == "" {
			next.Slug = cur.Slug
		}
		next.Normalize()
		if err := next.Validate(); err != nil {
			return err
		}
		if reflect.DeepEqual(cur, next) {
			out = cur
			return nil
		}
		next.UpdatedAt, next.Version = s.now(), cur.Version+1
		err := tx.Model(&structureRow{}).Where("id = ?", id).Select(structureColumns).Updates(toStructureRow(next)).Error
		if err != nil {
			return err
		}
		out = next
		return nil
	})
	return out, err
}

// DeleteStructure soft-deletes a live structure after check approves it. The
// row stays (tombstone for partners' sync) but no read returns it.
func (s *Store) DeleteStructure(ctx context.Context, id uuid.UUID, check func(*essdir.Structure) error) error {
	return s.inTx(ctx, func(tx *gorm.DB) error {
		var row structureRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&row, "id = ?", id).Error; err != nil {
			return structureErr(err)
		}
		if check != nil {
			if err := check(row.toDomain()); err != nil {
				return err
			}
		}
		now := s.now()
		return tx.Model(&structureRow{}).Where("id = ?", id).
			Updates(map[string]any{"deleted_at": now, "updated_at": now, "version": row.Version + 1}).Error
	})
}

// freeSlug returns base, or base-N with the smallest free N, among every
// slug ever used (deleted structures keep theirs).
func freeSlug(tx *gorm.DB, base string) (string, error) {
	var taken []string
	err := tx.Unscoped().Model(&structureRow{}).
		Where("slug = ? OR slug LIKE ?", base, base+"-%").Pluck("slug", &taken).Error
	if err != nil {
		return "", err
	}
	used := make(map[string]bool, len(taken))
	for _, t := range taken {
		used[t] = true
	}
	if !used[base] {
		return base, nil
	}
	for n := 2; ; n++ {
		if c := fmt.Sprintf("%s-%d", base, n); !used[c] {
			return c, nil
		}
	}
}

func isConflictOn(err error, field string) bool {
	var e *essdir.Error
	if !errors.As(err, &e) || e.Code != essdir.ECONFLICT {
		return false
	}
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// FindStructures returns one page of live structures matching f, in keyset order.
func (s *Store) FindStructures(ctx context.Context, f essdir.StructureFilter) (*essdir.StructurePage, error) {
	q := structureFilterQuery(s.db.WithContext(ctx).Model(&structureRow{}), f)
	page := &essdir.StructurePage{}
	if f.IncludeTotal {
		var n int64
		if err := q.Session(&gorm.Session{}).Count(&n).Error; err != nil {
			return nil, translate(err)
		}
		total := int(n)
		page.Total = &total
	}
	q, err := applyKeyset(q, f.Sort, f.Cursor)
	if err != nil {
		return nil, err
	}
	var rows []structureRow
	if err := q.Limit(f.Limit + 1).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	if len(rows) > f.Limit {
		rows = rows[:f.Limit]
		page.NextCursor = encodeCursor(f.Sort, &rows[len(rows)-1])
	}
	page.Structures = make([]*essdir.Structure, len(rows))
	for i := range rows {
		page.Structures[i] = rows[i].toDomain()
	}
	return page, nil
}

// structureFilterQuery adds f's conditions. Values are always bound
// parameters; column names come from this code only.
func structureFilterQuery(q *gorm.DB, f essdir.StructureFilter) *gorm.DB {
	in := func(col string, vals []string) {
		if len(vals) > 0 {
			q = q.Where(col+" IN ?", vals)
		}
	}
	overlaps := func(col string, vals []string) {
		if len(vals) > 0 {
			q = q.Where(col+" && ?::text[]", textArray(vals))
		}
	}
	in("status", toStrings(f.Statuses))
	in("legal_form", toStrings(f.LegalForms))
	overlaps("sectors", toStrings(f.Sectors))
	overlaps("labels", toStrings(f.Labels))
	in("department_code", f.DepartmentCodes)
	in("region_code", f.RegionCodes)
	in("insee_code", f.INSEECodes)
	in("postal_code", f.PostalCodes)
	overlaps("networks", f.Networks)
	in("source", f.Sources)
	if len(f.Cities) > 0 {
		lowered := make([]string, len(f.Cities))
		for i, c := range f.Cities {
			lowered[i] = strings.ToLower(c)
		}
		q = q.Where("lower(city) IN ?", lowered)
	}
	if f.UpdatedSince != nil {
		q = q.Where("updated_at >= ?", *f.UpdatedSince)
	}
	return q
}
