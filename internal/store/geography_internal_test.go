package store

import (
	"testing"

	"github.com/essdir/essdir/internal/geo"
)

// TestNeedsEmbedded pins when a migration loads the binary's geography.
func TestNeedsEmbedded(t *testing.T) {
	for _, tc := range []struct {
		name string
		meta *geoMeta
		want bool
	}{
		{"LoadsIntoEmptyDatabase", nil, true},
		{"KeepsSameEmbeddedCopy", &geoMeta{geoSourceEmbedded, geo.EmbeddedVersion(), geo.EmbeddedDigest()}, false},
		{"ReplacesAnotherBinarysCopy", &geoMeta{geoSourceEmbedded, geo.EmbeddedVersion(), "0000000000000000"}, true},
		{"ReplacesOlderImport", &geoMeta{geoSourceImport, "1.1.1", "x"}, true},
		{"KeepsSameVersionImport", &geoMeta{geoSourceImport, geo.EmbeddedVersion(), "x"}, false},
		{"KeepsNewerImport", &geoMeta{geoSourceImport, "99.0.0", "x"}, false},
		{"KeepsImportOfUnknownVersion", &geoMeta{geoSourceImport, "", "x"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := needsEmbedded(tc.meta); got != tc.want {
				t.Errorf("needsEmbedded(%+v) = %v", tc.meta, got)
			}
		})
	}
}
