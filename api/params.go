package api

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

// query reads the query string of one request against an allowlist of
// parameter names, so that a misspelt filter is a 400 rather than a silently
// ignored one.
type query struct {
	values url.Values
	errs   essdir.Violations
	denied error // a parameter the caller may not use (401/403), after the 400s
	// partnerUnpublished: a partner asked for unpublished statuses, which it
	// may list within its own source only (ownSourceOnly).
	partnerUnpublished bool
}

func newQuery(c echo.Context, allowed ...string) *query {
	q := &query{values: c.QueryParams()}
	for name, vs := range q.values {
		if !slices.Contains(allowed, name) { // a few names against a few dozen: no set to build
			if len(allowed) == 0 {
				q.errs.Add(safeName(name), "unknown query parameter (this route takes none)")
			} else {
				q.errs.Add(safeName(name), "unknown query parameter (allowed: %s)", strings.Join(allowed, ", "))
			}
			continue
		}
		for _, v := range vs {
			if !cleanParam(v) {
				q.errs.Add(name, "must be UTF-8 text without control characters")
			}
		}
	}
	return q
}

// cleanParam reports whether a parameter value is text PostgreSQL can take.
func cleanParam(v string) bool {
	if !utf8.ValidString(v) {
		return false
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// safeName keeps a client-chosen parameter name printable in an error.
func safeName(name string) string {
	if !cleanParam(name) || len(name) > 64 {
		return "(unreadable parameter name)"
	}
	return name
}

// list returns every value of a repeatable parameter; commas separate values too.
func (q *query) list(name string) []string {
	var out []string
	for _, v := range q.values[name] {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// texts returns every value of a repeatable free-text parameter (no comma split).
func (q *query) texts(name string) []string {
	var out []string
	for _, v := range q.values[name] {
		if v = essdir.CleanText(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func (q *query) single(name string) string {
	vs := q.values[name]
	if len(vs) > 1 {
		q.errs.Add(name, "must be given once")
	}
	if len(vs) == 0 {
		return ""
	}
	return strings.TrimSpace(vs[0])
}

func (q *query) integer(name string, def, min, max int) int {
	s := q.single(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < min || n > max {
		q.errs.Add(name, "must be an integer between %d and %d", min, max)
		return def
	}
	return n
}

func (q *query) boolean(name string) bool {
	switch s := q.single(name); s {
	case "", "false", "0":
		return false
	case "true", "1":
		return true
	}
	q.errs.Add(name, "must be true or false")
	return false
}

// timestamp reads a date filter (updated_since, from): an RFC 3339
// timestamp, or a date meaning the start of that day in Europe/Paris.
func (q *query) timestamp(name string) *time.Time {
	start, _ := q.period(name)
	return start
}

// period reads a date filter as an interval: a timestamp is an instant
// (start = end), a date is that whole day in Europe/Paris, from its first
// instant to the first instant of the next day (end excluded), whatever its
// length (23 or 25 hours on the days the clocks change).
func (q *query) period(name string) (start, end *time.Time) {
	s := q.single(name)
	if s == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return &t, &t
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		paris := essdir.Paris()
		first := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, paris)
		next := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, paris)
		return &first, &next
	}
	q.errs.Add(name, "must be an RFC 3339 timestamp or a date (2024-11-28)")
	return nil, nil
}

// codes checks each value of a coded parameter against its vocabulary.
func codes[T ~string](q *query, name string, vocab *essdir.Vocabulary) []T {
	var out []T
	for _, v := range q.list(name) {
		if !vocab.Has(v) {
			q.errs.Add(name, "unknown code %q (see /v1/vocabularies/%s)", v, vocab.Name)
			continue
		}
		out = append(out, T(v))
	}
	return out
}

// uuids reads a repeatable id parameter.
func (q *query) uuids(name string) []uuid.UUID {
	var out []uuid.UUID
	for _, v := range q.list(name) {
		id, err := uuid.Parse(v)
		if err != nil {
			q.errs.Add(name, "%q is not a UUID", v)
			continue
		}
		out = append(out, id)
	}
	return out
}

// matching keeps values that check accepts and reports the others.
func (q *query) matching(name string, check func(string) bool, what string) []string {
	var out []string
	for _, v := range q.list(name) {
		if !check(strings.ToUpper(v)) {
			q.errs.Add(name, "%q is not %s", v, what)
			continue
		}
		out = append(out, strings.ToUpper(v))
	}
	return out
}

// err returns the collected problems as one 400, else a parameter the
// caller may not use.
func (q *query) err() error {
	if len(q.errs) == 0 {
		return q.denied
	}
	return &essdir.Error{Code: essdir.EMALFORMED, Message: "bad query parameters", Fields: q.errs}
}

// pathID reads the {id} path parameter.
func pathID(c echo.Context) (uuid.UUID, error) {
	return parseID(c.Param("id"))
}

// parseID reads an id of a path in its one canonical form (lower-case,
// dashed, 36 characters): the urn:uuid:, braced, dashless and upper-case
// forms uuid.Parse also takes would give one record several URLs, and so
// several cache keys.
func parseID(s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil || id.String() != s {
		return uuid.Nil, malformed("id", "the id in the path must be a UUID in its canonical form (lower-case, with dashes)")
	}
	return id, nil
}

// statuses reads the status filter of a list: published records unless an
// editor asks for others (anonymous callers asking for others get a 401).
func (q *query) statuses(c echo.Context) []essdir.Status {
	var out []essdir.Status
	for _, st := range q.list("status") {
		if !essdir.Status(st).Valid() {
			q.errs.Add("status", "%q is not one of draft, pending, published, archived", st)
			continue
		}
		if essdir.Status(st) != essdir.StatusPublished && !canSeeUnpublished(c) {
			switch p := principalOf(c); {
			case p == nil:
				q.denied = unauthorized("invalid_request", "only editors, and partners for their own source, may list unpublished records")
			case p.Role == essdir.RolePartner:
				q.partnerUnpublished = true // allowed within its source: see ownSourceOnly
			default:
				q.denied = essdir.Errorf(essdir.EFORBIDDEN, "only editors, and partners for their own source, may list unpublished records")
			}
		}
		out = append(out, essdir.Status(st))
	}
	if len(out) == 0 {
		out = []essdir.Status{essdir.StatusPublished}
	}
	return out
}

// ownSourceOnly lets a partner list unpublished records only within its
// own source: its statuses need the source filter to name that source alone.
func (q *query) ownSourceOnly(c echo.Context, sources []string) {
	if !q.partnerUnpublished {
		return
	}
	if p := principalOf(c); len(sources) != 1 || sources[0] != p.Source {
		q.denied = essdir.Errorf(essdir.EFORBIDDEN, "a partner lists unpublished records of its own source only: add source=%s", p.Source)
	}
}

// canSee reports whether the caller may read a record in this status from
// this source: published records for everyone, all for editors, and a
// partner's own records (its pending and drafts) for that partner.
func canSee(c echo.Context, status essdir.Status, source string) bool {
	if status == essdir.StatusPublished || canSeeUnpublished(c) {
		return true
	}
	p := principalOf(c)
	return p != nil && p.Role == essdir.RolePartner && source != "" && source == p.Source
}

// visible answers 404, as for a missing record, when the caller may not see
// a record in this status from this source.
func visible(c echo.Context, status essdir.Status, source, kind string) error {
	if !canSee(c, status, source) {
		return essdir.Errorf(essdir.ENOTFOUND, "%s not found", kind)
	}
	return nil
}

// pathIDAndBody reads the {id} of a write and its body.
func pathIDAndBody(c echo.Context) (uuid.UUID, []byte, error) {
	id, err := pathID(c)
	if err != nil {
		return uuid.Nil, nil, err
	}
	body, err := readBody(c)
	return id, body, err
}
