package api

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"testing"

	"github.com/cespare/xxhash/v2"
	"github.com/google/uuid"

	"github.com/essdir/essdir/internal/essdir"
)

// TestRecordETagIsVersionTagDotBodyHash pins the tag's form, computed here
// the plain way: clients hold such tags, so building it with fewer
// allocations must not change a byte of it.
func TestRecordETagIsVersionTagDotBodyHash(t *testing.T) {
	head := &essdir.Record{ID: uuid.MustParse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), Version: 42}
	body := []byte(`{"id":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","name":"La Boucle"}`)
	var b [20]byte
	copy(b[:16], head.ID[:])
	binary.BigEndian.PutUint32(b[16:], 42)
	v := sha256.Sum256(b[:])
	var h [8]byte
	binary.BigEndian.PutUint64(h[:], xxhash.Sum64(body))
	want := `"` + base64.RawURLEncoding.EncodeToString(v[:9]) + "." + base64.RawURLEncoding.EncodeToString(h[:]) + `"`
	if got := recordETag(head, body); got != want {
		t.Errorf("recordETag = %s, want %s", got, want)
	}
	if got := `"` + bodyHash(body) + `"`; got != `"`+want[14:] {
		t.Errorf("bodyHash tag = %s, want %s", got, `"`+want[14:])
	}
	if got := versionTag(head); got != want[1:13] {
		t.Errorf("versionTag = %s, want %s", got, want[1:13])
	}
}
