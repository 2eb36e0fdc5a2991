package api

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"strconv"
	"strings"

	"github.com/cespare/xxhash/v2"
	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

// Conditional-request headers (RFC 9110 §13).
const (
	headerETag        = "ETag"
	headerIfMatch     = "If-Match"
	headerIfNoneMatch = "If-None-Match"
)

// A record's strong ETag has two parts: "<version tag>.<body hash>". The
// body hash makes it per view (the anonymous copy, without contacts, is not
// the editor's), so If-None-Match stays per view. The version tag names the
// record's id and version alone, so any tag given for the current version
// satisfies If-Match whatever view it came from, and one of an older version
// does not.
func recordETag(head *essdir.Record, body []byte) string {
	var tag [1 + versionTagLen + 1 + bodyHashLen + 1]byte // one string made, not three
	tag[0], tag[1+versionTagLen], tag[len(tag)-1] = '"', '.', '"'
	appendVersionTag(tag[1:1], head)
	appendBodyHash(tag[2+versionTagLen:2+versionTagLen], body)
	return string(tag[:])
}

// The two parts' lengths: base64 of 9 bytes of SHA-256 and of the 8 bytes
// of the body's XXH64. The body hash is a cache validator, not a signature:
// it must change when the body does, and a 64-bit hash does, but for one
// chance in 2^64 per change. SHA-256 of a list page (~20 KB) took 6 % of the
// server's CPU per request on the 1M set; XXH64 reads it ~10 times faster.
const (
	versionTagLen = 12
	bodyHashLen   = 11
)

func versionTag(head *essdir.Record) string {
	return string(appendVersionTag(make([]byte, 0, versionTagLen), head))
}

func appendVersionTag(dst []byte, head *essdir.Record) []byte {
	var b [20]byte
	copy(b[:16], head.ID[:])
	binary.BigEndian.PutUint32(b[16:], uint32(head.Version))
	sum := sha256.Sum256(b[:])
	return base64.RawURLEncoding.AppendEncode(dst, sum[:9])
}

func bodyHash(body []byte) string {
	return string(appendBodyHash(make([]byte, 0, bodyHashLen), body))
}

func appendBodyHash(dst []byte, body []byte) []byte {
	var sum [8]byte
	binary.BigEndian.PutUint64(sum[:], xxhash.Sum64(body))
	return base64.RawURLEncoding.AppendEncode(dst, sum[:])
}

// etagMatches reports whether an If-None-Match header lists etag (weak
// comparison, RFC 9110 §13.1.2).
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// checkIfMatch honours If-Match against the stored record (strong
// comparison: a weak tag never matches): 412 unless a listed tag was given
// for its current version.
func checkIfMatch(c echo.Context, head *essdir.Record) error {
	header := c.Request().Header.Get(headerIfMatch)
	if header == "" {
		return nil
	}
	want := versionTag(head)
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return nil
		}
		if tag, _, ok := strings.Cut(strings.Trim(t, `"`), "."); ok && strings.HasPrefix(t, `"`) && tag == want {
			return nil
		}
	}
	return essdir.Errorf(essdir.EPRECONDITION, "the record has changed since the ETag in If-Match; GET it again")
}

// writeRecord answers a single record with its ETag, or 304 when the client's
// copy (If-None-Match) is current. Editors see more than anonymous callers,
// hence Vary.
func writeRecord(c echo.Context, status int, head *essdir.Record, v any) error {
	c.Response().Header().Add(echo.HeaderVary, echo.HeaderAuthorization)
	return withBody(v, func(body []byte) error {
		return writeTagged(c, status, recordETag(head, body), "no-cache", echo.MIMEApplicationJSON, body)
	})
}

// writeTagged answers a body with its strong ETag and cache policy, or 304
// to a GET or HEAD whose If-None-Match lists the tag.
func writeTagged(c echo.Context, status int, etag, cacheControl, contentType string, body []byte) error {
	h := c.Response().Header()
	h.Set(headerETag, etag)
	h.Set("Cache-Control", cacheControl)
	if m := c.Request().Method; m == http.MethodGet || m == http.MethodHead {
		if inm := c.Request().Header.Get(headerIfNoneMatch); inm != "" && etagMatches(inm, etag) {
			return c.NoContent(http.StatusNotModified)
		}
	}
	if len(body) > chunkingThreshold {
		// Said up front, a large body goes out in one piece rather than
		// chunked (net/http chunks a body it has not seen the end of).
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
	}
	return c.Blob(status, contentType, body)
}

// chunkingThreshold is the size up to which net/http buffers a body and
// sets its Content-Length itself.
const chunkingThreshold = 2048
