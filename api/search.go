package api

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

// searchFilter reads q, near, radius_km and bbox into f. A value out of its
// range is a 400, never clamped.
func searchFilter(q *query, f *essdir.StructureFilter) {
	if text := essdir.CleanText(q.single("q")); text != "" {
		if utf8.RuneCountInString(text) > essdir.MaxSearchText {
			q.errs.Add("q", "must be at most %d characters", essdir.MaxSearchText)
		} else {
			f.Q = text
		}
	}
	if s := q.single("near"); s != "" {
		v, ok := floats(s, 2)
		switch {
		case !ok:
			q.errs.Add("near", "must be lat,lon in degrees (47.32,5.04)")
		case v[0] < -90 || v[0] > 90 || v[1] < -180 || v[1] > 180:
			q.errs.Add("near", "lat must be within [-90, 90] and lon within [-180, 180]")
		default:
			f.Near = &essdir.Point{Lat: v[0], Lon: v[1]}
		}
	}
	f.RadiusKM = essdir.DefaultRadiusKM
	if s := q.single("radius_km"); s != "" {
		v, ok := floats(s, 1)
		switch {
		case !ok || v[0] <= 0 || v[0] > essdir.MaxRadiusKM:
			q.errs.Add("radius_km", "must be a number of km above 0 and at most %d", essdir.MaxRadiusKM)
		case f.Near == nil && !q.has("near"):
			q.errs.Add("radius_km", "needs near")
		default:
			f.RadiusKM = v[0]
		}
	}
	if s := q.single("bbox"); s != "" {
		v, ok := floats(s, 4)
		switch {
		case !ok:
			q.errs.Add("bbox", "must be min_lon,min_lat,max_lon,max_lat in degrees")
		case v[0] < -180 || v[0] > 180 || v[2] < -180 || v[2] > 180 || v[1] < -90 || v[1] > 90 || v[3] < -90 || v[3] > 90:
			q.errs.Add("bbox", "longitudes must be within [-180, 180] and latitudes within [-90, 90]")
		case v[1] > v[3]:
			q.errs.Add("bbox", "min_lat must not be above max_lat")
		default:
			f.BBox = &essdir.BBox{MinLon: v[0], MinLat: v[1], MaxLon: v[2], MaxLat: v[3]}
		}
	}
}

// has reports whether name was refused already (a dependent parameter
// then adds no second complaint).
func (q *query) has(name string) bool {
	for _, e := range q.errs {
		if e.Field == name {
			return true
		}
	}
	return false
}

// floats parses n comma-separated finite numbers.
func floats(s string, n int) ([]float64, bool) {
	parts := strings.Split(s, ",")
	if len(parts) != n {
		return nil, false
	}
	out := make([]float64, n)
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

// searchSort completes the order of a structure list: relevance by default
// with a text; relevance needs a text and distance a point.
func searchSort(q *query, f *essdir.StructureFilter) {
	switch {
	case q.single("sort") == "" && f.Q != "":
		f.Sort = essdir.SortRelevance
	case f.Sort == essdir.SortRelevance && f.Q == "" && !q.has("q"):
		q.errs.Add("sort", "relevance needs a search text (q)")
	case f.Sort == essdir.SortDistance && f.Near == nil && !q.has("near"):
		q.errs.Add("sort", "distance needs a point (near)")
	}
}

// structureListFilter reads every filter of the structure list (and of its
// facets and exports).
func structureListFilter(c echo.Context, q *query) essdir.StructureFilter {
	f := structureFilter(c, q)
	f.Sectors = codes[essdir.Sector](q, "sector", essdir.Sectors)
	f.UpdatedSince = q.timestamp("updated_since")
	return f
}

// FacetCount is how many selected structures carry one value.
type FacetCount struct {
	Value string `json:"value" example:"association" validate:"required"`
	Count int    `json:"count" example:"42" validate:"required"`
} // @name FacetCount

// StructureFacets count the structures a list would select by coded field,
// most frequent first.
type StructureFacets struct {
	LegalForm      []FacetCount `json:"legal_form" validate:"required"`
	Sector         []FacetCount `json:"sector" validate:"required"`
	Label          []FacetCount `json:"label" validate:"required"`
	DepartmentCode []FacetCount `json:"department_code" validate:"required"`
} // @name StructureFacets

func toFacetCounts(in []essdir.FacetCount) []FacetCount {
	out := make([]FacetCount, len(in))
	for i, fc := range in {
		out[i] = FacetCount{Value: fc.Value, Count: fc.Count}
	}
	return out
}

// structureFacets godoc
//
//	@ID				structureFacets
//	@Summary		Count structures by legal form, sector, label and département
//	@Description	Takes every filter of the structure list (q, near, bbox included) and counts the structures it selects, most frequent value first. Anonymous callers count published structures only. Anonymous callers have a stricter rate budget here (ESSDIR_RATE_LIMIT_EXPORT).
//	@Tags			structures
//	@Produce		json,application/problem+json
//	@Param			q				query		string		false	"French full-text search"	maxLength(200)
//	@Param			near			query		string		false	"lat,lon"
//	@Param			radius_km		query		number		false	"radius around near"	maximum(200)	default(10)
//	@Param			bbox			query		string		false	"min_lon,min_lat,max_lon,max_lat"
//	@Param			legal_form		query		[]string	false	"legal form codes"	collectionFormat(multi)
//	@Param			sector			query		[]string	false	"sector codes"	collectionFormat(multi)
//	@Param			label			query		[]string	false	"label codes"	collectionFormat(multi)
//	@Param			audience		query		[]string	false	"audiences of the structure's activities"	collectionFormat(multi)
//	@Param			department_code	query		[]string	false	"département codes"	collectionFormat(multi)
//	@Param			region_code		query		[]string	false	"région codes"	collectionFormat(multi)
//	@Param			insee_code		query		[]string	false	"commune INSEE codes"	collectionFormat(multi)
//	@Param			postal_code		query		[]string	false	"postal codes"	collectionFormat(multi)
//	@Param			city			query		[]string	false	"city names (case-insensitive)"	collectionFormat(multi)
//	@Param			network			query		[]string	false	"network names"	collectionFormat(multi)
//	@Param			source			query		[]string	false	"sources"	collectionFormat(multi)
//	@Param			updated_since	query		string		false	"RFC 3339 timestamp or date"
//	@Param			status			query		[]string	false	"statuses (editors only; default published)"	collectionFormat(multi)
//	@Param			collectivity_id		query	[]string	false	"collectivities that support the structure through a link"	collectionFormat(multi)
//	@Param			support_scheme_id	query	[]string	false	"support schemes the structure operates or benefited from"	collectionFormat(multi)
//	@Param			If-None-Match	header		string		false	"ETag of the copy the client holds"
//	@Success		200				{object}	StructureFacets
//	@Header			200				{string}	ETag	"strong entity tag of the body"
//	@Success		304				"not modified"
//	@Failure		400				{object}	Problem	"bad parameter"
//	@Failure		401				{object}	Problem	"invalid token, or status filter without one"
//	@Failure		403				{object}	Problem	"a partner listing unpublished records outside its source"
//	@Failure		429				{object}	Problem
//	@Failure		503				{object}	Problem
//	@Failure		500				{object}	Problem	"internal error, logged with the request id"
//	@Router			/v1/structures/facets [get]
func (s *Server) structureFacets(c echo.Context) error {
	q := newQuery(c, structureFilterParams...)
	f := structureListFilter(c, q)
	if err := q.err(); err != nil {
		return err
	}
	if err := s.limitWholeSetRead(c); err != nil {
		return err
	}
	facets, err := s.structures.FindStructureFacets(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return writeCached(c, StructureFacets{
		LegalForm: toFacetCounts(facets.LegalForm), Sector: toFacetCounts(facets.Sector),
		Label: toFacetCounts(facets.Label), DepartmentCode: toFacetCounts(facets.DepartmentCode),
	})
}

// limitWholeSetRead spends one request of an anonymous caller's budget of
// whole-set reads (exports, facets), which cost far more than a page.
func (s *Server) limitWholeSetRead(c echo.Context) error {
	if principalOf(c) != nil {
		return nil
	}
	return s.exportLimit.allow("ip:" + c.RealIP())
}

// writeCached answers a read that anyone may share (a list, facets) with a
// strong ETag of its body and 304 to If-None-Match. Anonymous answers may
// be cached a minute by anyone; an authenticated caller's, never.
func writeCached(c echo.Context, v any) error {
	return withBody(v, func(body []byte) error { return writeCachedBody(c, body) })
}

// writeCachedBody is writeCached with the body encoded already.
func writeCachedBody(c echo.Context, body []byte) error {
	h := c.Response().Header()
	h.Add(echo.HeaderVary, echo.HeaderAuthorization)
	h.Add(echo.HeaderVary, echo.HeaderAccept)
	policy := "public, max-age=60"
	if c.Request().Header.Get(echo.HeaderAuthorization) != "" {
		policy = "private, no-store"
	}
	return writeTagged(c, http.StatusOK, `"`+bodyHash(body)+`"`, policy, echo.MIMEApplicationJSON, body)
}
