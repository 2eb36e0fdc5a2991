package store

import (
	"context"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/essdir/essdir/internal/essdir"
)

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
