package essdir

import (
	"context"
	"strings"
	"sync"
	"unicode"
)

// The official geography (code officiel géographique, COG) is reference data:
// the server loads it, never edits it through the API, and checks every
// territorial code a client sends against it.

// Region is a région (or an overseas collectivity with a code of its own).
type Region struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Department is a département and the région it belongs to.
type Department struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	RegionCode string `json:"region_code"`
}

// CommuneKind tells a commune from a municipal arrondissement (Paris, Lyon,
// Marseille), which has an INSEE code of its own and may stand in an address.
type CommuneKind string

// Commune kinds.
const (
	CommuneKindCommune        CommuneKind = "commune"
	CommuneKindArrondissement CommuneKind = "arrondissement"
)

// Commune is a current commune or municipal arrondissement.
type Commune struct {
	INSEECode      string      `json:"insee_code"`
	Name           string      `json:"name"`
	Kind           CommuneKind `json:"kind"`
	ParentCode     string      `json:"parent_code,omitempty"` // the commune of an arrondissement
	DepartmentCode string      `json:"department_code"`
	RegionCode     string      `json:"region_code"`
	PostalCodes    []string    `json:"postal_codes"`
	Population     int         `json:"population,omitempty"` // 0 when unknown
	FormerCodes    []string    `json:"former_codes,omitempty"`
}

// EPCI is an établissement public de coopération intercommunale (CC, CA, CU,
// métropole), identified by its SIREN.
type EPCI struct {
	SIREN   string   `json:"siren"`
	Name    string   `json:"name"`
	Kind    string   `json:"kind"` // CC, CA, CU, METRO, MET69
	Members []string `json:"members"`
}

// Geography answers questions about the official geography. Lookups of codes
// that name nothing answer an ENOTFOUND *Error; a store failure is any other.
type Geography interface {
	// Commune returns a current commune or municipal arrondissement.
	Commune(ctx context.Context, insee string) (*Commune, error)
	// FormerCommune tells whether code is the code of a commune that merged
	// into another, and returns the current commune's code.
	FormerCommune(ctx context.Context, code string) (successor string, ok bool, err error)
	// CommunesByPostalCode lists the communes and arrondissements a postal
	// code serves (none when no commune uses it).
	CommunesByPostalCode(ctx context.Context, postal string) ([]Commune, error)
	// SearchCommunes autocompletes commune names, accent- and
	// case-insensitively: name prefixes first, then the most populated.
	SearchCommunes(ctx context.Context, q string, limit int) ([]Commune, error)
	Department(ctx context.Context, code string) (*Department, error)
	Region(ctx context.Context, code string) (*Region, error)
	// EPCI returns the EPCI whose SIREN this is.
	EPCI(ctx context.Context, siren string) (*EPCI, error)
}

// CheckTerritory checks the commune part of an address against the official
// geography and derives the département and the région from it. field is the
// JSON path of the address ("address", "venue"); problems are recorded in v
// as "<field>.insee_code" and "<field>.postal_code". Either code may be
// empty; city, when given, settles a postal code several départements
// share. It checks the form of the codes too, so the caller need not.
//
// An INSEE code must be a current commune's or a municipal arrondissement's
// (a former commune's code is refused naming its successor); a postal code
// must be one some commune uses; when both are given they must agree. The
// derived codes come from the INSEE code, else from the communes the postal
// code serves. The error is only for a failing store: a bad code is a
// violation, never an error.
func CheckTerritory(ctx context.Context, geo Geography, field, insee, postal, city string, v *Violations) (department, region string, err error) {
	inseeField, postalField := field+".insee_code", field+".postal_code"
	if field == "" {
		inseeField, postalField = "insee_code", "postal_code"
	}
	var commune *Commune
	if insee != "" {
		if !inseePattern.MatchString(insee) {
			v.Add(inseeField, "must be an INSEE commune code (5 characters: 21231, 2A004)")
		} else if commune, err = geo.Commune(ctx, insee); ErrorCode(err) == ENOTFOUND {
			commune = nil
			successor, ok, err := geo.FormerCommune(ctx, insee)
			switch {
			case err != nil:
				return "", "", err
			case ok:
				v.Add(inseeField, "%s is the code of a former commune, now part of commune %s", insee, successor)
			default:
				v.Add(inseeField, "%s is not the INSEE code of a commune", insee)
			}
		} else if err != nil {
			return "", "", err
		}
	}
	var served []Commune
	if postal != "" {
		if !postalPattern.MatchString(postal) {
			v.Add(postalField, "must be a postal code of 5 digits")
			postal = ""
		} else if served, err = geo.CommunesByPostalCode(ctx, postal); err != nil {
			return "", "", err
		} else if len(served) == 0 {
			v.Add(postalField, "%s is the postal code of no commune", postal)
			postal = ""
		}
	}
	switch {
	case commune != nil && postal != "":
		if !contains(commune.PostalCodes, postal) {
			v.Add(postalField, "%s is not a postal code of %s (INSEE %s: %s)", postal, commune.Name,
				commune.INSEECode, strings.Join(commune.PostalCodes, ", "))
		}
		return commune.DepartmentCode, commune.RegionCode, nil
	case commune != nil:
		return commune.DepartmentCode, commune.RegionCode, nil
	case insee == "" && len(served) > 0:
		department, region = territoryOfPostalCode(postal, city, served)
		return department, region, nil
	}
	return "", "", nil
}

// territoryOfPostalCode picks the département of the communes a postal code
// serves. A few postal codes cross a border (05110 serves communes of the
// Alpes-de-Haute-Provence and of the Hautes-Alpes; 01410 serves Lajoux, in
// the Jura): the commune the city names wins, then the département the
// code's first digits name, and with none, the first commune's.
func territoryOfPostalCode(postal, city string, served []Commune) (department, region string) {
	if key := PlaceSearchKey(city); key != "" {
		for _, c := range served {
			if communeKey(c.Name) == key {
				return c.DepartmentCode, c.RegionCode
			}
		}
	}
	byPrefix := DepartmentFromPostalCode(postal)
	for _, c := range served {
		if c.DepartmentCode == byPrefix {
			return c.DepartmentCode, c.RegionCode
		}
	}
	return served[0].DepartmentCode, served[0].RegionCode
}

// communeKeys remembers the PlaceSearchKey of commune names: a postal code
// serves up to a few dozen communes, whose keys every structure written
// there computed again (a tenth of a bulk write's checks). Only names of
// the geography's communes are kept (some 35,000), never a client's text.
var communeKeys sync.Map // name → PlaceSearchKey(name)

func communeKey(name string) string {
	if k, ok := communeKeys.Load(name); ok {
		return k.(string)
	}
	k := PlaceSearchKey(name)
	communeKeys.Store(name, k)
	return k
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// PlaceSearchKey is the form in which place names are compared: folded
// (lower case, no accents), words separated by one space, and the usual
// abbreviations of saints spelt out, so that "St-Étienne", "saint etienne"
// and "Saint-Étienne" meet.
func PlaceSearchKey(s string) string {
	words := strings.FieldsFunc(Fold(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	for i, w := range words {
		switch w {
		case "st":
			words[i] = "saint"
		case "ste":
			words[i] = "sainte"
		case "sts":
			words[i] = "saints"
		case "stes":
			words[i] = "saintes"
		}
	}
	return strings.Join(words, " ")
}
