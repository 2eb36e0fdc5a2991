package api

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/essdir/essdir/internal/essdir"
)

// SupportScheme is a support scheme as the API shows it. Anonymous callers
// do not see an operator or beneficiaries that are unpublished structures.
type SupportScheme struct {
	ID                      uuid.UUID               `json:"id" format:"uuid" readonly:"true" validate:"required"`
	Name                    string                  `json:"name" example:"Dispositif Local d'Accompagnement" validate:"required"`
	Acronym                 string                  `json:"acronym,omitempty" example:"DLA"`
	Description             string                  `json:"description,omitempty"`
	OperatorStructureID     *uuid.UUID              `json:"operator_structure_id,omitempty" format:"uuid"`
	Funders                 []SupportSchemeFunder   `json:"funders" validate:"required"`
	TargetAudiences         []essdir.TargetAudience `json:"target_audiences" validate:"required"`
	Steps                   []SupportSchemeStep     `json:"steps" validate:"required"`
	Territory               SupportSchemeTerritory  `json:"territory" validate:"required"`
	Website                 string                  `json:"website,omitempty" example:"https://www.info-dla.fr/"`
	Email                   string                  `json:"email,omitempty" example:"contact@pole-economie-solidaire21.org"`
	Phone                   string                  `json:"phone,omitempty" example:"03 80 50 90 47"`
	BeneficiaryStructureIDs []uuid.UUID             `json:"beneficiary_structure_ids" validate:"required"`
	CreatedAt               time.Time               `json:"created_at" readonly:"true" validate:"required"`
	UpdatedAt               time.Time               `json:"updated_at" readonly:"true" validate:"required"`
	Version                 int                     `json:"version" example:"1" readonly:"true" validate:"required"`
} // @name SupportScheme

// SupportSchemeFunder is a collectivity of the directory or a funder known
// by name only: exactly one of the two.
type SupportSchemeFunder struct {
	CollectivityID *uuid.UUID `json:"collectivity_id,omitempty" format:"uuid"`
	Name           string     `json:"name,omitempty" example:"Ademe"`
} // @name SupportSchemeFunder

// SupportSchemeStep is one step of a scheme. Positions run 1..n in order;
// on a write, leave every position out to number the steps in the order of
// the array, or give each step its own (1..n, each once).
type SupportSchemeStep struct {
	Position    int    `json:"position,omitempty" example:"1" minimum:"1"`
	Title       string `json:"title" example:"Accueil" validate:"required"`
	Description string `json:"description,omitempty"`
} // @name SupportSchemeStep

// SupportSchemeStepInput is a step as written: a position left out is
// numbered from the order of the array; one given must be 1..n.
type SupportSchemeStepInput struct {
	Position    *int   `json:"position,omitempty" example:"1" minimum:"1"`
	Title       string `json:"title" example:"Accueil" validate:"required"`
	Description string `json:"description,omitempty"`
} // @name SupportSchemeStepInput

// SupportSchemeTerritory is where a scheme is offered, as codes of the
// official geography.
type SupportSchemeTerritory struct {
	DepartmentCodes []string `json:"department_codes" example:"21" validate:"required"`
	RegionCodes     []string `json:"region_codes" example:"27" validate:"required"`
} // @name SupportSchemeTerritory

// SupportSchemeInput is the body of POST and PUT. What a GET returned may be
// sent back: read-only fields are ignored when equal to the stored values.
type SupportSchemeInput struct {
	ID                      *uuid.UUID               `json:"id,omitempty" format:"uuid"`
	Name                    string                   `json:"name" example:"Dispositif Local d'Accompagnement" validate:"required"`
	Acronym                 string                   `json:"acronym,omitempty" example:"DLA"`
	Description             string                   `json:"description,omitempty"`
	OperatorStructureID     *uuid.UUID               `json:"operator_structure_id,omitempty" format:"uuid"`
	Funders                 []SupportSchemeFunder    `json:"funders,omitempty"`
	TargetAudiences         []essdir.TargetAudience  `json:"target_audiences,omitempty"`
	Steps                   []SupportSchemeStepInput `json:"steps,omitempty"`
	Territory               *SupportSchemeTerritory  `json:"territory,omitempty"`
	Website                 string                   `json:"website,omitempty"`
	Email                   string                   `json:"email,omitempty"`
	Phone                   string                   `json:"phone,omitempty"`
	BeneficiaryStructureIDs []uuid.UUID              `json:"beneficiary_structure_ids,omitempty"`
	CreatedAt               *time.Time               `json:"created_at,omitempty"`
	UpdatedAt               *time.Time               `json:"updated_at,omitempty"`
	Version                 *int                     `json:"version,omitempty"`
} // @name SupportSchemeInput

// SupportSchemeList is a page of support schemes.
type SupportSchemeList struct {
	Data []SupportScheme `json:"data" validate:"required"`
	Meta ListMeta        `json:"meta" validate:"required"`
} // @name SupportSchemeList

// toSupportScheme maps a domain scheme to its representation. Anonymous
// callers (all false) do not see an operator or beneficiaries that are not
// published structures: a draft structure is reached through no path.
func toSupportScheme(s *essdir.SupportScheme, all bool) SupportScheme {
	out := SupportScheme{
		ID: s.ID, Name: s.Name, Acronym: s.Acronym, Description: s.Description,
		Funders: make([]SupportSchemeFunder, len(s.Funders)), TargetAudiences: nonNil(s.TargetAudiences),
		Steps: make([]SupportSchemeStep, len(s.Steps)),
		Territory: SupportSchemeTerritory{DepartmentCodes: nonNil(s.Territory.DepartmentCodes),
			RegionCodes: nonNil(s.Territory.RegionCodes)},
		Website: s.Website, Email: s.Email, Phone: s.Phone, BeneficiaryStructureIDs: []uuid.UUID{},
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, Version: s.Version,
	}
	if s.OperatorPublished || all {
		out.OperatorStructureID = optionalUUID(s.OperatorStructureID)
	}
	for i, f := range s.Funders {
		out.Funders[i] = SupportSchemeFunder{CollectivityID: optionalUUID(f.CollectivityID), Name: f.Name}
	}
	for i, st := range s.Steps {
		out.Steps[i] = SupportSchemeStep(st)
	}
	for _, b := range s.Beneficiaries {
		if b.Published || all {
			out.BeneficiaryStructureIDs = append(out.BeneficiaryStructureIDs, b.StructureID)
		}
	}
	return out
}

func (in *SupportSchemeInput) nonNullable() []string { return nil }

// toDomain maps the body to the scheme it describes, with the read-only
// header values it echoed.
func (in *SupportSchemeInput) toDomain() (*essdir.SupportScheme, essdir.Echo, error) {
	s := &essdir.SupportScheme{
		Name: in.Name, Acronym: in.Acronym, Description: in.Description, TargetAudiences: in.TargetAudiences,
		Website: in.Website, Email: in.Email, Phone: in.Phone,
		Funders: make([]essdir.Funder, len(in.Funders)), Steps: make([]essdir.SchemeStep, len(in.Steps)),
		Beneficiaries: make([]essdir.Beneficiary, len(in.BeneficiaryStructureIDs)),
	}
	var bad essdir.Violations
	s.OperatorStructureID = ref(&bad, "operator_structure_id", in.OperatorStructureID)
	for i, f := range in.Funders {
		s.Funders[i].Name = f.Name
		s.Funders[i].CollectivityID = ref(&bad, fmt.Sprintf("funders[%d].collectivity_id", i), f.CollectivityID)
	}
	for i, st := range in.Steps {
		s.Steps[i] = essdir.SchemeStep{Title: st.Title, Description: st.Description}
		if st.Position != nil {
			if *st.Position < 1 {
				bad.Add(fmt.Sprintf("steps[%d].position", i), "must be at least 1: leave every position out to number the steps in order")
			}
			s.Steps[i].Position = *st.Position
		}
	}
	if err := bad.Err(); err != nil {
		return nil, essdir.Echo{}, err
	}
	if t := in.Territory; t != nil {
		s.Territory = essdir.SchemeTerritory{DepartmentCodes: t.DepartmentCodes, RegionCodes: t.RegionCodes}
	}
	for i, id := range in.BeneficiaryStructureIDs {
		s.Beneficiaries[i].StructureID = id
	}
	return s, essdir.Echo{ID: in.ID, CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt, Version: in.Version}, nil
}
