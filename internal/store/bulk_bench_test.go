package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/essdir/essdir/internal/benchdata"
	"github.com/essdir/essdir/internal/essdir"
)

// benchRows is how many structures one iteration of BenchmarkBulkUpsert
// writes, in batches of essdir.MaxBulkItems (the API's cap).
const benchRows = 10_000

// BenchmarkBulkUpsert upserts realistic structures (benchdata: every row
// in its own commune, name, SIRET…) in batches of 1000: new ones
// (created), the next revision of stored ones (changed), the same again
// (unchanged), and, for comparison, a COPY of new rows of the same data
// into the same table, one transaction per 1000 (COPY). rows/s is the
// figure; no timing is asserted. Profile one side with
// -bench 'BulkUpsert/created' -cpuprofile cpu.out. The 100,000-row figures
// of the README come from cmd/bulkbench (bench/bulk.sh).
func BenchmarkBulkUpsert(b *testing.B) {
	ctx := context.Background()
	st := openStore(b)
	gen, err := benchdata.NewStructures(1)
	if err != nil {
		b.Fatal(err)
	}
	next := 1 << 20 // item numbers not used yet in this database: SIRETs are unique
	take := func() int { next += benchRows; return next - benchRows }
	upsert := func(b *testing.B, source string, from, rev int) {
		for k := 0; k < benchRows; k += essdir.MaxBulkItems {
			b.StopTimer()
			items := make([]essdir.BulkItem[essdir.Structure], essdir.MaxBulkItems)
			for j := range items {
				items[j].Record = gen.Structure(source, from+k+j, rev)
			}
			b.StartTimer()
			if _, err := st.UpsertStructures(ctx, items, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("created", func(b *testing.B) {
		for range b.N {
			upsert(b, newTag("bench"), take(), 0)
		}
		b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	for _, side := range []struct {
		name string
		rev  int
	}{{"changed", 1}, {"unchanged", 0}} {
		b.Run(side.name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				source, from := newTag("bench"), take()
				upsert(b, source, from, 0)
				b.StartTimer()
				upsert(b, source, from, side.rev)
			}
			b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
	b.Run("COPY", func(b *testing.B) {
		conn, err := pgx.Connect(ctx, testDSN)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close(ctx)
		for range b.N {
			source, from := newTag("copy"), take()
			for k := 0; k < benchRows; k += essdir.MaxBulkItems {
				b.StopTimer()
				rows := make([][]any, essdir.MaxBulkItems)
				now := time.Now()
				for j := range rows {
					i := from + k + j
					rows[j] = gen.CopyRow(gen.Structure(source, i, 0), i, uuid.Must(uuid.NewV7()), now)
				}
				b.StartTimer()
				if _, err := conn.CopyFrom(ctx, pgx.Identifier{"structures"}, benchdata.CopyColumns, pgx.CopyFromRows(rows)); err != nil {
					b.Fatal(fmt.Errorf("COPY: %w", err))
				}
			}
		}
		b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}
