package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	start := time.Now()
	raws, err := rawLines(file)
	if err != nil {
		return err
	}
	if *timeout <= 0 {
		return fmt.Errorf("--statement-timeout must be positive; %s", importStructuresUsage)
	}
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
	var bar *progressbar.ProgressBar
	if f, ok := stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar = progressbar.NewOptions(len(raws), progressbar.OptionSetWriter(f), progressbar.OptionShowCount(),
			progressbar.OptionSetDescription("importing"), progressbar.OptionClearOnFinish())
	}
	var bad []rejected
	var counts [3]int // created, updated, unchanged
	upsert := func(ctx context.Context, items []essdir.BulkItem[essdir.Structure]) ([]essdir.Upserted, error) {
		return st.UpsertStructures(ctx, items, nil)
	}
	if *strict {
		// Judge the whole file first (every batch written and rolled back),
		// so that one bad line anywhere writes nothing.
		var all []lineBatch
		for b := range decodedBatches(raws, src) {
			all = append(all, b)
			bad = append(bad, b.bad...)
			_, more, err := upsertValid(ctx, b.lines, st.CheckStructures)
			if err != nil {
				return cliError(err)
			}
			bad = append(bad, more...)
		}
		if len(bad) > 0 {
			report(stdout, file, bad)
			return fmt.Errorf("%d bad lines: nothing written (--strict)", len(bad))
		}
		for _, b := range all {
			if err := importBatch(ctx, b, upsert, &counts, &bad, bar); err != nil {
				return err
			}
		}
	} else {
		// The next batch is read and decoded while this one is written.
		rctx, stop := context.WithCancel(ctx)
		defer stop() // on an error, the reader stops too
		next := make(chan lineBatch, 1)
		go func() {
			defer close(next)
			for b := range decodedBatches(raws, src) {
				select {
				case next <- b:
				case <-rctx.Done():
					return
				}
			}
		}()
		for b := range next {
			if err := importBatch(ctx, b, upsert, &counts, &bad, bar); err != nil {
				return err
			}
		}
	}
	if bar != nil {
		_ = bar.Finish()
	}
	elapsed := time.Since(start)
	fmt.Fprintf(stdout, "imported %s (source %s): %d created, %d updated, %d unchanged, %d rejected (%s, %.0f lines/s)\n",
		file, src, counts[0], counts[1], counts[2], len(bad), elapsed.Round(time.Millisecond),
		float64(len(raws))/elapsed.Seconds())
	report(stdout, file, bad)
	if len(bad) > 0 {
		// The valid lines are written; a non-zero exit status still tells a
		// script that some were not.
		return fmt.Errorf("%w: %d of %d lines (listed above); the others were written", errLinesRejected, len(bad), len(raws))
	}
	return nil
}

// errLinesRejected is the error of an import that wrote its valid lines but
// rejected others.
var errLinesRejected = errors.New("lines rejected")

// lineBatch is one batch of the file: its lines that read as structures,
// and those that did not.
type lineBatch struct {
	lines []importLine
	bad   []rejected
	read  int // lines of the file the batch covers
}

// importBatch upserts the valid lines of a batch and counts what became of
// them.
func importBatch(ctx context.Context, b lineBatch, upsert func(context.Context, []essdir.BulkItem[essdir.Structure]) ([]essdir.Upserted, error),
	counts *[3]int, bad *[]rejected, bar *progressbar.ProgressBar) error {
	*bad = append(*bad, b.bad...)
	done, more, err := upsertValid(ctx, b.lines, upsert)
	if err != nil {
		return cliError(err)
	}
	*bad = append(*bad, more...)
	for _, d := range done {
		switch d.Result {
		case essdir.UpsertCreated:
			counts[0]++
		case essdir.UpsertUpdated:
			counts[1]++
		default:
			counts[2]++
		}
	}
	if bar != nil {
		_ = bar.Add(b.read)
	}
	return nil
}

var itemField = regexp.MustCompile(`^items\[(\d+)\]\.?`)

// upsertValid upserts a batch; when items are invalid it sets them aside
// as rejected lines and upserts the others, so that a bad line costs only
// itself.
func upsertValid(ctx context.Context, batch []importLine,
	upsert func(context.Context, []essdir.BulkItem[essdir.Structure]) ([]essdir.Upserted, error)) ([]essdir.Upserted, []rejected, error) {
	var bad []rejected
	for len(batch) > 0 {
		items := make([]essdir.BulkItem[essdir.Structure], len(batch))
		for i, l := range batch {
			items[i] = l.item
		}
		done, err := upsert(ctx, items)
		var e *essdir.Error
		if err == nil || !errors.As(err, &e) || e.Code != essdir.EINVALID {
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

// rawLines reads every record of the file as a JSON object (CSV or
// NDJSON, by extension, else by the first character).
func rawLines(file string) ([]rawLine, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	switch ext := strings.ToLower(filepath.Ext(file)); {
	case ext == ".ndjson" || ext == ".jsonl" ||
		(ext != ".csv" && bytes.HasPrefix(bytes.TrimSpace(data), []byte("{"))):
		return ndjsonLines(data), nil
	default:
		raws, err := csvLines(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		return raws, nil
	}
}

// decodedBatches reads the records as bulk items of source, a batch of
// essdir.MaxBulkItems records at a time. Records that cannot be read as a
// structure, or repeat an earlier record's external_id, are rejected here.
func decodedBatches(raws []rawLine, source string) func(func(lineBatch) bool) {
	return func(yield func(lineBatch) bool) {
		first := map[string]int{}
		for from := 0; from < len(raws); from += essdir.MaxBulkItems {
			chunk := raws[from:min(from+essdir.MaxBulkItems, len(raws))]
			// Decoded on every core; judged in order.
			items := make([]essdir.BulkItem[essdir.Structure], len(chunk))
			failed := make([]error, len(chunk))
			parallel.For(len(chunk), func(i int) {
				if failed[i] = chunk[i].err; failed[i] == nil {
					items[i], failed[i] = api.DecodeStructure(chunk[i].json)
				}
			})
			b := lineBatch{read: len(chunk)}
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
				if l, dup := first[ext]; dup && ext != "" {
					b.bad = append(b.bad, rejected{r.line, []string{fmt.Sprintf("external_id: repeats line %d", l)}})
					continue
				}
				first[ext] = r.line
				b.lines = append(b.lines, importLine{r.line, it})
			}
			if !yield(b) {
				return
			}
		}
	}
}

// rawLine is one record of the file as a JSON object, or why it is not one.
type rawLine struct {
	line int
	json []byte
	err  error
}

// maxLineBytes bounds one NDJSON line (a structure is a few kB): a longer
// one is rejected, and the lines after it are still read.
const maxLineBytes = 16 << 20

func ndjsonLines(data []byte) []rawLine {
	var out []rawLine
	for n := 1; len(data) > 0; n++ {
		line, rest, _ := bytes.Cut(data, []byte("\n"))
		data = rest
		switch line = bytes.TrimSpace(line); {
		case len(line) > maxLineBytes:
			out = append(out, rawLine{line: n, err: fmt.Errorf("the line is longer than %d MiB", maxLineBytes>>20)})
		case len(line) > 0:
			out = append(out, rawLine{line: n, json: line})
		}
	}
	return out
}

// csvLines turns each CSV record into the JSON object of a structure.
func csvLines(data []byte) ([]rawLine, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF")) // a spreadsheet's BOM
	header, _, _ := bytes.Cut(data, []byte("\n"))
	r := csv.NewReader(bytes.NewReader(data))
	if bytes.Count(header, []byte(";")) > bytes.Count(header, []byte(",")) {
		r.Comma = ';'
	}
	r.FieldsPerRecord = -1
	cols, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("no CSV header: %w", err)
	}
	for i, c := range cols {
		cols[i] = strings.ToLower(strings.TrimSpace(c))
		if !csvColumns[cols[i]] {
			return nil, fmt.Errorf("unknown column %q (columns: the structure's fields, see essdir import structures --help)", c)
		}
	}
	var out []rawLine
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && pe.Err == csv.ErrFieldCount {
				out = append(out, rawLine{line: line, err: pe.Err})
				continue
			}
			return nil, err
		}
		obj, err := csvObject(cols, rec)
		out = append(out, rawLine{line: line, json: obj, err: err})
	}
}

// csvObject maps one CSV record to a structure's JSON object.
func csvObject(cols, rec []string) ([]byte, error) {
	if len(rec) != len(cols) {
		return nil, fmt.Errorf("has %d cells, the header %d", len(rec), len(cols))
	}
	obj := map[string]any{}
	address := map[string]any{}
	location := map[string]any{}
	for i, c := range cols {
		v := strings.TrimSpace(rec[i])
		if v == "" {
			continue
		}
		switch c {
		case "sectors", "labels", "networks":
			var list []string
			for _, x := range strings.Split(v, "|") {
				if x = strings.TrimSpace(x); x != "" {
					list = append(list, x)
				}
			}
			obj[c] = list
		case "street", "postal_code", "city", "insee_code":
			address[c] = v
		case "lat", "lon":
			f, err := strconv.ParseFloat(strings.Replace(v, ",", ".", 1), 64)
			if err != nil {
				return nil, fmt.Errorf("location.%s: must be a number", c)
			}
			location[c] = f
		default:
			obj[c] = v
		}
	}
	if len(address) > 0 {
		obj["address"] = address
	}
	if len(location) > 0 {
		obj["location"] = location
	}
	return json.Marshal(obj)
}
