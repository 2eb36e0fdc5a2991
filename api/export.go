package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

// Exports: GET /v1/structures in CSV, GeoJSON or NDJSON streams every
// matching structure, unpaginated, one row at a time from the database to
// the client (flushed as it goes): memory stays constant whatever the size.

// exportParamNames are the parameters of the export formats.
var exportParamNames = []string{"format", "delimiter", "bom"}

// Media types of the exports.
const (
	mimeCSV     = "text/csv"
	mimeGeoJSON = "application/geo+json"
	mimeNDJSON  = "application/x-ndjson"
)

// exporter writes one export format.
type exporter interface {
	contentType() string
	begin(w io.Writer) error
	write(w io.Writer, st Structure) error
	end(w io.Writer) error
	// flush hands what write buffered to w, before the response is flushed.
	flush() error
}

// exportFormat reads the exporter of the format a caller asks for: ?format= first, else the
// first type of Accept this API produces (application/json, */* or none:
// the JSON list). CSV options without CSV are a 400.
func exportFormat(c echo.Context, q *query) exporter {
	// Go's query parser drops a pair holding a raw ";" (no longer a
	// separator): take back the one that API.md documents.
	for _, pair := range strings.Split(c.Request().URL.RawQuery, "&") {
		if pair == "delimiter=;" {
			q.values["delimiter"] = append(q.values["delimiter"], ";")
		}
	}
	name := q.single("format")
	if name == "" {
		name = acceptedFormat(c.Request().Header.Get(echo.HeaderAccept))
	}
	var out exporter
	switch name {
	case "", "json":
	case "csv":
		out = csvFormat(q)
	case "geojson":
		out = &geoJSONFormat{}
	case "ndjson":
		out = ndjsonFormat{}
	default:
		q.errs.Add("format", "must be one of json, csv, geojson, ndjson")
	}
	if _, isCSV := out.(*csvExport); !isCSV {
		for _, p := range []string{"delimiter", "bom"} {
			if q.single(p) != "" {
				q.errs.Add(p, "applies to format=csv only")
			}
		}
	}
	if out != nil {
		for _, p := range []string{"cursor", "limit", "include_total"} {
			if len(q.values[p]) > 0 {
				q.errs.Add(p, "an export is not paginated: it has every matching structure")
			}
		}
	}
	return out
}

// acceptedFormat is the format of the first media range of an Accept header
// that names one (q=0 excludes a range).
func acceptedFormat(accept string) string {
	for _, part := range strings.Split(accept, ",") {
		fields := strings.Split(part, ";")
		excluded := false
		for _, p := range fields[1:] {
			if v, ok := strings.CutPrefix(strings.ReplaceAll(p, " ", ""), "q="); ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil && f == 0 {
					excluded = true
				}
			}
		}
		if excluded {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(fields[0])) {
		case "application/json", "application/*", "*/*":
			return ""
		case mimeCSV, "text/*":
			return "csv"
		case mimeGeoJSON:
			return "geojson"
		case mimeNDJSON:
			return "ndjson"
		}
	}
	return ""
}

// exportStructures streams the structures f selects in format. The status
// line goes out with the first structure, so that an error before it (a
// bad parameter, a database down) is still a problem document; a failure
// after it cuts the stream short, and the log has it.
func (s *Server) exportStructures(c echo.Context, q *query, f essdir.StructureFilter, format exporter) error {
	if err := q.err(); err != nil {
		return err
	}
	if err := s.limitWholeSetRead(c); err != nil {
		return err
	}
	editor := canSeeUnpublished(c)
	res := c.Response()
	// The request's own deadline (ESSDIR's request timeout) is for pages:
	// an export has exportTimeout, and each flush gives the connection's
	// write deadline another minute while rows keep coming. A client that
	// hangs up makes the next write fail, which ends the export.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), s.exportTimeout)
	defer cancel()
	rc := http.NewResponseController(res)
	flush := func() error {
		if err := format.flush(); err != nil {
			return err
		}
		_ = rc.SetWriteDeadline(time.Now().Add(time.Minute))
		if err := rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		return nil
	}
	started := false
	start := func() error {
		h := res.Header()
		h.Set(echo.HeaderContentType, format.contentType())
		h.Add(echo.HeaderVary, echo.HeaderAuthorization)
		h.Add(echo.HeaderVary, echo.HeaderAccept)
		h.Set("Cache-Control", "private, no-store")
		res.WriteHeader(http.StatusOK)
		started = true
		if err := format.begin(res); err != nil {
			return err
		}
		return flush() // the client sees the export start at once
	}
	n := 0
	err := s.structures.EachStructure(ctx, f, func(st *essdir.Structure) error {
		if !started {
			if err := start(); err != nil {
				return err
			}
		}
		if err := format.write(res, toStructure(st, editor)); err != nil {
			return err
		}
		if n++; n%200 == 0 {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !started {
		if err := start(); err != nil {
			return err
		}
	}
	if err := format.end(res); err != nil {
		return err
	}
	return flush()
}

// ndjsonFormat is one Structure a line.
type ndjsonFormat struct{}

func (ndjsonFormat) contentType() string   { return mimeNDJSON }
func (ndjsonFormat) begin(io.Writer) error { return nil }
func (ndjsonFormat) end(io.Writer) error   { return nil }
func (ndjsonFormat) flush() error          { return nil }
func (ndjsonFormat) write(w io.Writer, st Structure) error {
	return json.NewEncoder(w).Encode(st)
}

// geoJSONFormat is a FeatureCollection (RFC 7946): [lon, lat] points, and
// geometry null for a structure without a location.
type geoJSONFormat struct{ written int }

// geoFeature is one structure as a GeoJSON feature; its properties are the
// structure without its location.
type geoFeature struct {
	Type       string     `json:"type"`
	ID         string     `json:"id"`
	Geometry   *geoPoint  `json:"geometry"`
	Properties *Structure `json:"properties"`
}

type geoPoint struct {
	Type        string     `json:"type"`
	Coordinates [2]float64 `json:"coordinates"`
}

func (*geoJSONFormat) contentType() string { return mimeGeoJSON }
func (*geoJSONFormat) flush() error        { return nil }
func (*geoJSONFormat) begin(w io.Writer) error {
	_, err := io.WriteString(w, `{"type":"FeatureCollection","features":[`)
	return err
}
func (*geoJSONFormat) end(w io.Writer) error {
	_, err := io.WriteString(w, "]}\n")
	return err
}

func (g *geoJSONFormat) write(w io.Writer, st Structure) error {
	f := geoFeature{Type: "Feature", ID: st.ID.String(), Properties: &st}
	if st.Location != nil {
		f.Geometry = &geoPoint{Type: "Point", Coordinates: [2]float64{*st.Location.Lon, *st.Location.Lat}}
	}
	st.Location = nil
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if g.written > 0 {
		b = append([]byte{','}, b...)
	}
	g.written++
	_, err = w.Write(b)
	return err
}

// csvExport writes RFC 4180 CSV in UTF-8 (optionally with a byte-order mark,
// for spreadsheets that need one), one header line, then one line a
// structure. Contacts are never exported: a CSV leaves the API's control.
type csvExport struct {
	delimiter rune
	bom       bool
	cw        *csv.Writer // one for the whole export (begin), flushed by flush
	cells     []string
}

func csvFormat(q *query) *csvExport {
	out := &csvExport{delimiter: ','}
	switch d := q.single("delimiter"); d {
	case "", ",":
	case ";":
		out.delimiter = ';'
	case "tab", "\t":
		out.delimiter = '\t'
	default:
		q.errs.Add("delimiter", "must be , or ; or tab")
	}
	out.bom = q.boolean("bom")
	return out
}

var csvColumns = []string{
	"id", "slug", "name", "legal_form", "siret", "siren", "rna", "summary", "description",
	"sectors", "labels", "street", "postal_code", "city", "insee_code", "department_code",
	"region_code", "lat", "lon", "website", "email", "phone", "networks", "status", "source",
	"external_id", "created_at", "updated_at", "version", "distance_km",
}

func (e *csvExport) contentType() string { return mimeCSV + "; charset=utf-8" }

func (e *csvExport) writer(w io.Writer) *csv.Writer {
	cw := csv.NewWriter(w)
	cw.Comma, cw.UseCRLF = e.delimiter, true
	return cw
}

func (e *csvExport) begin(w io.Writer) error {
	if e.bom {
		if _, err := io.WriteString(w, "\uFEFF"); err != nil {
			return err
		}
	}
	e.cw = e.writer(w)
	if err := e.cw.Write(csvColumns); err != nil {
		return err
	}
	return e.flush()
}

func (e *csvExport) end(io.Writer) error { return e.flush() }

func (e *csvExport) flush() error {
	if e.cw == nil {
		return nil
	}
	e.cw.Flush()
	return e.cw.Error()
}

func (e *csvExport) write(w io.Writer, st Structure) error {
	var lat, lon, dist string
	if st.Location != nil {
		lat = strconv.FormatFloat(*st.Location.Lat, 'f', -1, 64)
		lon = strconv.FormatFloat(*st.Location.Lon, 'f', -1, 64)
	}
	if st.DistanceKM != nil {
		dist = strconv.FormatFloat(*st.DistanceKM, 'f', -1, 64)
	}
	var a Address
	if st.Address != nil {
		a = *st.Address
	}
	text := cellText
	if e.cw == nil {
		e.cw = e.writer(w)
	}
	e.cells = append(e.cells[:0],
		st.ID.String(), text(st.Slug), text(st.Name), string(st.LegalForm), st.SIRET, st.SIREN, text(st.RNA),
		text(st.Summary), text(st.Description), text(joinCodes(st.Sectors)), text(joinCodes(st.Labels)),
		text(a.Street), text(a.PostalCode), text(a.City), text(a.INSEECode), st.DepartmentCode,
		st.RegionCode, lat, lon, text(st.Website), text(st.Email), text(st.Phone),
		text(strings.Join(st.Networks, "|")), string(st.Status), text(st.Source), text(st.ExternalID),
		st.CreatedAt.Format(time.RFC3339), st.UpdatedAt.Format(time.RFC3339), strconv.Itoa(st.Version), dist,
	)
	return e.cw.Write(e.cells) // buffered: flush hands it to w
}

func joinCodes[T ~string](codes []T) string {
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = string(c)
	}
	return strings.Join(parts, "|")
}

// plainNumber is a cell a spreadsheet reads as a number, not a formula: a
// signed decimal (-4.48) or a phone number (+33 3 80 50 90 47).
var plainNumber = regexp.MustCompile(`^[+-][0-9][0-9 .,]*$`)

// cellText neutralises a text cell that a spreadsheet would evaluate
// (CSV/formula injection, OWASP): one starting with =, @, a tab or a
// carriage return, or with + or - not followed by a number, gets a leading
// apostrophe, which spreadsheets show as text.
func cellText(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '@', '\t', '\r':
		return "'" + s
	case '+', '-':
		if !plainNumber.MatchString(s) {
			return "'" + s
		}
	}
	return s
}
