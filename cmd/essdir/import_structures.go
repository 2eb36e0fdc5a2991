package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/essdir/essdir/api"
	"github.com/essdir/essdir/internal/essdir"
	"github.com/essdir/essdir/internal/parallel"
	"github.com/essdir/essdir/internal/store"
)

const importStructuresUsage = "usage: essdir import structures FILE --source S [--strict] [--statement-timeout 5m] (FILE: .csv or .ndjson)"

// csvColumns are the columns a structures CSV may have, named as the
// structure's JSON fields (address parts and location flattened): name,
// slug, legal_form, siret, siren, rna, summary, description, sectors,
// labels, street, postal_code, city, insee_code, lat, lon, website, email,
// phone, networks, status, source, external_id. Lists (sectors, labels,
// networks) hold their values separated by "|". The delimiter is "," or
// ";" (whichever the header uses). Contacts and social links are not
// imported from CSV (NDJSON takes every field).
var csvColumns = map[string]bool{
	"name": true, "slug": true, "legal_form": true, "siret": true, "siren": true, "rna": true,
	"summary": true, "description": true, "sectors": true, "labels": true, "street": true,
	"postal_code": true, "city": true, "insee_code": true, "lat": true, "lon": true, "website": true,
	"email": true, "phone": true, "networks": true, "status": true, "source": true, "external_id": true,
}

// importLine is one structure of the file, with its line number.
type importLine struct {
	line int
	item essdir.BulkItem[essdir.Structure]
}

// rejected is a line refused, with why.
type rejected struct {
	line    int
	reasons []string
}

// importStructures upserts the structures of a CSV or NDJSON file by
// (source, external_id) through the bulk API's path (same decoding, same
// write rule, batches of essdir.MaxBulkItems). Valid lines are written and
// bad ones reported; with --strict, one bad line and nothing is written.
// Running it again on the same file changes nothing.
func importStructures(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("import structures", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	source := fs.String("source", "", "the source every line belongs to")
	strict := fs.Bool("strict", false, "write nothing when any line is bad")
	timeout := fs.Duration("statement-timeout", 5*time.Minute, "longest a statement of a batch may run (a batch job's bound, not ESSDIR_STATEMENT_TIMEOUT's)")
	var file string
	// The file may come before or after the flags.
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%v; %s", err, importStructuresUsage)
	}
	if file == "" && fs.NArg() == 1 {
		file = fs.Arg(0)
	} else if fs.NArg() != 0 {
		return errors.New(importStructuresUsage)
	}
	src, _ := essdir.SyncKey(*source, "")
	if file == "" || src == "" {
		return errors.New(importStructuresUsage)
	}
	if *timeout <= 0 {
		return fmt.Errorf("--statement-timeout must be positive; %s", importStructuresUsage)
	}
	defer tuneImportGC(getenv)()
	start := time.Now()
	// The file is read as it is written to the database, a record at a
	// time (import_read.go); --strict reads it twice, hence a regular file.
	in, err := openImport(file, *strict)
	if err != nil {
		return err
	}
	defer func() { in.Close() }()
	// The pool keeps ESSDIR_STATEMENT_TIMEOUT, a request's bound; the
	// batches get a batch job's, with SET LOCAL in their transactions.
	_, st, err := open(ctx, getenv, func(o *store.Options) { o.BulkStatementTimeout = *timeout })
	if err != nil {
		return err
	}
	defer st.Close()
	if err := store.Migrate(ctx, st.SQL(), "up", io.Discard); err != nil {
		return err
	}
	imp := importer{out: stdout, file: file, source: src}
	if f, ok := stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		imp.term = f
	}
	if *strict {
		// A first pass judges every line (each batch written and rolled
		// back), so that one bad line anywhere writes nothing; the second
		// reads the file again and writes it.
		imp.claims = newClaims()
		// Its batches derive slugs past those the lines before took.
		checkCtx := store.WithClaimedSlugs(ctx, func(slug string) bool { _, ok := imp.claims.slugs.first(slug); return ok })
		if err := imp.pass(checkCtx, in, "checking", st.CheckStructures); err != nil {
			return err
		}
		imp.claims = nil
		if imp.rejected > 0 {
			return fmt.Errorf("%d bad lines: nothing written (--strict)", imp.rejected)
		}
		in.Close()
		if in, err = openImport(file, true); err != nil {
			return err
		}
		imp.lines, imp.counts = 0, [3]int{}
	}
	err = imp.pass(ctx, in, "importing", func(ctx context.Context, items []essdir.BulkItem[essdir.Structure]) ([]essdir.Upserted, error) {
		return st.UpsertStructures(ctx, items, nil)
	})
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	fmt.Fprintf(stdout, "imported %s (source %s): %d created, %d updated, %d unchanged, %d rejected (%s, %.0f lines/s)\n",
		file, src, imp.counts[0], imp.counts[1], imp.counts[2], imp.rejected, elapsed.Round(time.Millisecond),
		float64(imp.lines)/elapsed.Seconds())
	if imp.rejected > 0 {
		// The valid lines are written; a non-zero exit status still tells a
		// script that some were not.
		return fmt.Errorf("%w: %d of %d lines (listed above); the others were written", errLinesRejected, imp.rejected, imp.lines)
	}
	return nil
}

// importFile is an import's open file and its records.
type importFile struct {
	*os.File
	size    int64 // -1 when unknown (a pipe)
	records recordReader
}

// openImport opens the file and reads its header (CSV): a missing file or
// an unknown column fails before the database is touched.
func openImport(file string, twice bool) (*importFile, error) {
	info, err := os.Stat(file) // before opening: opening a pipe waits for its writer
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() && twice {
		return nil, fmt.Errorf("%s: --strict reads the file twice (checked, then written): it must be a regular file, not a pipe", file)
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	in := &importFile{File: f, size: info.Size()}
	if !info.Mode().IsRegular() {
		in.size = -1 // a spinner rather than a bar
	}
	if in.records, err = newRecordReader(file, f); err != nil {
		f.Close()
		return nil, err
	}
	return in, nil
}

// importer is what an import has done so far.
type importer struct {
	out      io.Writer
	term     *os.File // the terminal of the progress bar, if any
	file     string
	source   string
	lines    int    // records read
	counts   [3]int // created, updated, unchanged
	rejected int
	claims   *claims // --strict's check: what the lines judged so far take
}

// pass reads the file's records in batches and upserts each (or checks
// it), the next batch read and decoded while this one is written, and
// reports each rejected line as soon as its batch is done. Only the
// batch being written, the one decoded next and the one being read are
// in memory.
func (imp *importer) pass(ctx context.Context, in *importFile, what string,
	upsert func(context.Context, []essdir.BulkItem[essdir.Structure]) ([]essdir.Upserted, error)) error {
	var bar *progressbar.ProgressBar
	if imp.term != nil {
		bar = progressbar.NewOptions64(in.size, progressbar.OptionSetWriter(imp.term), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription(what), progressbar.OptionClearOnFinish())
		defer bar.Finish()
	}
	rctx, stop := context.WithCancel(ctx)
	defer stop() // on an error, the reader stops too
	next := make(chan lineBatch, 1)
	go func() {
		defer close(next)
		for b := range decodedBatches(in.records, imp.source) {
			select {
			case next <- b:
			case <-rctx.Done():
				return
			}
		}
	}()
	for b := range next {
		done, more, err := upsertValid(ctx, b.lines, upsert, imp.claims)
		if err != nil {
			return cliError(err)
		}
		imp.lines += b.read
		for _, d := range done {
			switch d.Result {
			case essdir.UpsertCreated:
				imp.counts[0]++
			case essdir.UpsertUpdated:
				imp.counts[1]++
			default:
				imp.counts[2]++
			}
		}
		if bad := append(b.bad, more...); len(bad) > 0 {
			if bar != nil {
				_ = bar.Clear()
			}
			imp.rejected += len(bad)
			report(imp.out, imp.file, bad) // a batch's lines follow the previous batch's
		}
		if b.err != nil {
			return fmt.Errorf("%s: %w", imp.file, b.err)
		}
		if bar != nil {
			_ = bar.Set64(b.offset)
		}
	}
	return ctx.Err()
}

// errLinesRejected is the error of an import that wrote its valid lines but
// rejected others.
var errLinesRejected = errors.New("lines rejected")

// lineBatch is one batch of the file: its lines that read as structures,
// and those that did not.
type lineBatch struct {
	lines  []importLine
	bad    []rejected
	read   int   // records of the file the batch covers
	offset int64 // bytes of the file read up to the batch's end
	err    error // reading the file failed after the batch
}

var itemField = regexp.MustCompile(`^items\[(\d+)\]\.?`)

// upsertValid upserts a batch; when items are invalid, or hold a SIRET or
// slug another record holds (each named items[i]), it sets them aside as
// rejected lines and upserts the others, so that a bad line costs only
// itself. With claims (--strict's check, whose batches are rolled back),
// a line is also judged against what the lines before it took, and what
// it takes is added once its batch is judged.
func upsertValid(ctx context.Context, batch []importLine,
	upsert func(context.Context, []essdir.BulkItem[essdir.Structure]) ([]essdir.Upserted, error), cl *claims) ([]essdir.Upserted, []rejected, error) {
	var bad []rejected
	if cl != nil {
		kept := batch[:0:0]
		for _, l := range batch {
			if reasons := cl.taken(l); reasons != nil {
				bad = append(bad, rejected{l.line, reasons})
			} else {
				kept = append(kept, l)
			}
		}
		batch = kept
	}
	for len(batch) > 0 {
		items := make([]essdir.BulkItem[essdir.Structure], len(batch))
		for i, l := range batch {
			items[i] = l.item
		}
		done, err := upsert(ctx, items)
		var e *essdir.Error
		if err == nil || !errors.As(err, &e) || (e.Code != essdir.EINVALID && e.Code != essdir.ECONFLICT) || len(e.Fields) == 0 {
			if err == nil && cl != nil {
				for i, l := range batch {
					cl.take(l, done[i])
				}
			}
			return done, bad, err
		}
		reasons := map[int][]string{}
		for _, f := range e.Fields {
			m := itemField.FindStringSubmatch(f.Field)
			if m == nil {
				return nil, bad, err
			}
			i, _ := strconv.Atoi(m[1])
			reasons[i] = append(reasons[i], describe(strings.TrimPrefix(f.Field, m[0]), f.Message))
		}
		var keep []importLine
		for i, l := range batch {
			if r, isBad := reasons[i]; isBad {
				bad = append(bad, rejected{l.line, r})
			} else {
				keep = append(keep, l)
			}
		}
		batch = keep
	}
	return nil, bad, nil
}

// claims are the slugs and SIRETs the lines judged so far by --strict's
// check take, each with the first line that takes it. The check's batches
// are rolled back, so the database does not show a batch the lines before
// it; the writing will, and a line choosing a slug or SIRET an earlier
// line took would fail there, after the batches before it were written.
// Kept as 64-bit hashes, as the external ids are (firstLines).
type claims struct{ slugs, sirets *firstLines }

func newClaims() *claims { return &claims{newFirstLines(), newFirstLines()} }

// taken gives why l may not take what it asks for, or nil.
func (cl *claims) taken(l importLine) []string {
	var reasons []string
	slug, siret := l.item.Record.UniqueValues()
	if slug != "" {
		if first, ok := cl.slugs.first(slug); ok {
			reasons = append(reasons, fmt.Sprintf("slug: line %d takes this slug", first))
		}
	}
	if siret != "" {
		if first, ok := cl.sirets.first(siret); ok {
			reasons = append(reasons, fmt.Sprintf("siret: line %d has this SIRET", first))
		}
	}
	return reasons
}

// take records what l takes once written: its slug (chosen, or the one a
// new record was given) and its SIRET.
func (cl *claims) take(l importLine, done essdir.Upserted) {
	slug, siret := l.item.Record.UniqueValues()
	if slug = cmp.Or(slug, done.Slug); slug != "" {
		cl.slugs.add(slug, l.line)
	}
	if siret != "" {
		cl.sirets.add(siret, l.line)
	}
}

func describe(field, message string) string {
	if field == "" {
		return message
	}
	return field + ": " + message
}

// report lists the rejected lines.
func report(w io.Writer, file string, bad []rejected) {
	slices.SortFunc(bad, func(a, b rejected) int { return a.line - b.line })
	for _, r := range bad {
		fmt.Fprintf(w, "%s:%d: rejected: %s\n", file, r.line, strings.Join(r.reasons, "; "))
	}
}

// decodedBatches reads the records as bulk items of source, a batch of
// essdir.MaxBulkItems records at a time. Records that cannot be read as a
// structure, or repeat an earlier record's external_id, are rejected here.
func decodedBatches(records recordReader, source string) func(func(lineBatch) bool) {
	return func(yield func(lineBatch) bool) {
		first := newFirstLines()
		for {
			chunk := make([]rawLine, 0, essdir.MaxBulkItems)
			var end bool
			var readErr error
			for len(chunk) < essdir.MaxBulkItems {
				r, ok, err := records.next()
				if err != nil || !ok {
					end, readErr = true, err
					break
				}
				chunk = append(chunk, r)
			}
			if len(chunk) == 0 && readErr == nil {
				return
			}
			// Decoded on every core; judged in order.
			items := make([]essdir.BulkItem[essdir.Structure], len(chunk))
			failed := make([]error, len(chunk))
			parallel.For(len(chunk), func(i int) {
				if failed[i] = chunk[i].err; failed[i] == nil {
					items[i], failed[i] = api.DecodeStructure(chunk[i].json)
				}
			})
			b := lineBatch{read: len(chunk), offset: records.offset(), err: readErr}
			for i, r := range chunk {
				if err := failed[i]; err != nil {
					var e *essdir.Error
					if r.err != nil || !errors.As(err, &e) {
						b.bad = append(b.bad, rejected{r.line, []string{err.Error()}})
						continue
					}
					var reasons []string
					for _, f := range e.Fields {
						reasons = append(reasons, describe(strings.TrimPrefix(itemField.ReplaceAllString(f.Field, ""), "."), f.Message))
					}
					b.bad = append(b.bad, rejected{r.line, reasons})
					continue
				}
				it := items[i]
				if s, _ := essdir.SyncKey(it.Record.Source, ""); s != "" && s != source {
					b.bad = append(b.bad, rejected{r.line, []string{fmt.Sprintf("source: %q differs from --source %s", it.Record.Source, source)}})
					continue
				}
				it.Record.Source = source
				_, ext := essdir.SyncKey(source, it.Record.ExternalID)
				if ext != "" {
					if l, repeat := first.add(ext, r.line); repeat {
						b.bad = append(b.bad, rejected{r.line, []string{fmt.Sprintf("external_id: repeats line %d", l)}})
						continue
					}
				}
				b.lines = append(b.lines, importLine{r.line, it})
			}
			if !yield(b) || end {
				return
			}
		}
	}
}
