package essdir

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Funder is who finances a support scheme: a collectivity of the directory
// (CollectivityID) or a funder known by name only (the Ademe): exactly one
// of the two.
type Funder struct {
	CollectivityID uuid.UUID
	Name           string
}

// SchemeStep is one step of a support scheme's path. Positions run from 1
// to the number of steps, in order.
type SchemeStep struct {
	Position    int
	Title       string
	Description string
}

// SchemeTerritory is where a support scheme is offered: départements and
// régions of the official geography. Empty means not stated.
type SchemeTerritory struct {
	DepartmentCodes []string
	RegionCodes     []string
}

// Beneficiary is a structure a support scheme helped. Published is set by
// the store on reads (may anonymous readers see that structure?) and
// carried over by Derive; writes ignore it.
type Beneficiary struct {
	StructureID uuid.UUID
	Published   bool
}

// SupportScheme is a dispositif d'accompagnement such as the DLA or the
// Générateur Bourgogne-Franche-Comté: who runs it (a structure), who funds
// it, whom it is for, its steps, where it is offered and whom it helped.
// Support schemes have no editorial state: every live one is public, but
// the structures they name are shown only as far as the reader may see
// them (OperatorPublished, Beneficiary.Published).
type SupportScheme struct {
	Record
	Name                string
	Acronym             string
	Description         string
	OperatorStructureID uuid.UUID
	OperatorPublished   bool
	Funders             []Funder
	TargetAudiences     []TargetAudience
	Steps               []SchemeStep
	Territory           SchemeTerritory
	Website             string
	Email               string
	Phone               string
	Beneficiaries       []Beneficiary
}

// Derive puts the scheme in its stored form: text in NFC, codes in their
// canonical case without repeats, steps in the order of their positions
// (numbered from the array's order when the client gives none), and the
// territory checked against the official geography when geo is given.
func (s *SupportScheme) Derive(ctx context.Context, geo Geography, stored *SupportScheme, v *Violations) error {
	s.Name, s.Acronym, s.Description = CleanText(s.Name), CleanText(s.Acronym), CleanText(s.Description)
	s.Website, s.Phone = CleanText(s.Website), CleanText(s.Phone)
	s.Email = strings.ToLower(CleanText(s.Email))
	for i := range s.Funders {
		s.Funders[i].Name = CleanText(s.Funders[i].Name)
	}
	s.TargetAudiences = dedupe(s.TargetAudiences, func(a TargetAudience) TargetAudience { return TargetAudience(CleanText(string(a))) })
	for i := range s.Steps {
		s.Steps[i].Title, s.Steps[i].Description = CleanText(s.Steps[i].Title), CleanText(s.Steps[i].Description)
	}
	s.orderSteps(v)
	t := &s.Territory
	t.DepartmentCodes = dedupe(t.DepartmentCodes, func(c string) string { return strings.ToUpper(stripSpaces(c)) })
	t.RegionCodes = dedupe(t.RegionCodes, stripSpaces)
	// Empty lists are empty, never nil, so that equal records compare equal.
	s.Funders, s.Steps = nonNilList(s.Funders), nonNilList(s.Steps)
	s.TargetAudiences = nonNilList(s.TargetAudiences)
	s.carryPublished(stored)
	return s.checkTerritory(ctx, geo, v)
}

func nonNilList[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// orderSteps numbers the steps 1..n: in the array's order when no step has
// a position, else by the positions given, which must then be 1..n, each
// once. A GET body sent back keeps its order and positions.
func (s *SupportScheme) orderSteps(v *Violations) {
	n, given := len(s.Steps), 0
	for _, st := range s.Steps {
		if st.Position != 0 {
			given++
		}
	}
	if given == 0 {
		for i := range s.Steps {
			s.Steps[i].Position = i + 1
		}
		return
	}
	ordered := make([]SchemeStep, n)
	ok := true
	for i, st := range s.Steps {
		f := fmt.Sprintf("steps[%d].position", i)
		switch {
		case given != n && st.Position == 0:
			v.Add(f, "is required when other steps give theirs (or leave every position out to number them in order)")
			ok = false
		case st.Position < 1 || st.Position > n:
			v.Add(f, "must be between 1 and %d, the number of steps", n)
			ok = false
		case ordered[st.Position-1].Position != 0:
			v.Add(f, "position %d is given twice", st.Position)
			ok = false
		default:
			ordered[st.Position-1] = st
		}
	}
	if ok {
		s.Steps = ordered
	}
}

// carryPublished copies the read-time visibility of the operator and of
// each beneficiary from the stored record, so that it never makes a write
// look like a change. A new reference is unknown (false) until read back.
func (s *SupportScheme) carryPublished(stored *SupportScheme) {
	s.OperatorPublished = false
	published := map[uuid.UUID]bool{}
	if stored != nil {
		for _, b := range stored.Beneficiaries {
			published[b.StructureID] = b.Published
		}
		if s.OperatorStructureID == stored.OperatorStructureID {
			s.OperatorPublished = stored.OperatorPublished
		}
	}
	s.Beneficiaries = nonNilList(s.Beneficiaries)
	for i := range s.Beneficiaries {
		s.Beneficiaries[i].Published = published[s.Beneficiaries[i].StructureID]
	}
}

// checkTerritory checks the territory's codes: against the official
// geography when geo is given, else by their form alone.
func (s *SupportScheme) checkTerritory(ctx context.Context, geo Geography, v *Violations) error {
	for i, code := range s.Territory.DepartmentCodes {
		f := fmt.Sprintf("territory.department_codes[%d]", i)
		if !ValidDepartmentCode(code) {
			v.Add(f, "must be the code of a département (21, 2A, 974)")
			continue
		}
		if geo != nil {
			if _, err := geo.Department(ctx, code); ErrorCode(err) == ENOTFOUND {
				v.Add(f, "%s is not the code of a département", code)
			} else if err != nil {
				return err
			}
		}
	}
	for i, code := range s.Territory.RegionCodes {
		f := fmt.Sprintf("territory.region_codes[%d]", i)
		if !ValidRegionCode(code) {
			v.Add(f, "must be the code of a région (27, 84)")
			continue
		}
		if geo != nil {
			if _, err := geo.Region(ctx, code); ErrorCode(err) == ENOTFOUND {
				v.Add(f, "%s is not the code of a région", code)
			} else if err != nil {
				return err
			}
		}
	}
	return nil
}

// Validate checks every rule and reports all broken ones at once.
func (s *SupportScheme) Validate() error {
	var v Violations
	checkText(&v, "name", s.Name, 200, true)
	checkText(&v, "acronym", s.Acronym, 50, false)
	checkText(&v, "description", s.Description, 20000, false)
	checkLen(&v, "funders", len(s.Funders), 50)
	seen := map[Funder]bool{}
	for i, fu := range s.Funders {
		f := fmt.Sprintf("funders[%d]", i)
		switch {
		case (fu.CollectivityID == uuid.Nil) == (fu.Name == ""):
			v.Add(f, "must give exactly one of collectivity_id and name")
		case seen[fu]:
			v.Add(f, "is listed twice")
		case fu.Name != "":
			checkText(&v, f+".name", fu.Name, 200, true)
		}
		seen[fu] = true
	}
	checkCodes(&v, "target_audiences", s.TargetAudiences, TargetAudiences)
	checkLen(&v, "steps", len(s.Steps), 50)
	for i, st := range s.Steps {
		f := fmt.Sprintf("steps[%d]", i)
		checkText(&v, f+".title", st.Title, 200, true)
		checkText(&v, f+".description", st.Description, 5000, false)
	}
	checkLen(&v, "territory.department_codes", len(s.Territory.DepartmentCodes), 110)
	checkLen(&v, "territory.region_codes", len(s.Territory.RegionCodes), 20)
	checkContact(&v, s.Website, s.Email, s.Phone)
	checkLen(&v, "beneficiary_structure_ids", len(s.Beneficiaries), 1000)
	helped := map[uuid.UUID]bool{}
	for i, b := range s.Beneficiaries {
		f := fmt.Sprintf("beneficiary_structure_ids[%d]", i)
		switch {
		case b.StructureID == uuid.Nil:
			v.Add(f, "must be a structure id")
		case helped[b.StructureID]:
			v.Add(f, "is listed twice")
		}
		helped[b.StructureID] = true
	}
	return v.Err()
}

// SupportSchemeSorts are the orders of support scheme lists; the first is
// the default.
var SupportSchemeSorts = []Sort{SortName, SortUpdatedAtDesc}

// SupportSchemeFilter selects support schemes. DepartmentCodes and
// RegionCodes select the schemes whose territory overlaps them (a scheme
// offered in a région is offered in its départements, and one offered in a
// département concerns its région). PublishedStructuresOnly makes the
// operator and beneficiary filters match published structures only, so
// that an anonymous caller learns nothing of a draft through a filter.
type SupportSchemeFilter struct {
	TargetAudiences         []TargetAudience
	DepartmentCodes         []string
	RegionCodes             []string
	OperatorStructureIDs    []uuid.UUID
	BeneficiaryStructureIDs []uuid.UUID
	CollectivityIDs         []uuid.UUID // as funders
	UpdatedSince            *time.Time
	PublishedStructuresOnly bool
	List
}

// SupportSchemeService stores support schemes. Deleting one that a live
// collectivity link still references is a conflict.
type SupportSchemeService interface {
	FindSupportSchemeByID(ctx context.Context, id uuid.UUID) (*SupportScheme, error)
	FindSupportSchemes(ctx context.Context, f SupportSchemeFilter) (*Page[SupportScheme], error)
	CreateSupportScheme(ctx context.Context, s *SupportScheme, echo Echo) error
	UpdateSupportScheme(ctx context.Context, id uuid.UUID, change Change[SupportScheme]) (*SupportScheme, error)
	DeleteSupportScheme(ctx context.Context, id uuid.UUID, check func(*SupportScheme) error) error
}
