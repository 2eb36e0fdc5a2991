package api

import (
	"net/http"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

func (s *Server) geographyRoutes(g *echo.Group) {
	g.GET("/geography/communes", s.searchCommunes)
}

// CommuneSummary is a commune or municipal arrondissement as the
// autocompletion shows it.
type CommuneSummary struct {
	INSEECode      string   `json:"insee_code" example:"88160" validate:"required"`
	Name           string   `json:"name" example:"Épinal" validate:"required"`
	PostalCodes    []string `json:"postal_codes" example:"88000" validate:"required"`
	DepartmentCode string   `json:"department_code" example:"88" validate:"required"`
	RegionCode     string   `json:"region_code" example:"44" validate:"required"`
	Population     int      `json:"population,omitempty" example:"32251"` // municipal population, when known
} // @name CommuneSummary

// CommuneList is the answer of the commune autocompletion.
type CommuneList struct {
	Data []CommuneSummary `json:"data" validate:"required"`
} // @name CommuneList

// searchCommunes godoc
//
//	@Summary		Autocomplete commune names
//	@Description	Current communes and municipal arrondissements of the official geography whose name starts with `q`, or has a word that does; accent- and case-insensitive (`epinal` finds Épinal, `st-etienne` Saint-Étienne). The exact name first, then name prefixes, then the most populated.
//	@Tags			geography
//	@Produce		json,application/problem+json
//	@Param			q		query		string	true	"the beginning of a name"	minLength(1)	maxLength(200)
//	@Param			limit	query		int		false	"how many communes"	minimum(1)	maximum(100)	default(10)
//	@Success		200		{object}	CommuneList
//	@Failure		400		{object}	Problem	"q missing or too long, limit out of range, unknown parameter"
//	@Failure		401		{object}	Problem	"invalid token"
//	@Failure		429		{object}	Problem
//	@Failure		503		{object}	Problem
//	@Failure		500		{object}	Problem	"internal error, logged with the request id"
//	@ID				searchCommunes
//	@Router			/v1/geography/communes [get]
func (s *Server) searchCommunes(c echo.Context) error {
	qp := newQuery(c, "q", "limit")
	q := essdir.CleanText(qp.single("q"))
	if n := utf8.RuneCountInString(q); n == 0 || n > 200 {
		qp.errs.Add("q", "is required, from 1 to 200 characters")
	}
	limit := qp.integer("limit", 10, 1, 100)
	if err := qp.err(); err != nil {
		return err
	}
	communes, err := s.geography.SearchCommunes(c.Request().Context(), q, limit)
	if err != nil {
		return err
	}
	out := CommuneList{Data: make([]CommuneSummary, len(communes))}
	for i, cm := range communes {
		out.Data[i] = CommuneSummary{
			INSEECode: cm.INSEECode, Name: cm.Name, PostalCodes: cm.PostalCodes,
			DepartmentCode: cm.DepartmentCode, RegionCode: cm.RegionCode, Population: cm.Population,
		}
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	return c.JSON(http.StatusOK, out)
}
