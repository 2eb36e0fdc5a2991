package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
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
