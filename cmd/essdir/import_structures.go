package main

import (
	"bufio"
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
	lines, bad, err := readStructures(file, src)
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
		bar = progressbar.NewOptions(len(lines), progressbar.OptionSetWriter(f), progressbar.OptionShowCount(),
			progressbar.OptionSetDescription("importing"), progressbar.OptionClearOnFinish())
	}
	var counts [3]int // created, updated, unchanged
	if *strict {
		// Judge the whole file first (every batch written and rolled back),
		// so that one bad line anywhere writes nothing.
		for b := range batches(lines) {
			_, more, err := upsertValid(ctx, b, st.CheckStructures)
			if err != nil {
				return cliError(err)
			}
			bad = append(bad, more...)
		}
		if len(bad) > 0 {
			report(stdout, file, bad)
			return fmt.Errorf("%d bad lines: nothing written (--strict)", len(bad))
		}
	}
	write := func(ctx context.Context, items []essdir.BulkItem[essdir.Structure]) ([]essdir.Upserted, error) {
		return st.UpsertStructures(ctx, items, nil)
	}
	for b := range batches(lines) {
		done, more, err := upsertValid(ctx, b, write)
		if err != nil {
			return cliError(err)
		}
		bad = append(bad, more...)
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
			_ = bar.Add(len(b))
		}
	}
	if bar != nil {
		_ = bar.Finish()
	}
	elapsed := time.Since(start)
	fmt.Fprintf(stdout, "imported %s (source %s): %d created, %d updated, %d unchanged, %d rejected (%s, %.0f lines/s)\n",
		file, src, counts[0], counts[1], counts[2], len(bad), elapsed.Round(time.Millisecond),
		float64(len(lines)+len(bad))/elapsed.Seconds())
	report(stdout, file, bad)
	if len(bad) > 0 {
		// The valid lines are written; a non-zero exit status still tells a
		// script that some were not.
		return fmt.Errorf("%w: %d of %d lines (listed above); the others were written", errLinesRejected, len(bad), len(lines)+len(bad))
	}
	return nil
}

// errLinesRejected is the error of an import that wrote its valid lines but
// rejected others.
var errLinesRejected = errors.New("lines rejected")

// batches cuts the lines in batches of essdir.MaxBulkItems.
func batches(lines []importLine) func(func([]importLine) bool) {
	return func(yield func([]importLine) bool) {
		for i := 0; i < len(lines); i += essdir.MaxBulkItems {
			if !yield(lines[i:min(i+essdir.MaxBulkItems, len(lines))]) {
				return
			}
		}
	}
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

// readStructures reads every line of the file as a bulk item of source
// (CSV or NDJSON, by extension, else by the first character). Lines that
// cannot be read as a structure, or repeat an earlier line's external_id,
// are rejected here.
func readStructures(file, source string) ([]importLine, []rejected, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, err
	}
	var raws []rawLine
	switch ext := strings.ToLower(filepath.Ext(file)); {
	case ext == ".ndjson" || ext == ".jsonl" ||
		(ext != ".csv" && bytes.HasPrefix(bytes.TrimSpace(data), []byte("{"))):
		raws = ndjsonLines(data)
	default:
		if raws, err = csvLines(data); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	var lines []importLine
	var bad []rejected
	first := map[string]int{}
	for _, r := range raws {
		if r.err != nil {
			bad = append(bad, rejected{r.line, []string{r.err.Error()}})
			continue
		}
		it, err := api.DecodeStructure(r.json)
		if err != nil {
			var e *essdir.Error
			errors.As(err, &e)
			var reasons []string
			for _, f := range e.Fields {
				reasons = append(reasons, describe(strings.TrimPrefix(itemField.ReplaceAllString(f.Field, ""), "."), f.Message))
			}
			bad = append(bad, rejected{r.line, reasons})
			continue
		}
		if s, _ := essdir.SyncKey(it.Record.Source, ""); s != "" && s != source {
			bad = append(bad, rejected{r.line, []string{fmt.Sprintf("source: %q differs from --source %s", it.Record.Source, source)}})
			continue
		}
		it.Record.Source = source
		_, ext := essdir.SyncKey(source, it.Record.ExternalID)
		if l, dup := first[ext]; dup && ext != "" {
			bad = append(bad, rejected{r.line, []string{fmt.Sprintf("external_id: repeats line %d", l)}})
			continue
		}
		first[ext] = r.line
		lines = append(lines, importLine{r.line, it})
	}
	return lines, bad, nil
}

// rawLine is one record of the file as a JSON object, or why it is not one.
type rawLine struct {
	line int
	json []byte
	err  error
}

func ndjsonLines(data []byte) []rawLine {
	var out []rawLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 16<<20)
	for n := 1; sc.Scan(); n++ {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			out = append(out, rawLine{line: n, json: bytes.Clone(line)})
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
