package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/jackc/pgx/v5"

	"github.com/essdir/essdir/internal/essdir"
)

// benchStructures makes n distinct structures of one source.
func benchStructures(source string, n int) []essdir.BulkItem[essdir.Structure] {
	items := make([]essdir.BulkItem[essdir.Structure], n)
	for i := range items {
		s := boucle(source)
		s.Name = fmt.Sprintf("Structure %d", i)
		s.ExternalID = fmt.Sprintf("ext-%d", i)
		s.Contacts = nil
		items[i].Record = s
	}
	return items
}

// BenchmarkBulkUpsert10k upserts 10,000 new structures in batches of 1000
// (the API's cap), then the same rows with PostgreSQL's COPY, for a
// rows-per-second comparison (no timing is asserted).
func BenchmarkBulkUpsert10k(b *testing.B) {
	ctx := context.Background()
	st := openStore(b)
	const n = 10_000
	b.Run("upsertMany", func(b *testing.B) {
		for range b.N {
			items := benchStructures(newTag("bench"), n)
			for i := 0; i < n; i += essdir.MaxBulkItems {
				if _, err := st.UpsertStructures(ctx, items[i:i+essdir.MaxBulkItems], nil); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("COPY", func(b *testing.B) {
		conn, err := pgx.Connect(ctx, testDSN)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close(ctx)
		for range b.N {
			source := newTag("copy")
			rows := make([][]any, n)
			now := time.Now()
			for i := range rows {
				rows[i] = []any{uuid.New(), now, now, fmt.Sprintf("%s-%d", source, i), fmt.Sprintf("Structure %d", i), "association",
					"Recyclerie et ateliers de réparation", []string{"reuse"}, "21540", "Sombernon", "21611", "21", "27",
					47.308, 4.707, `[{"network":"facebook","url":"https://www.facebook.com/laboucle"}]`, []string{"PES21"},
					"published", source, fmt.Sprintf("ext-%d", i)}
			}
			_, err := conn.CopyFrom(ctx, pgx.Identifier{"structures"}, []string{"id", "created_at", "updated_at", "slug", "name", "legal_form", "summary", "sectors",
				"postal_code", "city", "insee_code", "department_code", "region_code", "lat", "lon", "social_links", "networks",
				"status", "source", "external_id"}, &copyRows{rows: rows})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// copyRows feeds COPY.
type copyRows struct {
	rows [][]any
	i    int
}

func (c *copyRows) Next() bool { c.i++; return c.i <= len(c.rows) }
func (c *copyRows) Err() error { return nil }
func (c *copyRows) Values() ([]any, error) {
	return c.rows[c.i-1], nil
}
