package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/essdir/essdir/internal/benchdata"
)

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// countSource counts the live structures of a source and its feed entries.
func countSource(t *testing.T, source string) (structures, changes int) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), testDSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	err = conn.QueryRow(context.Background(), `SELECT count(*), (SELECT count(*) FROM changes c JOIN structures s ON s.id = c.record_id WHERE s.source = $1)
		FROM structures WHERE source = $1 AND deleted_at IS NULL`, source).Scan(&structures, &changes)
	if err != nil {
		t.Fatal(err)
	}
	return structures, changes
}

const importCSV = `name;legal_form;siret;sectors;postal_code;city;lat;lon;networks;external_id
La Boucle;association;;reuse;21540;Sombernon;47,308;4,707;PES21|RTES;boucle
La Marmite;association;;;21000;Dijon;;;;marmite
Mauvais SIRET;association;12345678901234;;;;;;;bad
Le Tiers-Lieu;;;;;;;;;tiers
Doublon;;;;;;;;;tiers
`

func TestImportStructures(t *testing.T) {
	getenv := testEnv(nil)
	source := "import-" + uuid.NewString()[:8]
	file := writeFile(t, "structures.csv", importCSV)

	out, err := runCLI(t, getenv, "", "import", "structures", file, "--source", source)
	if !errors.Is(err, errLinesRejected) {
		t.Fatalf("import with bad lines must fail after writing the others: %v\n%s", err, out)
	}
	if !strings.Contains(out, "3 created, 0 updated, 0 unchanged, 2 rejected") ||
		!strings.Contains(out, "structures.csv:4: rejected: siret:") || !strings.Contains(out, "structures.csv:6: rejected: external_id: repeats line 5") {
		t.Fatalf("report:\n%s", out)
	}
	n, changes := countSource(t, source)
	if n != 3 || changes != 3 {
		t.Fatalf("%d structures and %d changes after the import, want 3 and 3", n, changes)
	}

	t.Run("RerunChangesNothing", func(t *testing.T) {
		out, err := runCLI(t, getenv, "", "import", "structures", "--source", source, file)
		if !errors.Is(err, errLinesRejected) || !strings.Contains(out, "0 created, 0 updated, 3 unchanged, 2 rejected") {
			t.Fatalf("rerun: %v\n%s", err, out)
		}
		if n, c := countSource(t, source); n != 3 || c != 3 {
			t.Fatalf("the rerun changed something: %d structures, %d changes", n, c)
		}
	})

	t.Run("ErrStrictWritesNothing", func(t *testing.T) {
		strictSource := source + "-strict"
		out, err := runCLI(t, getenv, "", "import", "structures", file, "--source", strictSource, "--strict")
		if err == nil || !strings.Contains(out, "rejected: siret:") {
			t.Fatalf("strict import: %v\n%s", err, out)
		}
		if n, _ := countSource(t, strictSource); n != 0 {
			t.Fatalf("--strict wrote %d structures", n)
		}
		good := writeFile(t, "good.csv", strings.Join(strings.Split(importCSV, "\n")[:3], "\n")+"\n")
		if out, err := runCLI(t, getenv, "", "import", "structures", good, "--source", strictSource, "--strict"); err != nil ||
			!strings.Contains(out, "2 created") {
			t.Fatalf("strict import of a good file: %v\n%s", err, out)
		}
	})

	t.Run("StatementTimeout", func(t *testing.T) {
		if out, err := runCLI(t, getenv, "", "import", "structures", file, "--source", source, "--statement-timeout", "0s"); err == nil {
			t.Fatalf("--statement-timeout 0s accepted:\n%s", out)
		}
		out, err := runCLI(t, getenv, "", "import", "structures", file, "--source", source, "--statement-timeout", "30s")
		if !errors.Is(err, errLinesRejected) || !strings.Contains(out, "0 created, 0 updated, 3 unchanged, 2 rejected") {
			t.Fatalf("import with --statement-timeout: %v\n%s", err, out)
		}
	})

	t.Run("NDJSON", func(t *testing.T) {
		nd := writeFile(t, "structures.data", `{"name": "Ligne un", "external_id": "l1", "sectors": ["reuse"]}
{"name": "Ligne deux", "external_id": "l2", "contacts": [{"name": "Tao Marcuz"}]}
{"name": "Autre source", "external_id": "l3", "source": "other"}
`)
		out, err := runCLI(t, getenv, "", "import", "structures", nd, "--source", source+"-nd")
		if !errors.Is(err, errLinesRejected) || !strings.Contains(out, "2 created") || !strings.Contains(out, "structures.data:3: rejected: source:") {
			t.Fatalf("ndjson import: %v\n%s", err, out)
		}
	})
}

// A file of several batches, read while the batches before are written:
// bad lines in any batch are reported with their line numbers, a key
// repeated from an earlier batch is refused, the rest is written once.
func TestImportStructuresInSeveralBatches(t *testing.T) {
	getenv := testEnv(nil)
	source := "batches-" + uuid.NewString()[:8]
	var b strings.Builder
	const n = 2500
	for i := 1; i <= n; i++ {
		switch i {
		case 7:
			b.WriteString("{\"name\": \"Mauvais SIRET\", \"external_id\": \"e7\", \"siret\": \"12345678901234\"}\n")
		case 1500:
			b.WriteString("{\"name\": \"Pas fini\"\n")
		case 2400:
			b.WriteString("{\"name\": \"Doublon\", \"external_id\": \"e10\"}\n")
		default:
			fmt.Fprintf(&b, "{\"name\": \"Structure %d\", \"external_id\": \"e%d\"}\n", i%40, i)
		}
	}
	file := writeFile(t, "many.ndjson", b.String())
	out, err := runCLI(t, getenv, "", "import", "structures", file, "--source", source)
	if !errors.Is(err, errLinesRejected) || !strings.Contains(out, fmt.Sprintf("%d created, 0 updated, 0 unchanged, 3 rejected", n-3)) ||
		!strings.Contains(out, "many.ndjson:7: rejected: siret:") || !strings.Contains(out, "many.ndjson:1500: rejected:") ||
		!strings.Contains(out, "many.ndjson:2400: rejected: external_id: repeats line 10") {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if got, changes := countSource(t, source); got != n-3 || changes != n-3 {
		t.Fatalf("%d structures and %d changes, want %d", got, changes, n-3)
	}
	out, err = runCLI(t, getenv, "", "import", "structures", file, "--source", source)
	if !errors.Is(err, errLinesRejected) || !strings.Contains(out, fmt.Sprintf("0 created, 0 updated, %d unchanged, 3 rejected", n-3)) {
		t.Fatalf("rerun: %v\n%s", err, out)
	}
	if got, changes := countSource(t, source); got != n-3 || changes != n-3 {
		t.Fatalf("the rerun changed something: %d structures, %d changes", got, changes)
	}
}

// TestImportRejectsAnOverlongLine: an NDJSON line over the limit is a
// rejected line, and the lines after it are still read (they vanished).
func TestImportRejectsAnOverlongLine(t *testing.T) {
	getenv := testEnv(nil)
	source := "import-" + uuid.NewString()[:8]
	long := `{"name": "Trop longue", "description": "` + strings.Repeat("a", maxLineBytes) + `"}`
	file := writeFile(t, "long.ndjson", `{"name": "Avant", "external_id": "a"}`+"\n"+long+"\n"+`{"name": "Après", "external_id": "b"}`+"\n")
	out, err := runCLI(t, getenv, "", "import", "structures", file, "--source", source)
	if !errors.Is(err, errLinesRejected) {
		t.Fatalf("import with an overlong line: %v\n%s", err, out)
	}
	if !strings.Contains(out, "2 created, 0 updated, 0 unchanged, 1 rejected") || !strings.Contains(out, "long.ndjson:2: rejected: the line is longer than 16 MiB") {
		t.Fatalf("report:\n%s", out)
	}
	if n, _ := countSource(t, source); n != 2 {
		t.Errorf("%d structures written, want 2", n)
	}
}

// TestImportReadsAsItWrites: the import reads its file a batch at a time
// and writes each batch before it reads the rest, so that its memory is a
// few batches whatever the file's size. The file is a named pipe whose
// writer sends a batch and a half, then waits for the first batch to reach
// the database before it sends the rest: an import that read the whole
// file first would wait for the end of input forever (here, until the
// test's deadline).
func TestImportReadsAsItWrites(t *testing.T) {
	for _, format := range []string{"ndjson", "csv"} {
		t.Run(format, func(t *testing.T) {
			getenv := testEnv(nil)
			source := "pipe-" + uuid.NewString()[:8]
			fifo := filepath.Join(t.TempDir(), "feed."+format)
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			line := func(i int) string {
				if format == "csv" {
					return fmt.Sprintf("Structure %d;e%d\n", i%40, i)
				}
				return fmt.Sprintf("{\"name\": \"Structure %d\", \"external_id\": \"e%d\"}\n", i%40, i)
			}
			type result struct {
				out string
				err error
			}
			done := make(chan result, 1)
			go func() {
				var out bytes.Buffer
				err := run(context.Background(), []string{"import", "structures", fifo, "--source", source}, getenv, strings.NewReader(""), &out, &out)
				done <- result{out.String(), err}
			}()
			w, err := os.OpenFile(fifo, os.O_WRONLY, 0) // waits for the import to open it
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			var head strings.Builder
			if format == "csv" {
				head.WriteString("name;external_id\n")
			}
			for i := 1; i <= 1500; i++ {
				head.WriteString(line(i))
			}
			if _, err := io.WriteString(w, head.String()); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(2 * time.Minute)
			for {
				n, _ := countSource(t, source)
				if n == 1000 {
					break
				}
				select {
				case r := <-done:
					t.Fatalf("the import ended before the end of its input: %v\n%s", r.err, r.out)
				default:
				}
				if n != 0 || time.Now().After(deadline) {
					t.Fatalf("%d structures written from the first 1,500 lines (want the first batch, 1,000): the import did not write as it read", n)
				}
				time.Sleep(50 * time.Millisecond)
			}
			var tail strings.Builder
			for i := 1501; i <= 2500; i++ {
				tail.WriteString(line(i))
			}
			if _, err := io.WriteString(w, tail.String()); err != nil {
				t.Fatal(err)
			}
			w.Close()
			r := <-done
			if r.err != nil || !strings.Contains(r.out, "2500 created, 0 updated, 0 unchanged, 0 rejected") {
				t.Fatalf("import from a pipe: %v\n%s", r.err, r.out)
			}
			if n, changes := countSource(t, source); n != 2500 || changes != 2500 {
				t.Fatalf("%d structures and %d changes, want 2500", n, changes)
			}
			// --strict reads the file twice: a pipe is refused, before it is opened.
			if out, err := runCLI(t, getenv, "", "import", "structures", fifo, "--source", source, "--strict"); err == nil ||
				!strings.Contains(err.Error(), "must be a regular file") {
				t.Fatalf("--strict on a pipe: %v\n%s", err, out)
			}
		})
	}
}

// TestImportRejectsMalformedCSVRecords: a record that is not well-formed
// CSV is a rejected line, and the records after it are read (the file is
// read as it is written, so a stray quote at the end must not undo or
// stop what came before); an open quote that runs to the end of the file
// names the lines it swallowed. --strict writes nothing.
func TestImportRejectsMalformedCSVRecords(t *testing.T) {
	getenv := testEnv(nil)
	source := "csvq-" + uuid.NewString()[:8]
	file := writeFile(t, "quotes.csv", "name;external_id\nAvant;a\nLa \"Boucle\";b\nApr\u00e8s;c\n\"Ouverte;d\nJamais lue;e\n")
	out, err := runCLI(t, getenv, "", "import", "structures", file, "--source", source, "--strict")
	if err == nil || !strings.Contains(out, "quotes.csv:3: rejected: bare \" in non-quoted-field") {
		t.Fatalf("--strict with malformed records: %v\n%s", err, out)
	}
	if n, _ := countSource(t, source); n != 0 {
		t.Fatalf("--strict wrote %d structures", n)
	}
	out, err = runCLI(t, getenv, "", "import", "structures", file, "--source", source)
	if !errors.Is(err, errLinesRejected) || !strings.Contains(out, "2 created, 0 updated, 0 unchanged, 2 rejected") ||
		!strings.Contains(out, "quotes.csv:3: rejected: bare \" in non-quoted-field") ||
		!strings.Contains(out, "quotes.csv:5: rejected: extraneous or missing \" in quoted-field (the record runs from line 5 to line 6)") {
		t.Fatalf("import with malformed records: %v\n%s", err, out)
	}
	if n, _ := countSource(t, source); n != 2 {
		t.Fatalf("%d structures written, want 2", n)
	}
}

// TestImportStrictSeesEarlierBatches: --strict judges each line against
// the lines before it in the file, as the writing will: a slug chosen by a
// line of a later batch, already chosen or derived by a line of an earlier
// one, is a bad line, and nothing is written.
func TestImportStrictSeesEarlierBatches(t *testing.T) {
	getenv := testEnv(nil)
	source := "strict-" + uuid.NewString()[:8]
	tag := strings.ToLower(uuid.NewString()[:8])
	siret := benchdata.SIRET(rand.Uint64(), rand.IntN(10_000)) // another test's SIRET would be taken
	spaced := siret[:3] + " " + siret[3:6] + " " + siret[6:9] + " " + siret[9:]
	var b strings.Builder
	const n = 2200
	for i := 1; i <= n; i++ {
		switch i {
		case 5:
			fmt.Fprintf(&b, "{\"name\": \"Choisi\", \"slug\": \"choisi-%s\", \"external_id\": \"e%d\"}\n", tag, i)
		case 10:
			fmt.Fprintf(&b, "{\"name\": \"Derive %s\", \"external_id\": \"e%d\"}\n", tag, i)
		case 1500:
			fmt.Fprintf(&b, "{\"name\": \"Choisi aussi\", \"slug\": \"choisi-%s\", \"external_id\": \"e%d\"}\n", tag, i)
		case 1600:
			fmt.Fprintf(&b, "{\"name\": \"Autre\", \"slug\": \"derive-%s\", \"external_id\": \"e%d\"}\n", tag, i)
		case 30, 1030: // one name in two batches: zeta-…, then zeta-…-2 when written
			fmt.Fprintf(&b, "{\"name\": \"Zeta %s\", \"external_id\": \"e%d\"}\n", tag, i)
		case 2030:
			fmt.Fprintf(&b, "{\"name\": \"Choisit\", \"slug\": \"zeta-%s-2\", \"external_id\": \"e%d\"}\n", tag, i)
		case 20, 1700: // one SIRET, written two ways
			fmt.Fprintf(&b, "{\"name\": \"Siret %d\", \"siret\": \"%s\", \"external_id\": \"e%d\"}\n", i, map[int]string{20: siret, 1700: spaced}[i], i)
		default:
			fmt.Fprintf(&b, "{\"name\": \"Structure %d\", \"external_id\": \"e%d\"}\n", i%40, i)
		}
	}
	file := writeFile(t, "strict.ndjson", b.String())
	out, err := runCLI(t, getenv, "", "import", "structures", file, "--source", source, "--strict")
	if err == nil || !strings.Contains(out, "strict.ndjson:1500: rejected: slug: line 5 takes this slug") ||
		!strings.Contains(out, "strict.ndjson:1600: rejected: slug: line 10 takes this slug") ||
		!strings.Contains(out, "strict.ndjson:1700: rejected: siret: line 20 has this SIRET") ||
		!strings.Contains(out, "strict.ndjson:2030: rejected: slug: line 1030 takes this slug") {
		t.Fatalf("strict import: %v\n%s", err, out)
	}
	if got, changes := countSource(t, source); got != 0 || changes != 0 {
		t.Fatalf("--strict wrote %d structures and %d changes", got, changes)
	}
	// Without --strict, the same four lines are the ones refused, as the
	// database shows them taken when their batch is written.
	out, err = runCLI(t, getenv, "", "import", "structures", file, "--source", source)
	if !errors.Is(err, errLinesRejected) || !strings.Contains(out, fmt.Sprintf("%d created, 0 updated, 0 unchanged, 4 rejected", n-4)) ||
		!strings.Contains(out, "strict.ndjson:1500: rejected: slug: this slug is already taken") ||
		!strings.Contains(out, "strict.ndjson:1600: rejected: slug: this slug is already taken") ||
		!strings.Contains(out, "strict.ndjson:1700: rejected: siret: a structure with this SIRET already exists") ||
		!strings.Contains(out, "strict.ndjson:2030: rejected: slug: this slug is already taken") {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if got, changes := countSource(t, source); got != n-4 || changes != n-4 {
		t.Fatalf("%d structures and %d changes, want %d", got, changes, n-4)
	}
}
