package essdir

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Collectivity is a local authority or a public body that supports the ESS:
// a commune, an EPCI, a département, a région, a syndicat, a State service.
type Collectivity struct {
	Record
	Name string
	Kind CollectivityKind
	// INSEECode is the official code of the territory: the commune's INSEE
	// code, the département's code, the région's code. An EPCI is known by
	// its SIREN instead.
	INSEECode      string
	SIREN          string
	DepartmentCode string
	RegionCode     string
	Website        string
	Email          string
	Phone          string
	Source         string
	ExternalID     string
}

// territorial reports whether the kind's département and région follow from
// its code (commune, département, région, EPCI); for the others a client
// gives them.
func (k CollectivityKind) territorial() bool {
	switch k {
	case CollectivityCommune, CollectivityDepartement, CollectivityRegion, CollectivityEPCI:
		return true
	}
	return false
}

// Derive puts the collectivity in its stored form and derives its
// département and région from its official code, checked against the
// geography: a code of no territory of that kind is a violation.
func (c *Collectivity) Derive(ctx context.Context, geo Geography, stored *Collectivity, v *Violations) error {
	c.Name = CleanText(c.Name)
	c.Kind = CollectivityKind(strings.ToLower(CleanText(string(c.Kind))))
	c.INSEECode = strings.ToUpper(stripSpaces(c.INSEECode))
	c.SIREN = stripSpaces(c.SIREN)
	c.DepartmentCode = strings.ToUpper(stripSpaces(c.DepartmentCode))
	c.RegionCode = stripSpaces(c.RegionCode)
	c.Website, c.Phone = CleanText(c.Website), CleanText(c.Phone)
	c.Email = strings.ToLower(CleanText(c.Email))
	c.Source = strings.ToLower(CleanText(c.Source))
	c.ExternalID = CleanText(c.ExternalID)
	if !c.Kind.territorial() {
		return nil
	}
	dept, region, err := c.territory(ctx, geo, v)
	if err != nil {
		return err
	}
	var was Collectivity
	if stored != nil {
		was = *stored
	}
	why := "from its official code"
	c.DepartmentCode = derived(v, "department_code", c.DepartmentCode, was.DepartmentCode, dept, why)
	c.RegionCode = derived(v, "region_code", c.RegionCode, was.RegionCode, region, why)
	return nil
}

// territory checks the official code of a territorial collectivity and
// returns its département and région. An EPCI spanning several départements
// gets the département of its first member commune.
func (c *Collectivity) territory(ctx context.Context, geo Geography, v *Violations) (dept, region string, err error) {
	switch c.Kind {
	case CollectivityCommune:
		if c.INSEECode == "" {
			v.Add("insee_code", "is required for a commune")
			return "", "", nil
		}
		if geo != nil && inseePattern.MatchString(c.INSEECode) {
			// An address may name a municipal arrondissement; a commune
			// collectivity is the commune itself (Marseille, not 13201).
			m, err := geo.Commune(ctx, c.INSEECode)
			if err == nil && m.Kind == CommuneKindArrondissement {
				v.Add("insee_code", "%s is a municipal arrondissement of commune %s, not a commune", c.INSEECode, m.ParentCode)
				return "", "", nil
			}
		}
		return Territory(ctx, geo, "", c.INSEECode, "", "", v)
	case CollectivityDepartement:
		if !ValidDepartmentCode(c.INSEECode) {
			v.Add("insee_code", "must be the code of a département (21, 2A, 974)")
			return "", "", nil
		}
		if geo == nil {
			return c.INSEECode, RegionOfDepartment(c.INSEECode), nil
		}
		d, err := geo.Department(ctx, c.INSEECode)
		if ErrorCode(err) == ENOTFOUND {
			v.Add("insee_code", "%s is not the code of a département", c.INSEECode)
			return "", "", nil
		}
		if err != nil {
			return "", "", err
		}
		return d.Code, d.RegionCode, nil
	case CollectivityRegion:
		if !ValidRegionCode(c.INSEECode) {
			v.Add("insee_code", "must be the code of a région (27, 84)")
			return "", "", nil
		}
		if geo == nil {
			return "", c.INSEECode, nil
		}
		r, err := geo.Region(ctx, c.INSEECode)
		if ErrorCode(err) == ENOTFOUND {
			v.Add("insee_code", "%s is not the code of a région", c.INSEECode)
			return "", "", nil
		}
		if err != nil {
			return "", "", err
		}
		return "", r.Code, nil
	default: // CollectivityEPCI
		if !ValidSIREN(c.SIREN) {
			v.Add("siren", "an EPCI is identified by its SIREN: 9 digits with a valid check digit")
			return "", "", nil
		}
		if geo == nil {
			return c.DepartmentCode, c.RegionCode, nil
		}
		e, err := geo.EPCI(ctx, c.SIREN)
		if ErrorCode(err) == ENOTFOUND {
			v.Add("siren", "%s is not the SIREN of an EPCI", c.SIREN)
			return "", "", nil
		}
		if err != nil || len(e.Members) == 0 {
			return "", "", err
		}
		m, err := geo.Commune(ctx, e.Members[0])
		if err != nil {
			return "", "", err
		}
		return m.DepartmentCode, m.RegionCode, nil
	}
}

// Validate checks every rule and reports all broken ones at once.
func (c *Collectivity) Validate() error {
	var v Violations
	checkText(&v, "name", c.Name, 200, true)
	if !CollectivityKinds.Has(string(c.Kind)) {
		v.Add("kind", "unknown kind %q (see /v1/vocabularies/collectivity_kinds)", c.Kind)
	}
	switch c.Kind {
	case CollectivityEPCI:
		if c.INSEECode != "" {
			v.Add("insee_code", "an EPCI has no INSEE code: it is identified by its SIREN")
		}
	case CollectivityCommune, CollectivityDepartement, CollectivityRegion:
	default:
		if c.INSEECode != "" {
			v.Add("insee_code", "only a commune, a département or a région has an official territory code")
		}
		if c.DepartmentCode != "" && !ValidDepartmentCode(c.DepartmentCode) {
			v.Add("department_code", "must be a département code (21, 2A, 974)")
		}
		if c.RegionCode != "" && !ValidRegionCode(c.RegionCode) {
			v.Add("region_code", "must be a région code (27)")
		}
		if r := RegionOfDepartment(c.DepartmentCode); r != "" && c.RegionCode != "" && r != c.RegionCode {
			v.Add("region_code", "département %s is in région %s, not %s", c.DepartmentCode, r, c.RegionCode)
		}
	}
	if c.SIREN != "" && !ValidSIREN(c.SIREN) {
		v.Add("siren", "must be 9 digits with a valid check digit")
	}
	checkContact(&v, c.Website, c.Email, c.Phone)
	checkOrigin(&v, c.Source, c.ExternalID)
	return v.Err()
}

// CollectivitySorts are the orders of collectivity lists.
var CollectivitySorts = []Sort{SortName, SortUpdatedAtDesc}

// CollectivityFilter selects collectivities.
type CollectivityFilter struct {
	Kinds           []CollectivityKind
	DepartmentCodes []string
	RegionCodes     []string
	INSEECodes      []string
	SIRENs          []string
	Sources         []string
	UpdatedSince    *time.Time
	List
}

// CollectivityService stores collectivities. Deleting one that a link, a
// support scheme or an event still references is a conflict.
type CollectivityService interface {
	FindCollectivityByID(ctx context.Context, id uuid.UUID) (*Collectivity, error)
	FindCollectivities(ctx context.Context, f CollectivityFilter) (*Page[Collectivity], error)
	CreateCollectivity(ctx context.Context, c *Collectivity, echo Echo) error
	UpdateCollectivity(ctx context.Context, id uuid.UUID, change Change[Collectivity]) (*Collectivity, error)
	DeleteCollectivity(ctx context.Context, id uuid.UUID, check func(*Collectivity) error) error
}
