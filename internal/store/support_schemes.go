package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/essdir/essdir/internal/essdir"
)

// supportSchemeRow is the support_schemes table as GORM sees it. Funders
// and beneficiaries live in their own tables; steps are a jsonb list.
type supportSchemeRow struct {
	ID                  uuid.UUID          `gorm:"column:id;primaryKey"`
	Name                string             `gorm:"column:name"`
	Acronym             *string            `gorm:"column:acronym"`
	Description         *string            `gorm:"column:description"`
	OperatorStructureID *uuid.UUID         `gorm:"column:operator_structure_id"`
	TargetAudiences     textArray          `gorm:"column:target_audiences;type:text[]"`
	Steps               jsonList[stepJSON] `gorm:"column:steps;type:jsonb"`
	DepartmentCodes     textArray          `gorm:"column:department_codes;type:text[]"`
	RegionCodes         textArray          `gorm:"column:region_codes;type:text[]"`
	Website             *string            `gorm:"column:website"`
	Email               *string            `gorm:"column:email"`
	Phone               *string            `gorm:"column:phone"`
	CreatedAt           time.Time          `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt           time.Time          `gorm:"column:updated_at;autoUpdateTime:false"`
	Version             int                `gorm:"column:version"`
	DeletedAt           gorm.DeletedAt     `gorm:"column:deleted_at"`
}

type stepJSON struct {
	Position    int    `json:"position"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// supportSchemeFunderRow and supportSchemeBeneficiaryRow are the rows a
// support scheme owns.
type supportSchemeFunderRow struct {
	SupportSchemeID uuid.UUID  `gorm:"column:support_scheme_id"`
	Position        int        `gorm:"column:position"`
	CollectivityID  *uuid.UUID `gorm:"column:collectivity_id"`
	Name            *string    `gorm:"column:name"`
}

type supportSchemeBeneficiaryRow struct {
	SupportSchemeID uuid.UUID `gorm:"column:support_scheme_id"`
	Position        int       `gorm:"column:position"`
	StructureID     uuid.UUID `gorm:"column:structure_id"`
	Published       bool      `gorm:"column:published;->"` // read only: computed by loadSupportSchemeChildren
}

func toSupportSchemeRow(s *essdir.SupportScheme) *supportSchemeRow {
	r := &supportSchemeRow{
		ID: s.ID, Name: s.Name, Acronym: nullable(s.Acronym), Description: nullable(s.Description),
		OperatorStructureID: optionalID(s.OperatorStructureID), TargetAudiences: toStrings(s.TargetAudiences),
		Steps:           make(jsonList[stepJSON], len(s.Steps)),
		DepartmentCodes: toStrings(s.Territory.DepartmentCodes), RegionCodes: toStrings(s.Territory.RegionCodes),
		Website: nullable(s.Website), Email: nullable(s.Email), Phone: nullable(s.Phone),
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, Version: s.Version,
	}
	for i, st := range s.Steps {
		r.Steps[i] = stepJSON(st)
	}
	return r
}

func (r *supportSchemeRow) toDomain() *essdir.SupportScheme {
	s := &essdir.SupportScheme{
		Record: essdir.Record{ID: r.ID, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Version: r.Version},
		Name:   r.Name, Acronym: deref(r.Acronym), Description: deref(r.Description),
		TargetAudiences: fromStrings[essdir.TargetAudience](r.TargetAudiences),
		Steps:           make([]essdir.SchemeStep, len(r.Steps)),
		Territory: essdir.SchemeTerritory{DepartmentCodes: fromStrings[string](r.DepartmentCodes),
			RegionCodes: fromStrings[string](r.RegionCodes)},
		Website: deref(r.Website), Email: deref(r.Email), Phone: deref(r.Phone),
		Funders: []essdir.Funder{}, Beneficiaries: []essdir.Beneficiary{},
	}
	if r.OperatorStructureID != nil {
		s.OperatorStructureID = *r.OperatorStructureID
	}
	for i, st := range r.Steps {
		s.Steps[i] = essdir.SchemeStep(st)
	}
	return s
}

// supportSchemes is how support schemes are stored: the shared helpers of
// records.go, plus the hooks of the funder and beneficiary rows.
var supportSchemes = &table[essdir.SupportScheme, supportSchemeRow]{
	name: "support_schemes",
	kind: "support scheme",
	columns: []string{"name", "acronym", "description", "operator_structure_id", "target_audiences", "steps",
		"department_codes", "region_codes", "website", "email", "phone", "updated_at", "version"},
	toRow:    toSupportSchemeRow,
	toDomain: (*supportSchemeRow).toDomain,
	sorts: []sortSpec[supportSchemeRow]{
		{essdir.SortName, []sortKey[supportSchemeRow]{
			textKey("name", false, func(r *supportSchemeRow) string { return r.Name }),
			idKey(false, func(r *supportSchemeRow) uuid.UUID { return r.ID }),
		}},
		{essdir.SortUpdatedAtDesc, []sortKey[supportSchemeRow]{
			timeKey("updated_at", true, func(r *supportSchemeRow) time.Time { return r.UpdatedAt }),
			idKey(true, func(r *supportSchemeRow) uuid.UUID { return r.ID }),
		}},
	},
	checkRefs:    checkSupportSchemeRefs,
	saveChildren: saveSupportSchemeChildren,
	loadChildren: loadSupportSchemeChildren,
	onDelete: func(tx *gorm.DB, s *essdir.SupportScheme, _ time.Time) ([]pendingChange, error) {
		return nil, refuseIfReferenced(tx, "support scheme", s.ID,
			referrer{"collectivity links", `SELECT id FROM collectivity_links WHERE support_scheme_id = ? AND deleted_at IS NULL`})
	},
}

// checkSupportSchemeRefs answers 422, naming each field, when the operator,
// a funder or a beneficiary is not a live record of the directory.
func checkSupportSchemeRefs(tx *gorm.DB, s *essdir.SupportScheme) error {
	refs := []ref{{"operator_structure_id", "structures", "structure", s.OperatorStructureID}}
	for i, f := range s.Funders {
		refs = append(refs, ref{fmt.Sprintf("funders[%d].collectivity_id", i), "collectivities", "collectivity", f.CollectivityID})
	}
	for i, b := range s.Beneficiaries {
		refs = append(refs, ref{fmt.Sprintf("beneficiary_structure_ids[%d]", i), "structures", "structure", b.StructureID})
	}
	return checkLive(tx, refs...)
}

// saveSupportSchemeChildren replaces the funder and beneficiary rows of s.
func saveSupportSchemeChildren(tx *gorm.DB, s *essdir.SupportScheme) error {
	for _, t := range []string{"support_scheme_funders", "support_scheme_beneficiaries"} {
		if err := tx.Table(t).Where("support_scheme_id = ?", s.ID).Delete(nil).Error; err != nil {
			return translate(err)
		}
	}
	if len(s.Funders) > 0 {
		rows := make([]supportSchemeFunderRow, len(s.Funders))
		for i, f := range s.Funders {
			rows[i] = supportSchemeFunderRow{SupportSchemeID: s.ID, Position: i,
				CollectivityID: optionalID(f.CollectivityID), Name: nullable(f.Name)}
		}
		if err := tx.Table("support_scheme_funders").Create(&rows).Error; err != nil {
			return translate(err)
		}
	}
	if len(s.Beneficiaries) > 0 {
		rows := make([]supportSchemeBeneficiaryRow, len(s.Beneficiaries))
		for i, b := range s.Beneficiaries {
			rows[i] = supportSchemeBeneficiaryRow{SupportSchemeID: s.ID, Position: i, StructureID: b.StructureID}
		}
		if err := tx.Table("support_scheme_beneficiaries").Create(&rows).Error; err != nil {
			return translate(err)
		}
	}
	return nil
}

// loadSupportSchemeChildren reads, for a batch of schemes, the operator's
// visibility, the funders and the beneficiaries: one query each for the
// whole batch. A deleted operator, funder or beneficiary is left out for
// every caller (never dangling); each kept structure says whether anonymous
// readers may see it, for the transport to filter.
func loadSupportSchemeChildren(db *gorm.DB, recs []*essdir.SupportScheme) error {
	ids := make([]uuid.UUID, len(recs))
	byID := make(map[uuid.UUID]*essdir.SupportScheme, len(recs))
	var operators []uuid.UUID
	for i, s := range recs {
		ids[i], byID[s.ID] = s.ID, s
		s.Funders, s.Beneficiaries = []essdir.Funder{}, []essdir.Beneficiary{}
		if s.OperatorStructureID != uuid.Nil {
			operators = append(operators, s.OperatorStructureID)
		}
	}
	if len(operators) > 0 {
		var live []struct {
			ID        uuid.UUID `gorm:"column:id"`
			Published bool      `gorm:"column:published"`
		}
		err := db.Raw(`SELECT id, status = 'published' AS published FROM structures
			WHERE id IN ? AND deleted_at IS NULL`, operators).Scan(&live).Error
		if err != nil {
			return err
		}
		published := make(map[uuid.UUID]bool, len(live))
		for _, o := range live {
			published[o.ID] = o.Published
		}
		for _, s := range recs {
			p, ok := published[s.OperatorStructureID]
			if !ok {
				s.OperatorStructureID = uuid.Nil
			}
			s.OperatorPublished = p
		}
	}
	var funders []supportSchemeFunderRow
	err := db.Raw(`SELECT f.support_scheme_id, f.position, f.collectivity_id, f.name
		  FROM support_scheme_funders f
		  LEFT JOIN collectivities c ON c.id = f.collectivity_id
		 WHERE f.support_scheme_id IN ? AND c.deleted_at IS NULL
		 ORDER BY f.support_scheme_id, f.position`, ids).Scan(&funders).Error
	if err != nil {
		return err
	}
	for _, f := range funders {
		fu := essdir.Funder{Name: deref(f.Name)}
		if f.CollectivityID != nil {
			fu.CollectivityID = *f.CollectivityID
		}
		byID[f.SupportSchemeID].Funders = append(byID[f.SupportSchemeID].Funders, fu)
	}
	var helped []supportSchemeBeneficiaryRow
	err = db.Raw(`SELECT b.support_scheme_id, b.position, b.structure_id, s.status = 'published' AS published
		  FROM support_scheme_beneficiaries b
		  JOIN structures s ON s.id = b.structure_id
		 WHERE b.support_scheme_id IN ? AND s.deleted_at IS NULL
		 ORDER BY b.support_scheme_id, b.position`, ids).Scan(&helped).Error
	if err != nil {
		return err
	}
	for _, b := range helped {
		s := byID[b.SupportSchemeID]
		s.Beneficiaries = append(s.Beneficiaries, essdir.Beneficiary{StructureID: b.StructureID, Published: b.Published})
	}
	return nil
}

// FindSupportSchemeByID returns a live support scheme with its funders and
// beneficiaries.
func (s *Store) FindSupportSchemeByID(ctx context.Context, id uuid.UUID) (*essdir.SupportScheme, error) {
	return findByID(ctx, s, supportSchemes, id)
}

// CreateSupportScheme stores a new support scheme with its funders and
// beneficiaries.
func (s *Store) CreateSupportScheme(ctx context.Context, sc *essdir.SupportScheme, echo essdir.Echo) error {
	return create(ctx, s, supportSchemes, sc, echo)
}

// UpdateSupportScheme changes a live support scheme under the write rule.
func (s *Store) UpdateSupportScheme(ctx context.Context, id uuid.UUID, change essdir.Change[essdir.SupportScheme]) (*essdir.SupportScheme, error) {
	return update(ctx, s, supportSchemes, id, change)
}

// DeleteSupportScheme soft-deletes a support scheme that no live
// collectivity link references any more (409 naming them otherwise).
func (s *Store) DeleteSupportScheme(ctx context.Context, id uuid.UUID, check func(*essdir.SupportScheme) error) error {
	return softDelete(ctx, s, supportSchemes, id, check)
}

// FindSupportSchemes returns one page of live support schemes matching f.
func (s *Store) FindSupportSchemes(ctx context.Context, f essdir.SupportSchemeFilter) (*essdir.Page[essdir.SupportScheme], error) {
	return findPage(supportSchemeFilterQuery(s.db.WithContext(ctx), f), supportSchemes, f.List)
}

// supportSchemeFilterQuery adds f's conditions. Values are always bound
// parameters; column names come from this code only.
func supportSchemeFilterQuery(q *gorm.DB, f essdir.SupportSchemeFilter) *gorm.DB {
	w := (&filter{q: q}).
		overlaps("support_schemes.target_audiences", toStrings(f.TargetAudiences)).
		since("support_schemes.updated_at", f.UpdatedSince)
	// Territory overlap: a département matches the schemes of its région,
	// and a région the schemes of its départements.
	if len(f.DepartmentCodes) > 0 {
		var regions []string
		for _, d := range f.DepartmentCodes {
			regions = append(regions, essdir.RegionOfDepartment(d))
		}
		w.q = w.q.Where("(support_schemes.department_codes && ?::text[] OR support_schemes.region_codes && ?::text[])",
			textArray(f.DepartmentCodes), textArray(regions))
	}
	if len(f.RegionCodes) > 0 {
		var departments []string
		for _, r := range f.RegionCodes {
			departments = append(departments, essdir.DepartmentsOfRegion(r)...)
		}
		w.q = w.q.Where("(support_schemes.region_codes && ?::text[] OR support_schemes.department_codes && ?::text[])",
			textArray(f.RegionCodes), textArray(departments))
	}
	// A structure filter matches live structures only, and for anonymous
	// callers published ones only: a filter never reveals a draft.
	visible := "s.deleted_at IS NULL"
	if f.PublishedStructuresOnly {
		visible += " AND s.status = 'published'"
	}
	if len(f.OperatorStructureIDs) > 0 {
		w.q = w.q.Where(`support_schemes.operator_structure_id IN ? AND EXISTS (SELECT 1 FROM structures s
			WHERE s.id = support_schemes.operator_structure_id AND `+visible+`)`, f.OperatorStructureIDs)
	}
	if len(f.BeneficiaryStructureIDs) > 0 {
		w.q = w.q.Where(`EXISTS (SELECT 1 FROM support_scheme_beneficiaries b JOIN structures s ON s.id = b.structure_id
			WHERE b.support_scheme_id = support_schemes.id AND b.structure_id IN ? AND `+visible+`)`, f.BeneficiaryStructureIDs)
	}
	if len(f.CollectivityIDs) > 0 {
		w.q = w.q.Where(`EXISTS (SELECT 1 FROM support_scheme_funders fu JOIN collectivities c ON c.id = fu.collectivity_id
			WHERE fu.support_scheme_id = support_schemes.id AND fu.collectivity_id IN ? AND c.deleted_at IS NULL)`, f.CollectivityIDs)
	}
	return w.q
}
