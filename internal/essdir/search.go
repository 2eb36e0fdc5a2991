package essdir

// Sorts of searches: by relevance to a text, by distance from a point.
const (
	SortRelevance Sort = "relevance"
	SortDistance  Sort = "distance"
)

// Limits of a search: a longer text or a wider circle would cost more than
// any caller needs.
const (
	MaxSearchText   = 200 // characters of q
	DefaultRadiusKM = 10
	MaxRadiusKM     = 200
)

// Point is a place on the WGS 84 ellipsoid, in degrees.
type Point struct {
	Lat, Lon float64
}

// BBox is a box in degrees, west to east and south to north. A box whose
// west edge is east of its east edge crosses the antimeridian.
type BBox struct {
	MinLon, MinLat, MaxLon, MaxLat float64
}

// FacetCount is how many selected records carry one value.
type FacetCount struct {
	Value string
	Count int
}

// StructureFacets count the structures a filter selects by coded field,
// most frequent value first.
type StructureFacets struct {
	LegalForm      []FacetCount
	Sector         []FacetCount
	Label          []FacetCount
	DepartmentCode []FacetCount
}
