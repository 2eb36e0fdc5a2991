package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// geographyFixture writes a tiny copy of the npm package: its package.json
// (version given, none when "") and a data/ folder, whose path it returns.
func geographyFixture(t *testing.T, version string) string {
	t.Helper()
	root := t.TempDir()
	data := filepath.Join(root, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"regions.json":      `[{"code":"11","nom":"Île-de-France"},{"code":"27","nom":"Bourgogne-Franche-Comté"}]`,
		"departements.json": `[{"code":"21","region":"27","nom":"Côte-d'Or"},{"code":"75","region":"11","nom":"Paris"}]`,
		"communes.json": `[
			{"code":"21231","nom":"Dijon","type":"commune-actuelle","departement":"21","region":"27","codesPostaux":["21000"],"population":161830},
			{"code":"21355","nom":"Longvic","type":"commune-actuelle","departement":"21","region":"27","codesPostaux":["21600"],"population":9000,"anciensCodes":["21999"]},
			{"code":"21999","nom":"Ancienne","type":"commune-deleguee","departement":"21","region":"27","chefLieu":"21355"},
			{"code":"75056","nom":"Paris","type":"commune-actuelle","departement":"75","region":"11","codesPostaux":["75001"]},
			{"code":"75101","nom":"Paris 1er Arrondissement","type":"arrondissement-municipal","commune":"75056","departement":"75","region":"11","codesPostaux":["75001"]}]`,
		"epci.json": `[{"code":"242100410","nom":"Dijon Métropole","type":"METRO","membres":[{"code":"21231"},{"code":"21355"}]}]`,
	}
	if version != "" {
		files["../package.json"] = `{"name":"@etalab/decoupage-administratif","version":"` + version + `"}`
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(data, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return data
}

// TestImportGeography imports a tiny geography into a database of its own,
// so that the package's database keeps the real reference for other tests.
func TestImportGeography(t *testing.T) {
	dsn := newDatabaseURL(t, "essdir_import_")
	getenv := testEnv(map[string]string{"ESSDIR_DATABASE_URL": dsn})
	count := func(t *testing.T, query string) int {
		t.Helper()
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var n int
		if err := conn.QueryRow(context.Background(), query).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	t.Run("ReplacesTheReference", func(t *testing.T) {
		out, err := runCLI(t, getenv, "", "import", "geography", geographyFixture(t, "99.0.0"))
		if err != nil || !regexp.MustCompile(`imported @etalab/decoupage-administratif 99\.0\.0 .*2 régions, 2 départements, 4 communes, 1 EPCI`).MatchString(out) {
			t.Fatalf("import: %q, %v", out, err)
		}
		for query, want := range map[string]int{
			`SELECT count(*) FROM geo_communes`:                                                    4,
			`SELECT count(*) FROM geo_former_communes WHERE successor_code = '21355'`:              1,
			`SELECT count(*) FROM geo_epci_members WHERE epci_siren = '242100410'`:                 2,
			`SELECT count(*) FROM geo_communes WHERE name_key = 'paris 1er arrondissement'`:        1,
			`SELECT count(*) FROM geo_meta WHERE source = 'import' AND package_version = '99.0.0'`: 1,
		} {
			if got := count(t, query); got != want {
				t.Errorf("%s = %d, want %d", query, got, want)
			}
		}
	})
	t.Run("IdempotentAndKeptByMigrate", func(t *testing.T) {
		if out, err := runCLI(t, getenv, "", "import", "geography", geographyFixture(t, "99.0.0")); err != nil {
			t.Fatalf("second import: %q, %v", out, err)
		}
		out, err := runCLI(t, getenv, "", "migrate", "up")
		if err != nil || strings.Contains(out, "loaded the geography") {
			t.Fatalf("migrate up replaced a newer import: %q, %v", out, err)
		}
		if got := count(t, `SELECT count(*) FROM geo_communes`); got != 4 {
			t.Errorf("%d communes after migrate up, want 4", got)
		}
	})
	t.Run("ErrBadFolderChangesNothing", func(t *testing.T) {
		dir := geographyFixture(t, "")
		if err := os.WriteFile(filepath.Join(dir, "epci.json"), []byte(`[{"code":"242100410","nom":"X","type":"CA","membres":[{"code":"99999"}]}]`), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := runCLI(t, getenv, "", "import", "geography", dir); err == nil || !strings.Contains(err.Error(), "99999") {
			t.Fatalf("import of an EPCI with an unknown member: %v", err)
		}
		if _, err := runCLI(t, getenv, "", "import", "geography", t.TempDir()); err == nil {
			t.Fatal("import of an empty folder succeeded")
		}
		if got := count(t, `SELECT count(*) FROM geo_epci_members`); got != 2 {
			t.Errorf("%d EPCI members after failed imports, want 2", got)
		}
	})
	t.Run("ErrUsage", func(t *testing.T) {
		for _, args := range [][]string{{"import"}, {"import", "geography"}, {"import", "communes", "x"}} {
			if _, err := runCLI(t, getenv, "", args...); err == nil || !strings.Contains(err.Error(), "usage") {
				t.Errorf("%v: %v", args, err)
			}
		}
	})
}
