package store

import (
	"context"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/essdir/essdir/internal/essdir"
)

// Whole-set reads: exports (every matching record, streamed) and facets.

// exportTimeout bounds the statements of an export, which reads the whole
// directory: longer than a request's, still bounded.
const exportTimeout = 5 * time.Minute

// EachPublishedStructure calls fn with every published live structure, in
// name order, one row at a time: the memory of an export does not grow with
// the directory. It reads in one transaction (one consistent snapshot) whose
// statement timeout is raised with SET LOCAL; an error of fn stops it.
func (s *Store) EachPublishedStructure(ctx context.Context, fn func(*essdir.Structure) error) error {
	return s.inTx(ctx, func(tx *gorm.DB) error {
		if err := tx.Exec("SET LOCAL statement_timeout = " + strconv.FormatInt(exportTimeout.Milliseconds(), 10)).Error; err != nil {
			return err
		}
		rows, err := tx.Table(structures.name).
			Where("deleted_at IS NULL AND status = ?", essdir.StatusPublished).
			Order("name, id").Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var row structureRow
			if err := tx.ScanRows(rows, &row); err != nil {
				return err
			}
			if err := fn(row.toDomain()); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// FindStructureFacets counts the structures f selects by legal form,
// sector, label and département, most frequent first (ties by value).
func (s *Store) FindStructureFacets(ctx context.Context, f essdir.StructureFilter) (*essdir.StructureFacets, error) {
	out := &essdir.StructureFacets{}
	err := s.searching(ctx, f, true, func(tx *gorm.DB, sel selection) error {
		selected := func() *gorm.DB {
			return structureFilterQuery(tx.Session(&gorm.Session{NewDB: true}).Table("structures"), sel).
				Where("structures.deleted_at IS NULL")
		}
		facets := []struct {
			dest *[]essdir.FacetCount
			sql  string
			cols string
		}{
			{&out.LegalForm, "SELECT legal_form AS value, count(*) AS count FROM (?) s WHERE legal_form IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1", "structures.legal_form"},
			{&out.Sector, "SELECT v AS value, count(*) AS count FROM (?) s, unnest(s.sectors) v GROUP BY 1 ORDER BY 2 DESC, 1", "structures.sectors"},
			{&out.Label, "SELECT v AS value, count(*) AS count FROM (?) s, unnest(s.labels) v GROUP BY 1 ORDER BY 2 DESC, 1", "structures.labels"},
			{&out.DepartmentCode, "SELECT department_code AS value, count(*) AS count FROM (?) s WHERE department_code IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1", "structures.department_code"},
		}
		for _, fc := range facets {
			var rows []struct {
				Value string
				Count int
			}
			if err := tx.Raw(fc.sql, selected().Select(fc.cols)).Scan(&rows).Error; err != nil {
				return err
			}
			*fc.dest = make([]essdir.FacetCount, len(rows))
			for i, r := range rows {
				(*fc.dest)[i] = essdir.FacetCount{Value: r.Value, Count: r.Count}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EachStructure streams every structure f selects to fn, one row at a
// time from the server (nothing is collected), in f's order: name,
// -updated_at or distance (relevance is not computed for a whole set: name).
func (s *Store) EachStructure(ctx context.Context, f essdir.StructureFilter, fn func(*essdir.Structure) error) error {
	if f.Sort == essdir.SortDistance && f.Near == nil {
		return badSort("distance needs a point (near)")
	}
	if f.Sort == essdir.SortRelevance || f.Sort == "" {
		f.Sort = essdir.SortName
	}
	order, err := structures.sort(f.Sort)
	if err != nil {
		return err
	}
	sel, err := s.textQuery(ctx, f)
	if err != nil {
		return err
	}
	// The rows are read natively (native.go): GORM builds the statement, pgx
	// runs it in a transaction with the settings of a whole-set read and
	// scans each row without reflection.
	q, err := order.apply(searchQuery(s.db.WithContext(ctx), sel, false), structures.name, "")
	if err != nil {
		return err
	}
	settings := s.searchSettings(f)
	s.statements.Add(int64(len(settings)))
	return translate(eachRow(q, settings, structures.field, func(r *structureRow) error { return fn(r.toDomain()) }))
}
