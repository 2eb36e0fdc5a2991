// Command gen rebuilds the geography embedded in the binary from the data/
// folder of the npm package @etalab/decoupage-administratif (make geography):
//
//	go run ./internal/geo/gen DIR internal/geo/data/geography.json.gz
package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/essdir/essdir/internal/geo"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: gen DATA_DIR OUT.json.gz")
	}
	ref, err := geo.ReadPackage(args[0])
	if err != nil {
		return err
	}
	if ref.Version == "" {
		return fmt.Errorf("%s/../package.json is missing: the embedded copy must name its version", args[0])
	}
	var buf bytes.Buffer
	if err := ref.Encode(&buf); err != nil {
		return err
	}
	if err := os.WriteFile(args[1], buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Printf("%s %s: %d régions, %d départements, %d communes, %d EPCI → %s (%d bytes)\n",
		ref.Package, ref.Version, len(ref.Regions), len(ref.Departments), len(ref.Communes), len(ref.EPCIs),
		args[1], buf.Len())
	return nil
}
