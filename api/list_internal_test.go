package api

import (
	"net/url"
	"strings"
	"testing"
)

// The next page's link is the request's query as the client wrote it, any
// cursor it held replaced by the next one.
func TestWithCursor(t *testing.T) {
	for _, c := range []struct{ raw, want string }{
		{"", "cursor=N"},
		{"department_code=21&limit=20", "department_code=21&limit=20&cursor=N"},
		{"cursor=OLD&department_code=21", "department_code=21&cursor=N"},
		{"q=%C3%A9conomie+sociale&cursor=OLD&sort=name", "q=%C3%A9conomie+sociale&sort=name&cursor=N"},
		{"curs%6Fr=OLD&limit=5", "limit=5&cursor=N"},                      // an escaped name is the same parameter
		{"limit=5&&city=Dijon&", "limit=5&city=Dijon&cursor=N"},           // empty pairs
		{"limit=5&%zz=1&a=%zz&b;c=1", "limit=5&cursor=N"},                 // what net/url does not read
		{"network=RTES&network=Gen", "network=RTES&network=Gen&cursor=N"}, // repeats kept
		// What net/http lets through but a URI may not hold is escaped:
		// raw UTF-8, and what would end the URI, start a fragment or
		// inject another link.
		{"limit=2&q=\xc3\xa9conomie", "limit=2&q=%C3%A9conomie&cursor=N"},
		{"q=solidaire+or+x>,<https://evil.example/steal?", "q=solidaire+or+x%3E%2C%3Chttps%3A%2F%2Fevil.example%2Fsteal%3F&cursor=N"},
		{"q=x#y&limit=2", "q=x%23y&limit=2&cursor=N"},
		{`q="a b"&city=Dijon`, "q=%22a+b%22&city=Dijon&cursor=N"},
		{"q=a%20b+c&x=%3E", "q=a%20b+c&x=%3E&cursor=N"}, // already escaped: kept as written
		{"flag&q=\\", "flag&q=%5C&cursor=N"},
	} {
		if got := withCursor(c.raw, "N"); got != c.want {
			t.Errorf("withCursor(%q) = %q, want %q", c.raw, got, c.want)
		}
		// The same parameters as the old link's, which net/url parsed and
		// encoded again.
		q, _ := url.ParseQuery(c.raw)
		q.Set("cursor", "N")
		got, _ := url.ParseQuery(withCursor(c.raw, "N"))
		if got.Encode() != q.Encode() {
			t.Errorf("withCursor(%q) reads as %v, want %v", c.raw, got, q)
		}
	}
	if got := withCursor("limit=1", "a+b/c="); got != "limit=1&cursor=a%2Bb%2Fc%3D" {
		t.Errorf("the cursor is not escaped: %q", got)
	}
	// Whatever the query, the link is one URI reference of visible ASCII
	// with no fragment, no space and nothing that ends it.
	for _, raw := range []string{"q=é>,<x#\"y\"{}|^`\\ z", "a=\x00\x7f\xff"} {
		for _, c := range withCursor(raw, "N") {
			if c <= ' ' || c >= 0x7f || strings.ContainsRune("<>#\"{}|^`\\", c) {
				t.Errorf("withCursor(%q) = %q holds %q", raw, withCursor(raw, "N"), c)
			}
		}
	}
}
