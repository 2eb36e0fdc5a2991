package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

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
	// Computed by searches (search.go), never written.
	Rank       *float64 `gorm:"column:rank;->"`
	DistanceKM *float64 `gorm:"column:distance_km;->"`
	Shuffle    *int32   `gorm:"column:shuffle;->"`
}

func (structureRow) TableName() string { return "structures" }

// field is the destination of each column of the row, for the native reads
// of native.go (no reflection). Arrays scan as []string and the id as
// [16]byte, which pgx decodes from the binary format without a detour
// through text.
func (r *structureRow) field(column string) any {
	switch column {
	case "id":
		return (*[16]byte)(&r.ID)
	case "slug":
		return &r.Slug
	case "name":
		return &r.Name
	case "legal_form":
		return &r.LegalForm
	case "siret":
		return &r.SIRET
	case "siren":
		return &r.SIREN
	case "rna":
		return &r.RNA
	case "summary":
		return &r.Summary
	case "description":
		return &r.Description
	case "sectors":
		return (*[]string)(&r.Sectors)
	case "labels":
		return (*[]string)(&r.Labels)
	case "street":
		return &r.Street
	case "postal_code":
		return &r.PostalCode
	case "city":
		return &r.City
	case "insee_code":
		return &r.INSEECode
	case "department_code":
		return &r.DepartmentCode
	case "region_code":
		return &r.RegionCode
	case "lat":
		return &r.Lat
	case "lon":
		return &r.Lon
	case "website":
		return &r.Website
	case "email":
		return &r.Email
	case "phone":
		return &r.Phone
	case "social_links":
		return &r.SocialLinks
	case "contacts":
		return &r.Contacts
	case "networks":
		return (*[]string)(&r.Networks)
	case "status":
		return &r.Status
	case "source":
		return &r.Source
	case "external_id":
		return &r.ExternalID
	case "created_at":
		return &r.CreatedAt
	case "updated_at":
		return &r.UpdatedAt
	case "version":
		return &r.Version
	case "deleted_at":
		return &r.DeletedAt
	case "rank":
		return &r.Rank
	case "distance_km":
		return &r.DistanceKM
	case "shuffle":
		return &r.Shuffle
	}
	return nil
}

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
		Record: essdir.Record{ID: r.ID, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Version: r.Version},
		Slug:   r.Slug, Name: r.Name, LegalForm: essdir.LegalForm(deref(r.LegalForm)),
		SIRET: deref(r.SIRET), SIREN: deref(r.SIREN), RNA: deref(r.RNA),
		Summary: deref(r.Summary), Description: deref(r.Description),
		Sectors: fromStrings[essdir.Sector](r.Sectors), Labels: fromStrings[essdir.Label](r.Labels),
		Address: essdir.Address{Street: deref(r.Street), PostalCode: deref(r.PostalCode),
			City: deref(r.City), INSEECode: deref(r.INSEECode)},
		DepartmentCode: deref(r.DepartmentCode), RegionCode: deref(r.RegionCode),
		Website: deref(r.Website), Email: deref(r.Email), Phone: deref(r.Phone),
		Networks: fromStrings[string](r.Networks), Status: essdir.Status(r.Status),
		Source: deref(r.Source), ExternalID: deref(r.ExternalID),
		SocialLinks: make([]essdir.SocialLink, len(r.SocialLinks)),
		Contacts:    make([]essdir.Contact, len(r.Contacts)),
		DistanceKM:  r.DistanceKM,
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

// structures is how structures are stored: every write and read goes
// through the shared helpers of records.go.
var structures = &table[essdir.Structure, structureRow]{
	name:        "structures",
	kind:        "structure",
	columns:     structureColumns,
	toRow:       toStructureRow,
	toDomain:    (*structureRow).toDomain,
	field:       (*structureRow).field,
	readColumns: structureReadColumns,
	sorts: []sortSpec[structureRow]{
		{essdir.SortName, []sortKey[structureRow]{
			textKey("name", false, func(r *structureRow) string { return r.Name }),
			idKey(false, func(r *structureRow) uuid.UUID { return r.ID }),
		}},
		{essdir.SortUpdatedAtDesc, []sortKey[structureRow]{
			timeKey("updated_at", true, func(r *structureRow) time.Time { return r.UpdatedAt }),
			idKey(true, func(r *structureRow) uuid.UUID { return r.ID }),
		}},
		// Searches only (search.go): the columns rank and distance_km exist
		// in their subquery.
		{essdir.SortRelevance, []sortKey[structureRow]{
			floatKey("rank", true, func(r *structureRow) float64 { return deref(r.Rank) }),
			idKey(true, func(r *structureRow) uuid.UUID { return r.ID }),
		}},
		{sortRelevanceShuffled, []sortKey[structureRow]{
			intKey(shuffleKey, false, func(r *structureRow) int64 { return int64(deref(r.Shuffle)) }),
			idKey(false, func(r *structureRow) uuid.UUID { return r.ID }),
		}},
		{sortRelevanceByName, []sortKey[structureRow]{
			textKey("name", false, func(r *structureRow) string { return r.Name }),
			idKey(false, func(r *structureRow) uuid.UUID { return r.ID }),
		}},
		{essdir.SortDistance, []sortKey[structureRow]{
			floatKey("distance_km", false, func(r *structureRow) float64 { return deref(r.DistanceKM) }),
			idKey(false, func(r *structureRow) uuid.UUID { return r.ID }),
		}},
	},
	slug: func(s *essdir.Structure) (*string, string) { return &s.Slug, s.Name },
	unique: []uniqueValue[essdir.Structure]{
		{constraint: "structures_slug_key", column: "slug", given: true, value: func(s *essdir.Structure) string { return s.Slug }},
		{constraint: "structures_siret_key", column: "siret", live: true, value: func(s *essdir.Structure) string { return s.SIRET }},
	},
	erase:       map[string]any{"contacts": "[]"},
	onDelete:    deleteStructureRecords,
	afterChange: structurePublicationChanged,
}

// structurePublicationChanged: when a structure enters or leaves the
// published state, what anonymous callers see of the events and support
// schemes that name it changes too.
func structurePublicationChanged(tx *gorm.DB, stored, next *essdir.Structure, now time.Time) ([]pendingChange, error) {
	if (stored.Status == essdir.StatusPublished) == (next.Status == essdir.StatusPublished) {
		return nil, nil
	}
	return touchWhatNames(tx, next.ID, now)
}

// touchWhatNames gives the events and support schemes that name a structure
// a new version and an upsert in the feed: they keep their own record, but
// what they show of the structure changed (it is left out of reads once
// deleted, or of anonymous reads once unpublished), so the .ics SEQUENCE,
// If-Match and partners' mirrors must follow.
func touchWhatNames(tx *gorm.DB, structureID uuid.UUID, now time.Time) ([]pendingChange, error) {
	var changes []pendingChange
	for _, named := range []struct{ table, typ, refs string }{
		{"events", "event", `SELECT event_id FROM event_organizers WHERE structure_id = @id
			UNION SELECT event_id FROM event_participants WHERE structure_id = @id`},
		{"support_schemes", "support_scheme", `SELECT id FROM support_schemes WHERE operator_structure_id = @id
			UNION SELECT support_scheme_id FROM support_scheme_beneficiaries WHERE structure_id = @id`},
	} {
		var ids []uuid.UUID
		err := tx.Raw("UPDATE "+named.table+" SET updated_at = @now, version = version + 1 WHERE deleted_at IS NULL AND id IN ("+named.refs+") RETURNING id",
			sql.Named("now", now), sql.Named("id", structureID)).Scan(&ids).Error
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			changes = append(changes, pendingChange{named.typ, id, essdir.ChangeUpsert, now})
		}
	}
	return changes, nil
}

// deleteStructureRecords deletes what a structure takes with it: its
// activities and the links collectivities made to it, each a tombstone in
// the change feed. Support schemes and events that name it keep their own
// record; reads leave the reference out.
func deleteStructureRecords(tx *gorm.DB, st *essdir.Structure, now time.Time) ([]pendingChange, error) {
	var changes []pendingChange
	for _, owned := range []struct{ table, typ string }{{"activities", "activity"}, {"collectivity_links", "collectivity_link"}} {
		var ids []uuid.UUID
		err := tx.Raw("UPDATE "+owned.table+" SET deleted_at = ?, updated_at = ?, version = version + 1 WHERE structure_id = ? AND deleted_at IS NULL RETURNING id",
			now, now, st.ID).Scan(&ids).Error
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			changes = append(changes, pendingChange{owned.typ, id, essdir.ChangeDelete, now})
		}
	}
	named, err := touchWhatNames(tx, st.ID, now)
	if err != nil {
		return nil, err
	}
	changes = append(changes, named...)
	return changes, nil
}

// FindStructureByID returns a live (not deleted) structure.
func (s *Store) FindStructureByID(ctx context.Context, id uuid.UUID) (*essdir.Structure, error) {
	return findByID(ctx, s, structures, id)
}

// CreateStructure applies the write rule to st, gives it its id, slug (when
// not given), derived fields and timestamps, and inserts it.
func (s *Store) CreateStructure(ctx context.Context, st *essdir.Structure, echo essdir.Echo) error {
	return create(ctx, s, structures, st, echo)
}

// UpdateStructure locks the live structure, lets change build its new state
// and stores it under the write rule.
func (s *Store) UpdateStructure(ctx context.Context, id uuid.UUID, change essdir.Change[essdir.Structure]) (*essdir.Structure, error) {
	return update(ctx, s, structures, id, change)
}

// DeleteStructure soft-deletes a live structure after check approves it and
// erases its contacts (personal data) at once.
func (s *Store) DeleteStructure(ctx context.Context, id uuid.UUID, check func(*essdir.Structure) error) error {
	return softDelete(ctx, s, structures, id, check)
}

// FindStructures returns one page of live structures matching f, in keyset order.
func (s *Store) FindStructures(ctx context.Context, f essdir.StructureFilter) (*essdir.Page[essdir.Structure], error) {
	if f.Q != "" || f.Near != nil || f.Sort == essdir.SortRelevance || f.Sort == essdir.SortDistance {
		return s.searchStructures(ctx, f)
	}
	return findPageWhere(ctx, s, structures, structureFilters(&filter{}, selection{StructureFilter: f}), f.List)
}

// structureFilterQuery adds f's conditions to q.
func structureFilterQuery(q *gorm.DB, f selection) *gorm.DB {
	return structureFilters(&filter{q: q}, f).q
}

// structureFilters adds f's conditions to w. Values are always bound
// parameters; column names come from this code only.
func structureFilters(w *filter, f selection) *filter {
	w = w.
		statuses("status", f.Statuses).
		in("legal_form", toStrings(f.LegalForms)).
		overlaps("sectors", toStrings(f.Sectors)).
		overlaps("labels", toStrings(f.Labels)).
		in("department_code", f.DepartmentCodes).
		in("region_code", f.RegionCodes).
		in("insee_code", f.INSEECodes).
		in("postal_code", f.PostalCodes).
		overlaps("networks", f.Networks).
		in("source", f.Sources).
		inFolded("city", f.Cities).
		since("updated_at", f.UpdatedSince)
	switch {
	case f.Q != "" && f.tsquery == "":
		w.where("FALSE") // no word to search: nothing matches
	case f.Q != "":
		w.where(searchMatch, f.tsquery)
	}
	near(bbox(w, f.BBox), f.Near, f.RadiusKM)
	if len(f.Audiences) > 0 {
		w.where(`EXISTS (SELECT 1 FROM activities a WHERE a.structure_id = structures.id
			AND a.deleted_at IS NULL AND a.audiences && ?::text[])`, toStrings(f.Audiences))
	}
	if len(f.CollectivityIDs) > 0 {
		w.where(`EXISTS (SELECT 1 FROM collectivity_links l WHERE l.structure_id = structures.id
			AND l.deleted_at IS NULL AND l.collectivity_id IN ?)`, f.CollectivityIDs)
	}
	if len(f.SupportSchemeIDs) > 0 {
		w.where(`(EXISTS (SELECT 1 FROM support_schemes ss WHERE ss.operator_structure_id = structures.id
			AND ss.deleted_at IS NULL AND ss.id IN ?) OR EXISTS (SELECT 1 FROM support_scheme_beneficiaries b
			JOIN support_schemes ss ON ss.id = b.support_scheme_id AND ss.deleted_at IS NULL
			WHERE b.structure_id = structures.id AND b.support_scheme_id IN ?))`, f.SupportSchemeIDs, f.SupportSchemeIDs)
	}
	return w
}
