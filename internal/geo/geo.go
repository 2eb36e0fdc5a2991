// Package geo reads the official French geography (communes, EPCI,
// départements, régions) as the npm package @etalab/decoupage-administratif
// publishes it, and carries a reduced copy of one pinned version inside the
// binary so that every database the binary migrates holds it.
package geo

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/essdir/essdir/internal/essdir"
)

// PackageName is the npm package the reference comes from.
const PackageName = "@etalab/decoupage-administratif"

// Reference is one version of the official geography, reduced to what the
// directory uses. Every list is sorted by code.
type Reference struct {
	Package     string              `json:"package"`
	Version     string              `json:"version"` // the npm package's version; "" when unknown
	Regions     []essdir.Region     `json:"regions"`
	Departments []essdir.Department `json:"departments"`
	Communes    []essdir.Commune    `json:"communes"` // current communes and municipal arrondissements
	EPCIs       []essdir.EPCI       `json:"epcis"`
}

// embedded is the pinned reference, rebuilt by `make geography`. The gzip
// header's Comment holds the package version so that it can be read without
// decompressing the rest.
//
//go:embed data/geography.json.gz
var embedded []byte

// EmbeddedDigest identifies the embedded reference: it changes whenever the
// file does, and costs no decompression.
func EmbeddedDigest() string { return digest(embedded) }

// EmbeddedVersion is the npm package version the embedded reference was built from.
func EmbeddedVersion() string {
	zr, err := gzip.NewReader(bytes.NewReader(embedded))
	if err != nil {
		return ""
	}
	return zr.Comment
}

// Embedded decodes the reference shipped in the binary.
func Embedded() (*Reference, error) { return Decode(bytes.NewReader(embedded)) }

// Decode reads a reference written by Encode.
func Decode(r io.Reader) (*Reference, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("geography: %w", err)
	}
	defer zr.Close()
	var ref Reference
	if err := json.NewDecoder(zr).Decode(&ref); err != nil {
		return nil, fmt.Errorf("geography: %w", err)
	}
	return &ref, ref.Validate()
}

// Encode writes the reference as gzip-compressed JSON, the format of the
// embedded copy.
func (ref *Reference) Encode(w io.Writer) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	zw.Comment = ref.Version
	if err := json.NewEncoder(zw).Encode(ref); err != nil {
		return err
	}
	return zw.Close()
}

// Digest identifies the content of a reference read from elsewhere than the
// binary (an import).
func (ref *Reference) Digest() string {
	var buf bytes.Buffer
	_ = json.NewEncoder(&buf).Encode(ref)
	return digest(buf.Bytes())
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// The shapes of the npm package's files (only the fields we keep).
type (
	pkgRegion struct {
		Code string `json:"code"`
		Nom  string `json:"nom"`
	}
	pkgDepartment struct {
		Code   string `json:"code"`
		Nom    string `json:"nom"`
		Region string `json:"region"`
	}
	pkgCommune struct {
		Code         string   `json:"code"`
		Nom          string   `json:"nom"`
		Type         string   `json:"type"`
		Departement  string   `json:"departement"`
		Region       string   `json:"region"`
		Commune      string   `json:"commune"` // the parent of an arrondissement
		CodesPostaux []string `json:"codesPostaux"`
		Population   int      `json:"population"`
		AnciensCodes []string `json:"anciensCodes"`
	}
	pkgEPCI struct {
		Code    string `json:"code"`
		Nom     string `json:"nom"`
		Type    string `json:"type"`
		Membres []struct {
			Code string `json:"code"`
		} `json:"membres"`
	}
)

// ReadPackage reads the data/ folder of the npm package: regions.json,
// departements.json, communes.json and epci.json. The version comes from
// the package.json beside the folder, when there is one. Communes déléguées
// and associées are not current communes: their codes are kept as former
// codes of the commune they belong to (the package lists them in its
// anciensCodes).
func ReadPackage(dir string) (*Reference, error) {
	ref := &Reference{Package: PackageName}
	var meta struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	if err := readJSON(filepath.Join(dir, "..", "package.json"), &meta); err == nil && meta.Name == PackageName {
		ref.Version = meta.Version
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}

	var regions []pkgRegion
	var departments []pkgDepartment
	var communes []pkgCommune
	var epcis []pkgEPCI
	for name, v := range map[string]any{"regions.json": &regions, "departements.json": &departments,
		"communes.json": &communes, "epci.json": &epcis} {
		if err := readJSON(filepath.Join(dir, name), v); err != nil {
			return nil, err
		}
	}
	for _, r := range regions {
		ref.Regions = append(ref.Regions, essdir.Region{Code: r.Code, Name: r.Nom})
	}
	for _, d := range departments {
		ref.Departments = append(ref.Departments, essdir.Department{Code: d.Code, Name: d.Nom, RegionCode: d.Region})
	}
	for _, c := range communes {
		kind := essdir.CommuneKindCommune
		switch c.Type {
		case "commune-actuelle":
		case "arrondissement-municipal":
			kind = essdir.CommuneKindArrondissement
		default: // commune-deleguee, commune-associee: former communes
			continue
		}
		postal := append([]string{}, c.CodesPostaux...)
		sort.Strings(postal)
		former := append([]string(nil), c.AnciensCodes...)
		sort.Strings(former)
		ref.Communes = append(ref.Communes, essdir.Commune{
			INSEECode: c.Code, Name: c.Nom, Kind: kind, ParentCode: c.Commune,
			DepartmentCode: c.Departement, RegionCode: c.Region,
			PostalCodes: postal, Population: c.Population, FormerCodes: former,
		})
	}
	for _, e := range epcis {
		members := make([]string, 0, len(e.Membres))
		for _, m := range e.Membres {
			members = append(members, m.Code)
		}
		sort.Strings(members)
		ref.EPCIs = append(ref.EPCIs, essdir.EPCI{SIREN: e.Code, Name: e.Nom, Kind: e.Type, Members: members})
	}
	sort.Slice(ref.Regions, func(i, j int) bool { return ref.Regions[i].Code < ref.Regions[j].Code })
	sort.Slice(ref.Departments, func(i, j int) bool { return ref.Departments[i].Code < ref.Departments[j].Code })
	sort.Slice(ref.Communes, func(i, j int) bool { return ref.Communes[i].INSEECode < ref.Communes[j].INSEECode })
	sort.Slice(ref.EPCIs, func(i, j int) bool { return ref.EPCIs[i].SIREN < ref.EPCIs[j].SIREN })
	return ref, ref.Validate()
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Validate refuses a reference that would load half-broken: codes of the
// wrong form, duplicates, or references to what it does not hold.
func (ref *Reference) Validate() error {
	var problems []string
	add := func(format string, args ...any) {
		if len(problems) < 10 {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	if len(ref.Regions) == 0 || len(ref.Departments) == 0 || len(ref.Communes) == 0 {
		return errors.New("geography: no régions, départements or communes")
	}
	regions := map[string]bool{}
	for _, r := range ref.Regions {
		if r.Code == "" || r.Name == "" || regions[r.Code] {
			add("région %q: empty or duplicate", r.Code)
		}
		regions[r.Code] = true
	}
	departments := map[string]bool{}
	for _, d := range ref.Departments {
		if d.Code == "" || d.Name == "" || departments[d.Code] || !regions[d.RegionCode] {
			add("département %q: empty, duplicate or of an unknown région", d.Code)
		}
		departments[d.Code] = true
	}
	communes := map[string]bool{}
	for _, c := range ref.Communes {
		if !inseeLike(c.INSEECode) || c.Name == "" || communes[c.INSEECode] {
			add("commune %q: malformed, unnamed or duplicate", c.INSEECode)
		}
		if !departments[c.DepartmentCode] || !regions[c.RegionCode] {
			add("commune %q: unknown département %q or région %q", c.INSEECode, c.DepartmentCode, c.RegionCode)
		}
		for _, p := range c.PostalCodes {
			if len(p) != 5 || !digits(p) {
				add("commune %q: malformed postal code %q", c.INSEECode, p)
			}
		}
		communes[c.INSEECode] = true
	}
	former := map[string]bool{}
	for _, c := range ref.Communes {
		if c.ParentCode != "" && !communes[c.ParentCode] {
			add("arrondissement %q: unknown commune %q", c.INSEECode, c.ParentCode)
		}
		for _, f := range c.FormerCodes {
			if !inseeLike(f) || communes[f] || former[f] {
				add("commune %q: former code %q malformed, current or claimed twice", c.INSEECode, f)
			}
			former[f] = true
		}
	}
	epcis := map[string]bool{}
	for _, e := range ref.EPCIs {
		if !essdir.ValidSIREN(e.SIREN) || e.Name == "" || epcis[e.SIREN] {
			add("EPCI %q: invalid SIREN, unnamed or duplicate", e.SIREN)
		}
		epcis[e.SIREN] = true
		for _, m := range e.Members {
			if !communes[m] {
				add("EPCI %q: unknown member commune %q", e.SIREN, m)
			}
		}
	}
	if len(problems) > 0 {
		return errors.New("geography: " + strings.Join(problems, "; "))
	}
	return nil
}

func inseeLike(s string) bool {
	return len(s) == 5 && (digits(s[:2]) || s[:2] == "2A" || s[:2] == "2B") && digits(s[2:])
}

func digits(s string) bool {
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil && !strings.ContainsAny(s, "+-")
}

// Newer reports whether package version a is later than b ("6.0.0" >
// "5.3.0"). An unreadable version is never newer, nor older than anything.
func Newer(a, b string) bool {
	pa, oka := semver(a)
	pb, okb := semver(b)
	if !oka || !okb {
		return false
	}
	for i := range pa {
		if pa[i] != pb[i] {
			return pa[i] > pb[i]
		}
	}
	return false
}

func semver(v string) ([3]int, bool) {
	var out [3]int
	parts := strings.SplitN(v, ".", 3)
	if len(parts) != 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return out, false
		}
		out[i] = n
	}
	return out, true
}
