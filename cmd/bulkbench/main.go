// Command bulkbench measures the partner sync writes against COPY, on
// realistic structures (internal/benchdata: real communes, Zipf names,
// SIRETs, contacts), with the same rows on every side. bench/bulk.sh runs
// it side by side, alternating, and reports medians; each mode prints one
// line of key=value figures.
//
//	bulkbench store --db URL [--n 100000] [--batch 1000] [--rev 0]   UpsertStructures, the store path
//	bulkbench copy  --db URL [--n 100000] [--batch 1000]             COPY of the same rows, a transaction per batch
//	bulkbench http  --url URL --user E --password P [--format json|ndjson] [--n …] [--batch …] [--rev …]
//	                                                                 POST /v1/structures/bulk
//	bulkbench pair  --db URL --user E --password P --side NAME=json|ndjson@URL… [--n …] [--batch …]
//	                                                                 batch by batch: COPY into --db, and the same
//	                                                                 batch POSTed to each side's server (each on a
//	                                                                 database of its own), in that format, or given
//	                                                                 to UpsertStructures (--side NAME=store@DB_URL)
//	bulkbench gen   [--format ndjson|csv] [--n …] [--rev …] > FILE   a file for essdir import structures
//
// --cpuprofile FILE writes a CPU profile of the run (go tool pprof).
// Item i is the same structure in every mode (--seed, default 1); --rev 1
// is the next revision of every item (a changed summary and sectors).
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
	"net/http"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/essdir/essdir/api"
	"github.com/essdir/essdir/internal/benchdata"
	"github.com/essdir/essdir/internal/essdir"
	"github.com/essdir/essdir/internal/store"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bulkbench:", err)
		os.Exit(1)
	}
}

const usage = "usage: bulkbench store|copy|http|pair|gen [flags] (see the package doc)"

func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	mode := args[0]
	fs := flag.NewFlagSet("bulkbench "+mode, flag.ContinueOnError)
	db := fs.String("db", "", "database URL (store, copy)")
	n := fs.Int("n", 100_000, "structures")
	batch := fs.Int("batch", essdir.MaxBulkItems, "structures per call, COPY or request")
	seed := fs.Uint64("seed", 1, "data seed")
	rev := fs.Int("rev", 0, "revision of every item (0: first; 1: changed)")
	source := fs.String("source", "bench", "source of the structures")
	format := fs.String("format", "", "json or ndjson (http), ndjson or csv (gen)")
	url := fs.String("url", "", "server base URL (http)")
	var sides sideFlags
	fs.Var(&sides, "side", "NAME=json|ndjson@URL: a server and the format it is sent, or NAME=store@DATABASE_URL (pair; repeated)")
	user := fs.String("user", "", "editor e-mail (http)")
	password := fs.String("password", "", "editor password (http)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	gen, err := benchdata.NewStructures(*seed)
	if err != nil {
		return err
	}
	b := bench{gen: gen, n: *n, batch: *batch, rev: *rev, source: *source}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	switch mode {
	case "store":
		return b.store(ctx, *db, out)
	case "copy":
		return b.copy(ctx, *db, out)
	case "http":
		if *format == "" {
			*format = "json"
		}
		return b.http(ctx, *url, *user, *password, *format, out)
	case "pair":
		return b.pair(ctx, *db, *user, *password, sides, out)
	case "gen":
		if *format == "" {
			*format = "ndjson"
		}
		return b.write(*format, out)
	}
	return errors.New(usage)
}

type bench struct {
	gen              *benchdata.Structures
	n, batch, rev    int
	source           string
	created, updated int
	unchanged        int
}

func (b *bench) items(from int) []essdir.BulkItem[essdir.Structure] {
	items := make([]essdir.BulkItem[essdir.Structure], min(b.batch, b.n-from))
	for j := range items {
		items[j].Record = b.gen.Structure(b.source, from+j, b.rev)
	}
	return items
}

func (b *bench) count(r essdir.UpsertResult) {
	switch r {
	case essdir.UpsertCreated:
		b.created++
	case essdir.UpsertUpdated:
		b.updated++
	default:
		b.unchanged++
	}
}

func (b *bench) report(out io.Writer, mode string, elapsed time.Duration) {
	fmt.Fprintf(out, "mode=%s rows=%d seconds=%.2f rows_per_s=%.0f created=%d updated=%d unchanged=%d\n",
		mode, b.n, elapsed.Seconds(), float64(b.n)/elapsed.Seconds(), b.created, b.updated, b.unchanged)
}

// store times UpsertStructures; the items of a call are built before its
// clock runs.
func (b *bench) store(ctx context.Context, dsn string, out io.Writer) error {
	st, err := store.Open(ctx, dsn, store.Options{MaxOpenConns: 4})
	if err != nil {
		return err
	}
	defer st.Close()
	var elapsed time.Duration
	for from := 0; from < b.n; from += b.batch {
		items := b.items(from)
		start := time.Now()
		done, err := st.UpsertStructures(ctx, items, nil)
		elapsed += time.Since(start)
		if err != nil {
			return fmt.Errorf("items %d…: %w", from, err)
		}
		for _, d := range done {
			b.count(d.Result)
		}
	}
	b.report(out, "store", elapsed)
	return nil
}

// copy times a COPY of the same rows into structures (ids, slugs and
// derived codes made here), one transaction per batch.
func (b *bench) copy(ctx context.Context, dsn string, out io.Writer) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var elapsed time.Duration
	for from := 0; from < b.n; from += b.batch {
		took, err := b.copyBatch(ctx, conn, from)
		if err != nil {
			return err
		}
		elapsed += took
	}
	b.report(out, "copy", elapsed)
	return nil
}

// copyBatch COPYs the batch from from; its rows are built before the
// clock runs.
func (b *bench) copyBatch(ctx context.Context, conn *pgx.Conn, from int) (time.Duration, error) {
	items := b.items(from)
	rows := make([][]any, len(items))
	now := time.Now()
	for j, it := range items {
		rows[j] = b.gen.CopyRow(it.Record, from+j, uuid.Must(uuid.NewV7()), now)
	}
	start := time.Now()
	_, err := conn.CopyFrom(ctx, pgx.Identifier{"structures"}, benchdata.CopyColumns, pgx.CopyFromRows(rows))
	if err != nil {
		return 0, fmt.Errorf("COPY of rows %d…: %w", from, err)
	}
	b.created += len(rows)
	return time.Since(start), nil
}

// http times POST /v1/structures/bulk, one request at a time; the bodies
// are encoded before the clock runs.
func (b *bench) http(ctx context.Context, base, user, password, format string, out io.Writer) error {
	token, err := login(ctx, base, user, password)
	if err != nil {
		return err
	}
	bodies, contentType, err := b.bodies(format)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 5 * time.Minute}
	start := time.Now()
	for k, body := range bodies {
		if err := b.post(ctx, client, base, token, contentType, body); err != nil {
			return fmt.Errorf("request %d: %w", k, err)
		}
	}
	b.report(out, "http-"+format, time.Since(start))
	return nil
}

// bodies are the batches' bodies in format, and their content type.
func (b *bench) bodies(format string) ([][]byte, string, error) {
	contentType := map[string]string{"json": "application/json", "ndjson": "application/x-ndjson"}[format]
	if contentType == "" {
		return nil, "", fmt.Errorf("--format must be json or ndjson")
	}
	var bodies [][]byte
	for from := 0; from < b.n; from += b.batch {
		var buf bytes.Buffer
		items := b.items(from)
		if format == "ndjson" {
			for _, it := range items {
				line, _ := json.Marshal(input(it.Record))
				buf.Write(line)
				buf.WriteByte('\n')
			}
		} else {
			body := struct {
				Items []api.StructureInput `json:"items"`
			}{}
			for _, it := range items {
				body.Items = append(body.Items, input(it.Record))
			}
			_ = json.NewEncoder(&buf).Encode(body)
		}
		bodies = append(bodies, buf.Bytes())
	}
	return bodies, contentType, nil
}

// post sends one bulk body and counts what became of its items.
func (b *bench) post(ctx context.Context, client *http.Client, base, token, contentType string, body []byte) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/structures/bulk", bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	var res api.BulkResult
	err = json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil {
		return fmt.Errorf("%s (%v)", resp.Status, err)
	}
	b.created, b.updated, b.unchanged = b.created+res.Created, b.updated+res.Updated, b.unchanged+res.Unchanged
	return nil
}

// pair times COPY and the bulk route batch by batch: batch k is COPYed
// into dsn and POSTed to each server (every server on a database of its
// own, all as empty as dsn at the start), before batch k+1. Every
// side thus meets the same moment of a shared machine, seconds apart,
// and tables of the same size: finer than alternating whole runs, whose
// ratios a slow minute moves by a third.
func (b *bench) pair(ctx context.Context, dsn, user, password string, servers sideFlags, out io.Writer) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	type side struct {
		name, base, token, contentType string
		bodies                         [][]byte
		store                          *store.Store // a store side's (UpsertStructures)
		counts                         *bench
		elapsed                        time.Duration
	}
	var sides []*side
	for _, sf := range servers {
		sd := &side{name: sf.name, base: sf.url, counts: &bench{n: b.n}}
		if sf.format == "store" {
			if sd.store, err = store.Open(ctx, sf.url, store.Options{MaxOpenConns: 4}); err != nil {
				return err
			}
			defer sd.store.Close()
			sides = append(sides, sd)
			continue
		}
		if sd.token, err = login(ctx, sf.url, user, password); err != nil {
			return err
		}
		if sd.bodies, sd.contentType, err = b.bodies(sf.format); err != nil {
			return err
		}
		sides = append(sides, sd)
	}
	if len(sides) == 0 {
		return errors.New("pair: no --side")
	}
	client := &http.Client{Timeout: 5 * time.Minute}
	var copied time.Duration
	for k, from := 0, 0; from < b.n; k, from = k+1, from+b.batch {
		// COPY first, then each side, the order turning by one each batch:
		// none is always the first (or the last) after another's batch.
		for j := range len(sides) + 1 {
			switch w := (j + k) % (len(sides) + 1); w {
			case 0:
				took, err := b.copyBatch(ctx, conn, from)
				if err != nil {
					return err
				}
				copied += took
			default:
				sd := sides[w-1]
				if sd.store != nil { // the items built before the clock runs
					items := b.items(from)
					start := time.Now()
					done, err := sd.store.UpsertStructures(ctx, items, nil)
					sd.elapsed += time.Since(start)
					if err != nil {
						return fmt.Errorf("%s items %d…: %w", sd.name, from, err)
					}
					for _, d := range done {
						sd.counts.count(d.Result)
					}
					continue
				}
				start := time.Now()
				if err := sd.counts.post(ctx, client, sd.base, sd.token, sd.contentType, sd.bodies[k]); err != nil {
					return fmt.Errorf("%s request %d: %w", sd.name, k, err)
				}
				sd.elapsed += time.Since(start)
			}
		}
	}
	b.report(out, "copy", copied)
	for _, sd := range sides {
		sd.counts.report(out, sd.name, sd.elapsed)
	}
	return nil
}

// sideFlags are the --side flags of pair: NAME=FORMAT@URL each.
type sideFlags []struct{ name, format, url string }

func (f *sideFlags) String() string { return fmt.Sprint(*f) }

func (f *sideFlags) Set(v string) error {
	name, rest, ok1 := strings.Cut(v, "=")
	format, url, ok2 := strings.Cut(rest, "@")
	if !ok1 || !ok2 || name == "" || (format != "json" && format != "ndjson" && format != "store") || url == "" {
		return fmt.Errorf("%q: want NAME=json|ndjson@URL or NAME=store@DATABASE_URL", v)
	}
	*f = append(*f, struct{ name, format, url string }{name, format, url})
	return nil
}

func login(ctx context.Context, base, user, password string) (string, error) {
	body, _ := json.Marshal(map[string]string{"grant_type": "password", "username": user, "password": password})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/auth/token", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("login: %s (%v)", resp.Status, err)
	}
	return tok.AccessToken, nil
}

// input is a structure as a bulk item's JSON (the API's StructureInput).
func input(s *essdir.Structure) api.StructureInput {
	in := api.StructureInput{Name: s.Name, LegalForm: s.LegalForm, SIRET: s.SIRET, Summary: s.Summary,
		Description: s.Description, Sectors: s.Sectors, Labels: s.Labels, Website: s.Website, Email: s.Email,
		Phone: s.Phone, Networks: s.Networks, Source: s.Source, ExternalID: s.ExternalID,
		Address: &api.Address{Street: s.Address.Street, PostalCode: s.Address.PostalCode, City: s.Address.City,
			INSEECode: s.Address.INSEECode}}
	if s.Location != nil {
		in.Location = &api.Location{Lat: &s.Location.Lat, Lon: &s.Location.Lon}
	}
	for _, l := range s.SocialLinks {
		in.SocialLinks = append(in.SocialLinks, api.SocialLink{Network: l.Network, URL: l.URL})
	}
	for _, c := range s.Contacts {
		in.Contacts = append(in.Contacts, api.Contact{Name: c.Name, Role: c.Role, Email: c.Email, Phone: c.Phone})
	}
	return in
}

// csvHeader are the columns gen writes in CSV (what the import reads; no
// contacts or social links, which CSV does not carry).
var csvHeader = []string{"name", "legal_form", "siret", "summary", "description", "sectors", "labels", "street",
	"postal_code", "city", "insee_code", "lat", "lon", "website", "email", "phone", "networks", "external_id"}

// write writes the n structures as NDJSON or CSV.
func (b *bench) write(format string, out io.Writer) error {
	w := bufio.NewWriter(out)
	defer w.Flush()
	var cw *csv.Writer
	switch format {
	case "ndjson":
	case "csv":
		cw = csv.NewWriter(w)
		if err := cw.Write(csvHeader); err != nil {
			return err
		}
	default:
		return fmt.Errorf("--format must be ndjson or csv")
	}
	for from := 0; from < b.n; from += b.batch {
		for _, it := range b.items(from) {
			s := it.Record
			if cw == nil {
				line, err := json.Marshal(input(s))
				if err != nil {
					return err
				}
				w.Write(line)
				w.WriteByte('\n')
				continue
			}
			list := func(n int, at func(int) string) string {
				parts := make([]string, n)
				for k := range parts {
					parts[k] = at(k)
				}
				return strings.Join(parts, "|")
			}
			f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
			if err := cw.Write([]string{s.Name, string(s.LegalForm), s.SIRET, s.Summary, s.Description,
				list(len(s.Sectors), func(k int) string { return string(s.Sectors[k]) }),
				list(len(s.Labels), func(k int) string { return string(s.Labels[k]) }),
				s.Address.Street, s.Address.PostalCode, s.Address.City, s.Address.INSEECode,
				f(s.Location.Lat), f(s.Location.Lon), s.Website, s.Email, s.Phone,
				strings.Join(s.Networks, "|"), s.ExternalID}); err != nil {
				return err
			}
		}
	}
	if cw != nil {
		cw.Flush()
		return cw.Error()
	}
	return nil
}
