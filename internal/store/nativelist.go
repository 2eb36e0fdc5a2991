package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/essdir/essdir/internal/essdir"
)

// findPageWhere is findPage for a table that reads natively (field and
// readColumns set), with its conditions in w (a filter without query): the
// statement is written here rather than by GORM, whose building of a list
// (a dozen chained clones of its statement, then its callbacks) cost 11 %
// of the server's CPU per list of 20 on the 1M set, more than reading the
// rows. The statement has the conditions, order and limit GORM would give
// it (GORM also quotes the table and parenthesises each condition with an
// AND; that changes no plan). Other tables take findPage.
func findPageWhere[D, R any](ctx context.Context, s *Store, t *table[D, R], w *filter, l essdir.List) (*essdir.Page[D], error) {
	order, err := t.sort(l.Sort)
	if err != nil {
		return nil, err
	}
	limit := pageLimit(l)
	from := nativeSelect{}
	from.add(t.name+".deleted_at IS NULL", nil)
	for _, c := range w.conds {
		from.add(c.sql, c.args)
	}
	if from.err != nil {
		return nil, from.err
	}
	page := &essdir.Page[D]{}
	if l.IncludeTotal {
		if page.Total, page.TotalIsLowerBound, err = s.cappedCountNative(ctx, "SELECT count(*) FROM (SELECT 1 FROM "+t.name+from.where()+" LIMIT "+strconv.Itoa(essdir.MaxCount+1)+") AS capped", from.args); err != nil {
			return nil, err
		}
	}
	if l.Cursor != "" {
		sql, args, err := order.afterCursor(t.name, l.Cursor)
		if err != nil {
			return nil, err
		}
		if from.add(sql, args); from.err != nil {
			return nil, from.err
		}
	}
	query := "SELECT " + t.readColumns + " FROM " + t.name + from.where() + " ORDER BY " + order.orderBy() +
		" LIMIT " + strconv.Itoa(limit+1) // written out: see findPage
	s.statements.Add(1)
	rows, marks, err := readRows(ctx, s.sql, query, from.args, t.field, limit+1, offerRows(l.Known, order))
	if err != nil {
		return nil, translate(err)
	}
	var children *gorm.DB // a session of its own costs allocations: only for children
	if t.loadChildren != nil {
		children = s.db.WithContext(ctx)
	}
	return fillPage(page, t, order, rows, marks, limit, children)
}

// nativeSelect is the WHERE clause of a statement written out: conditions
// with ? placeholders made $1, $2… and their values, spread as GORM spreads
// them (a []string or []uuid.UUID is a parenthesised list of parameters;
// any other value, a textArray included, one parameter). A condition with
// OR is parenthesised, as GORM does.
type nativeSelect struct {
	sql  strings.Builder
	args []any
	err  error // a condition whose values are not its placeholders' (a bug)
}

func (n *nativeSelect) add(sql string, args []any) {
	if marks := strings.Count(sql, "?"); marks != len(args) && n.err == nil {
		n.err = fmt.Errorf("store: %d values for the %d placeholders of %q", len(args), marks, sql)
	}
	if n.sql.Len() > 0 {
		n.sql.WriteString(" AND ")
	}
	wrap := strings.Contains(strings.ToUpper(sql), " OR ")
	if wrap {
		n.sql.WriteByte('(')
	}
	for i := 0; i < len(sql); i++ {
		if sql[i] != '?' || len(args) == 0 {
			n.sql.WriteByte(sql[i])
			continue
		}
		switch v := args[0].(type) {
		case []string:
			n.list(len(v), func(j int) any { return v[j] })
		case []uuid.UUID:
			n.list(len(v), func(j int) any { return v[j] })
		default:
			n.param(v)
		}
		args = args[1:]
	}
	if wrap {
		n.sql.WriteByte(')')
	}
}

func (n *nativeSelect) param(v any) {
	n.args = append(n.args, v)
	n.sql.WriteByte('$')
	n.sql.WriteString(strconv.Itoa(len(n.args)))
}

func (n *nativeSelect) list(count int, at func(int) any) {
	n.sql.WriteByte('(')
	for j := range count {
		if j > 0 {
			n.sql.WriteByte(',')
		}
		n.param(at(j))
	}
	n.sql.WriteByte(')')
}

func (n *nativeSelect) where() string {
	if n.sql.Len() == 0 {
		return ""
	}
	return " WHERE " + n.sql.String()
}

// cappedCountNative is cappedCount of a statement written out.
func (s *Store) cappedCountNative(ctx context.Context, query string, args []any) (*int, bool, error) {
	var n int64
	s.statements.Add(1)
	err := queryNative(ctx, s.sql, query, args, func(r pgx.Rows) error {
		for r.Next() {
			if err := r.Scan(&n); err != nil {
				return err
			}
		}
		return r.Err()
	})
	if err != nil {
		return nil, false, translate(err)
	}
	total := int(min(n, essdir.MaxCount))
	return &total, n > essdir.MaxCount, nil
}
