package api

import (
	"net/url"
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
}
