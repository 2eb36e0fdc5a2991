package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/essdir/essdir/internal/essdir"
	"github.com/essdir/essdir/internal/geo"
)

// Sources of the loaded geography (geo_meta.source).
const (
	geoSourceEmbedded = "embedded"
	geoSourceImport   = "import"
)

// geoLoadLock serialises loads across processes (two servers starting at once).
const geoLoadLock = 7226032

type communeRow struct {
	INSEECode      string    `gorm:"column:insee_code"`
	Name           string    `gorm:"column:name"`
	Kind           string    `gorm:"column:kind"`
	ParentCode     *string   `gorm:"column:parent_code"`
	DepartmentCode string    `gorm:"column:department_code"`
	RegionCode     string    `gorm:"column:region_code"`
	PostalCodes    textArray `gorm:"column:postal_codes"`
	Population     *int      `gorm:"column:population"`
	FormerCodes    textArray `gorm:"column:former_codes"`
}

func (r communeRow) toCommune() essdir.Commune {
	c := essdir.Commune{
		INSEECode: r.INSEECode, Name: r.Name, Kind: essdir.CommuneKind(r.Kind), ParentCode: deref(r.ParentCode),
		DepartmentCode: r.DepartmentCode, RegionCode: r.RegionCode, PostalCodes: []string(r.PostalCodes),
		FormerCodes: []string(r.FormerCodes),
	}
	if c.PostalCodes == nil {
		c.PostalCodes = []string{}
	}
	if r.Population != nil {
		c.Population = *r.Population
	}
	return c
}

const communeColumns = `c.insee_code, c.name, c.kind, c.parent_code, c.department_code, c.region_code, c.postal_codes, c.population`

// Commune returns a current commune or municipal arrondissement, with the
// codes of the former communes merged into it.
func (s *Store) Commune(ctx context.Context, insee string) (*essdir.Commune, error) {
	var rows []communeRow
	err := s.db.WithContext(ctx).Raw(`SELECT `+communeColumns+`,
		ARRAY(SELECT f.insee_code FROM geo_former_communes f WHERE f.successor_code = c.insee_code ORDER BY 1) AS former_codes
		FROM geo_communes c WHERE c.insee_code = ?`, insee).Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	if len(rows) == 0 {
		return nil, communeNotFound(insee)
	}
	c := rows[0].toCommune()
	return &c, nil
}

func communeNotFound(insee string) error {
	return essdir.Errorf(essdir.ENOTFOUND, "no commune has the INSEE code %s", insee)
}

// FormerCommune returns the current commune a former commune's code now belongs to.
func (s *Store) FormerCommune(ctx context.Context, code string) (string, bool, error) {
	var successors []string
	err := s.db.WithContext(ctx).Raw(`SELECT successor_code FROM geo_former_communes WHERE insee_code = ?`, code).
		Scan(&successors).Error
	if err != nil {
		return "", false, translate(err)
	}
	if len(successors) == 0 {
		return "", false, nil
	}
	return successors[0], true, nil
}

// CommunesByPostalCode lists the communes and arrondissements a postal code serves.
func (s *Store) CommunesByPostalCode(ctx context.Context, postal string) ([]essdir.Commune, error) {
	var rows []communeRow
	err := s.db.WithContext(ctx).Raw(`SELECT `+communeColumns+` FROM geo_communes c
		WHERE c.postal_codes @> ARRAY[?]::text[] ORDER BY c.insee_code`, postal).Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	return toCommunes(rows), nil
}

// SearchCommunes autocompletes commune names. Both the names and q are
// compared as essdir.PlaceSearchKey, which keeps letters, digits and single
// spaces only, so q can hold no LIKE wildcard. The exact name comes first,
// then names that start with q, then names with a word that does; each
// group from the most populated down.
func (s *Store) SearchCommunes(ctx context.Context, q string, limit int) ([]essdir.Commune, error) {
	key := essdir.PlaceSearchKey(q)
	if limit < 1 || limit > 100 {
		limit = 10
	}
	if key == "" {
		return []essdir.Commune{}, nil
	}
	var rows []communeRow
	err := s.db.WithContext(ctx).Raw(`SELECT `+communeColumns+` FROM geo_communes c
		WHERE c.name_key LIKE @prefix OR c.name_key LIKE @word
		ORDER BY c.name_key = @key DESC, c.name_key LIKE @prefix DESC,
		         c.population DESC NULLS LAST, c.name, c.insee_code
		LIMIT @limit`,
		sql.Named("key", key), sql.Named("prefix", key+"%"), sql.Named("word", "% "+key+"%"),
		sql.Named("limit", limit)).Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	return toCommunes(rows), nil
}

func toCommunes(rows []communeRow) []essdir.Commune {
	out := make([]essdir.Commune, len(rows))
	for i, r := range rows {
		out[i] = r.toCommune()
	}
	return out
}

// Department returns a département.
func (s *Store) Department(ctx context.Context, code string) (*essdir.Department, error) {
	var rows []essdir.Department
	err := s.db.WithContext(ctx).Raw(`SELECT code, name, region_code FROM geo_departments WHERE code = ?`, code).
		Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	if len(rows) == 0 {
		return nil, essdir.Errorf(essdir.ENOTFOUND, "no département has the code %s", code)
	}
	return &rows[0], nil
}

// Region returns a région.
func (s *Store) Region(ctx context.Context, code string) (*essdir.Region, error) {
	var rows []essdir.Region
	err := s.db.WithContext(ctx).Raw(`SELECT code, name FROM geo_regions WHERE code = ?`, code).Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	if len(rows) == 0 {
		return nil, essdir.Errorf(essdir.ENOTFOUND, "no région has the code %s", code)
	}
	return &rows[0], nil
}

// EPCI returns the EPCI whose SIREN this is, with its member communes.
func (s *Store) EPCI(ctx context.Context, siren string) (*essdir.EPCI, error) {
	var rows []struct {
		SIREN   string    `gorm:"column:siren"`
		Name    string    `gorm:"column:name"`
		Kind    string    `gorm:"column:kind"`
		Members textArray `gorm:"column:members"`
	}
	err := s.db.WithContext(ctx).Raw(`SELECT e.siren, e.name, e.kind,
		ARRAY(SELECT m.commune_code FROM geo_epci_members m WHERE m.epci_siren = e.siren ORDER BY 1) AS members
		FROM geo_epci e WHERE e.siren = ?`, siren).Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	if len(rows) == 0 {
		return nil, essdir.Errorf(essdir.ENOTFOUND, "no EPCI has the SIREN %s", siren)
	}
	r := rows[0]
	return &essdir.EPCI{SIREN: r.SIREN, Name: r.Name, Kind: r.Kind, Members: []string(r.Members)}, nil
}

// ImportGeography replaces the loaded geography with ref, an operator's
// import. A later migration keeps it unless the binary carries a newer
// version of the package.
func (s *Store) ImportGeography(ctx context.Context, ref *geo.Reference) error {
	_, err := loadGeography(ctx, s.sql, geoSourceImport, ref.Version, ref.Digest(),
		func() (*geo.Reference, error) { return ref, nil }, nil)
	return err
}

// geoMeta is the geo_meta row: which reference is loaded.
type geoMeta struct {
	source, version, digest string
}

// needsEmbedded decides whether the copy in the binary should replace the
// loaded reference: when none is loaded, when the loaded one came from
// another binary's copy, or when an import is older than the copy.
func needsEmbedded(m *geoMeta) bool {
	switch {
	case m == nil:
		return true
	case m.source == geoSourceEmbedded:
		return m.digest != geo.EmbeddedDigest()
	}
	return geo.Newer(geo.EmbeddedVersion(), m.version)
}

// ensureGeography loads the binary's copy of the geography when the
// database needs it (see needsEmbedded). When it does not, it costs one query.
func ensureGeography(ctx context.Context, db *sql.DB, out io.Writer) error {
	m, err := readGeoMeta(ctx, db)
	if err != nil || !needsEmbedded(m) {
		return err
	}
	start := time.Now()
	loaded, err := loadGeography(ctx, db, geoSourceEmbedded, geo.EmbeddedVersion(), geo.EmbeddedDigest(),
		geo.Embedded, needsEmbedded)
	if err != nil {
		return fmt.Errorf("load the geography: %w", err)
	}
	if loaded {
		fmt.Fprintf(out, "loaded the geography (%s %s) (%s)\n", geo.PackageName, geo.EmbeddedVersion(),
			time.Since(start).Round(time.Millisecond))
	}
	return nil
}

func readGeoMeta(ctx context.Context, db *sql.DB) (*geoMeta, error) {
	var m geoMeta
	err := db.QueryRowContext(ctx, `SELECT source, package_version, digest FROM geo_meta`).Scan(&m.source, &m.version, &m.digest)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// loadGeography replaces the whole reference in one transaction, with COPY:
// readers wait for the commit (TRUNCATE locks the tables, about a second),
// then see the new reference, never a mix. When
// still is given, it is asked again under the load lock, so that of two
// processes starting together only one loads.
func loadGeography(ctx context.Context, db *sql.DB, source, version, digest string,
	get func() (*geo.Reference, error), still func(*geoMeta) bool) (loaded bool, err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	err = conn.Raw(func(driverConn any) error {
		pc := driverConn.(*stdlib.Conn).Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, geoLoadLock); err != nil {
			return err
		}
		if still != nil {
			var m geoMeta
			err := tx.QueryRow(ctx, `SELECT source, package_version, digest FROM geo_meta`).Scan(&m.source, &m.version, &m.digest)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				if !still(nil) {
					return nil
				}
			case err != nil:
				return err
			case !still(&m):
				return nil
			}
		}
		ref, err := get()
		if err != nil {
			return err
		}
		if err := replaceGeography(ctx, tx, ref); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO geo_meta (source, package_version, digest, loaded_at)
			VALUES ($1, $2, $3, now()) ON CONFLICT (singleton) DO UPDATE
			SET source = excluded.source, package_version = excluded.package_version,
			    digest = excluded.digest, loaded_at = excluded.loaded_at`, source, version, digest); err != nil {
			return err
		}
		loaded = true
		return tx.Commit(ctx)
	})
	return loaded, translate(err)
}

// replaceGeography empties the reference tables and copies ref in.
func replaceGeography(ctx context.Context, tx pgx.Tx, ref *geo.Reference) error {
	if _, err := tx.Exec(ctx, `TRUNCATE geo_epci_members, geo_epci, geo_former_communes, geo_communes,
		geo_departments, geo_regions`); err != nil {
		return err
	}
	var regions, departments, communes, former, epcis, members [][]any
	for _, r := range ref.Regions {
		regions = append(regions, []any{r.Code, r.Name})
	}
	for _, d := range ref.Departments {
		departments = append(departments, []any{d.Code, d.Name, d.RegionCode})
	}
	for _, c := range ref.Communes {
		communes = append(communes, []any{c.INSEECode, c.Name, essdir.PlaceSearchKey(c.Name), string(c.Kind),
			nullable(c.ParentCode), c.DepartmentCode, c.RegionCode, nonNil(c.PostalCodes), positive(c.Population)})
		for _, f := range c.FormerCodes {
			former = append(former, []any{f, c.INSEECode})
		}
	}
	for _, e := range ref.EPCIs {
		epcis = append(epcis, []any{e.SIREN, e.Name, e.Kind})
		for _, m := range e.Members {
			members = append(members, []any{e.SIREN, m})
		}
	}
	copies := []struct {
		table   string
		columns []string
		rows    [][]any
	}{
		{"geo_regions", []string{"code", "name"}, regions},
		{"geo_departments", []string{"code", "name", "region_code"}, departments},
		{"geo_communes", []string{"insee_code", "name", "name_key", "kind", "parent_code", "department_code",
			"region_code", "postal_codes", "population"}, communes},
		{"geo_former_communes", []string{"insee_code", "successor_code"}, former},
		{"geo_epci", []string{"siren", "name", "kind"}, epcis},
		{"geo_epci_members", []string{"epci_siren", "commune_code"}, members},
	}
	for _, c := range copies {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{c.table}, c.columns, pgx.CopyFromRows(c.rows)); err != nil {
			return fmt.Errorf("copy %s: %w", c.table, err)
		}
	}
	// The copy leaves the GIN indexes' new entries in their pending lists,
	// which every lookup reads in full until a vacuum merges them: 3.2–5.5
	// ms per postal-code lookup on a freshly migrated database, 0.1–0.4 ms
	// (after the first) merged; each write of a structure makes such
	// lookups. Merge them now.
	for _, idx := range []string{"geo_communes_postal_codes_idx", "geo_communes_name_key_trgm_idx"} {
		if _, err := tx.Exec(ctx, "SELECT gin_clean_pending_list($1::regclass)", idx); err != nil {
			return fmt.Errorf("merge %s: %w", idx, err)
		}
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func positive(n int) *int {
	if n <= 0 {
		return nil
	}
	return &n
}
