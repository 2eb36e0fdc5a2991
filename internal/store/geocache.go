package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"

	"github.com/essdir/essdir/internal/essdir"
)

// communeCache keeps the communes of the loaded geography in memory for
// the bulk writes: a batch of a thousand structures in a thousand communes
// asks the database one question (which geography is loaded) instead of
// two thousand lookups, or three batched ones that still cost more than
// the rows' own COPY. It holds what Commune, FormerCommune and
// CommunesByPostalCode answer (about 35,000 communes, some 10 MB), read
// once per process and again only when another geography is loaded:
// geo_meta's digest and load time say which one a snapshot is of, and
// every batch reads them in its own transaction, so a batch never judges
// codes against a geography other than the database's.
type communeCache struct {
	mu   sync.Mutex
	snap *communeSnapshot
}

// communeSnapshot is one loaded geography's communes; never modified once
// built, so batches share it without locks.
type communeSnapshot struct {
	key      string
	communes map[string]*essdir.Commune // current communes and arrondissements, with their former codes
	former   map[string]string          // former code → current commune
	byPostal map[string][]essdir.Commune
}

// geographyKeySQL reads which geography is loaded: its digest and load
// time (no row when none is).
const geographyKeySQL = `SELECT digest || ' ' || loaded_at::text FROM geo_meta`

// snapshot returns the communes of the geography whose key the transaction
// on conn read (geographyKeySQL; loaded false when none is), reading them
// when the cached ones are of another (nil when none is loaded).
func (c *communeCache) snapshot(ctx context.Context, conn *sql.Conn, key string, loaded bool) (*communeSnapshot, error) {
	if !loaded {
		return nil, nil
	}
	var snap *communeSnapshot
	err := conn.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("geography cache: driver connection is a %T", dc)
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.snap == nil || c.snap.key != key {
			var err error
			if c.snap, err = loadCommunes(ctx, pc.Conn(), key); err != nil {
				return err
			}
		}
		snap = c.snap
		return nil
	})
	return snap, err
}

// batchStart runs a batch's first statements (settings and locks, no
// parameters), reads the loaded geography's key (geographyKeySQL) and
// whether table's statistics need refreshing first (staleStatisticsSQL),
// in one round trip.
func batchStart(ctx context.Context, conn *sql.Conn, statements, table string) (geoKey string, loaded, stale bool, err error) {
	err = conn.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("bulk write: driver connection is a %T", dc)
		}
		results, err := pc.Conn().PgConn().Exec(ctx, statements+"; "+staleStatisticsSQL(table)+"; "+geographyKeySQL).ReadAll()
		if err != nil {
			return err
		}
		if rows := results[len(results)-2].Rows; len(rows) > 0 {
			stale = string(rows[0][0]) == "t"
		}
		if rows := results[len(results)-1].Rows; len(rows) > 0 {
			geoKey, loaded = string(rows[0][0]), true
		}
		return nil
	})
	return geoKey, loaded, stale, err
}

// loadCommunes reads every commune and former code, in two statements
// read natively (35,000 rows: GORM's reflection would cost ten times more).
func loadCommunes(ctx context.Context, conn *pgx.Conn, key string) (*communeSnapshot, error) {
	snap := &communeSnapshot{key: key, communes: map[string]*essdir.Commune{}, former: map[string]string{},
		byPostal: map[string][]essdir.Commune{}}
	formerOf := map[string][]string{}
	rows, err := conn.Query(ctx, `SELECT insee_code, successor_code FROM geo_former_communes ORDER BY insee_code`)
	if err != nil {
		return nil, err
	}
	var code, successor string
	_, err = pgx.ForEachRow(rows, []any{&code, &successor}, func() error {
		snap.former[code] = successor
		formerOf[successor] = append(formerOf[successor], code)
		return nil
	})
	if err != nil {
		return nil, err
	}
	rows, err = conn.Query(ctx, `SELECT insee_code, name, kind, coalesce(parent_code, ''), department_code,
		region_code, postal_codes, coalesce(population, 0) FROM geo_communes ORDER BY insee_code`)
	if err != nil {
		return nil, err
	}
	var c essdir.Commune
	var kind string
	_, err = pgx.ForEachRow(rows, []any{&c.INSEECode, &c.Name, &kind, &c.ParentCode, &c.DepartmentCode,
		&c.RegionCode, &c.PostalCodes, &c.Population}, func() error {
		commune := c
		commune.Kind = essdir.CommuneKind(kind)
		if commune.PostalCodes == nil {
			commune.PostalCodes = []string{}
		}
		// CommunesByPostalCode's answer: in INSEE order (the rows'),
		// without the former codes (it does not read them).
		for k, p := range commune.PostalCodes {
			if !slices.Contains(commune.PostalCodes[:k], p) {
				snap.byPostal[p] = append(snap.byPostal[p], commune)
			}
		}
		commune.FormerCodes = formerOf[commune.INSEECode] // sorted, as Commune's ORDER BY 1
		snap.communes[commune.INSEECode] = &commune
		c = essdir.Commune{}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return snap, nil
}

// commune answers as Store.Commune does (a copy: callers may keep it).
func (s *communeSnapshot) commune(insee string) (*essdir.Commune, error) {
	c, ok := s.communes[insee]
	if !ok {
		return nil, communeNotFound(insee)
	}
	cp := *c
	return &cp, nil
}

// formerCommune answers as Store.FormerCommune does.
func (s *communeSnapshot) formerCommune(code string) (string, bool) {
	succ, ok := s.former[code]
	return succ, ok
}

// communesByPostalCode answers as Store.CommunesByPostalCode does, with
// the snapshot's own list (as memoGeography shares one answer between the
// items of a batch): the checks only read it, and it is clipped, so that an
// append would copy it. Copying it cost a twentieth of a batch's checks.
func (s *communeSnapshot) communesByPostalCode(postal string) []essdir.Commune {
	return slices.Clip(s.byPostal[postal])
}

// geographyFor is the geography a batch's writes are checked against: the
// cached communes of the geography tx sees, the rest asked in tx, every
// answer memoised for the batch.
func (s *Store) geographyFor(ctx context.Context, tx *gorm.DB, conn *sql.Conn, key string, loaded bool) (*memoGeography, error) {
	snap, err := s.communes.snapshot(ctx, conn, key, loaded)
	if err != nil {
		return nil, err
	}
	g := newMemoGeography(s.within(tx))
	g.snap = snap
	return g, nil
}
