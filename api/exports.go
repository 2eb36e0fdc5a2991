package api

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

func (s *Server) exportRoutes(g *echo.Group) {
	g.GET("/exports/data-inclusion/structures", s.exportDataInclusionStructures)
}

// DataInclusionStructure is a structure in the data·inclusion structure
// schema, v1 field names. Unknown optional fields are left out.
type DataInclusionStructure struct {
	Source          string   `json:"source" example:"essdir" validate:"required"`
	ID              string   `json:"id" example:"0193a1b2-7c3d-7e4f-8a9b-0c1d2e3f4a5b" validate:"required"`
	Nom             string   `json:"nom" example:"La Boucle" validate:"required"`
	SIRET           string   `json:"siret,omitempty" example:"73282932000074"`
	Commune         string   `json:"commune,omitempty" example:"Sombernon"`
	CodePostal      string   `json:"code_postal,omitempty" example:"21540"`
	CodeINSEE       string   `json:"code_insee,omitempty" example:"21611"`
	Adresse         string   `json:"adresse,omitempty" example:"3 rue Jean XXIII"`
	Longitude       *float64 `json:"longitude,omitempty" example:"4.707"`
	Latitude        *float64 `json:"latitude,omitempty" example:"47.308"`
	Telephone       string   `json:"telephone,omitempty" example:"+33380509047"`
	Courriel        string   `json:"courriel,omitempty" example:"contact@example.org"`
	SiteWeb         string   `json:"site_web,omitempty" example:"https://www.rtes.fr/"`
	Description     string   `json:"description,omitempty"`
	DateMaj         string   `json:"date_maj" example:"2024-11-28" format:"date" validate:"required"`
	ReseauxPorteurs []string `json:"reseaux_porteurs" validate:"required"`
} // @name DataInclusionStructure

// dataInclusionSource is the source of essdir's records in data·inclusion.
const dataInclusionSource = "essdir"

// toDataInclusion maps a structure to the data·inclusion schema. Contacts
// (personal data) never leave; the structure's own e-mail and phone do.
// date_maj is the date of the last update in Europe/Paris (the schema's
// date, YYYY-MM-DD); the phone is in E.164 when it is a French number,
// else left out; the description is the long one, else the summary.
func toDataInclusion(st *essdir.Structure) DataInclusionStructure {
	out := DataInclusionStructure{
		Source: dataInclusionSource, ID: st.ID.String(), Nom: st.Name, SIRET: st.SIRET,
		Commune: st.Address.City, CodePostal: st.Address.PostalCode, CodeINSEE: st.Address.INSEECode,
		Adresse: st.Address.Street, Telephone: frenchE164(st.Phone), Courriel: st.Email, SiteWeb: st.Website,
		Description: st.Description, DateMaj: st.UpdatedAt.In(essdir.Paris()).Format("2006-01-02"),
		ReseauxPorteurs: make([]string, 0, len(st.Networks)),
	}
	if out.Description == "" {
		out.Description = st.Summary
	}
	if st.Location != nil {
		lat, lon := st.Location.Lat, st.Location.Lon
		out.Latitude, out.Longitude = &lat, &lon
	}
	for _, n := range st.Networks {
		out.ReseauxPorteurs = append(out.ReseauxPorteurs, essdir.Slugify(n))
	}
	return out
}

// frenchE164 writes a French phone number in E.164 (+33…): 10 digits
// starting with 0, or already +33 / 0033 followed by 9 digits. Anything
// else ("" for unknown, short numbers such as 3949) is not convertible.
func frenchE164(phone string) string {
	var digits strings.Builder
	for i, r := range phone {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == '+' && i == 0:
			digits.WriteString("00")
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')' || r == '\u00a0':
		default:
			return ""
		}
	}
	d := digits.String()
	switch {
	case len(d) == 10 && d[0] == '0' && d[1] != '0':
		return "+33" + d[1:]
	case len(d) == 13 && strings.HasPrefix(d, "0033") && d[4] != '0':
		return "+" + d[2:]
	case len(d) == 14 && strings.HasPrefix(d, "00330"):
		return "+33" + d[5:] // +33 (0)3 80 …
	}
	return ""
}

// exportDataInclusionStructures godoc
//
//	@ID				exportDataInclusionStructures
//	@Summary		Export structures to data·inclusion
//	@Description	Every published structure in the data·inclusion structure schema (v1 field names), streamed in constant memory: a JSON array, or with `format=ndjson` one structure a line (`application/x-ndjson`). `source` is `essdir` and `id` the structure's id; `date_maj` is the date of the last update (YYYY-MM-DD, Europe/Paris); `telephone` is in E.164 (+33…) when the number is French, else left out; `reseaux_porteurs` are the structure's networks, slugified. Contacts (personal data) are never exported. Anonymous access (published records only); a token is not needed.
//	@Tags			sync
//	@Produce		json,application/x-ndjson,application/problem+json
//	@Param			format	query		string	false	"json (default) or ndjson"	Enums(json, ndjson)
//	@Success		200		{array}		DataInclusionStructure
//	@Failure		400		{object}	Problem	"bad parameter"
//	@Failure		401		{object}	Problem	"invalid token"
//	@Failure		429		{object}	Problem
//	@Failure		503		{object}	Problem
//	@Failure		500		{object}	Problem	"internal error, logged with the request id"
//	@Router			/v1/exports/data-inclusion/structures [get]
func (s *Server) exportDataInclusionStructures(c echo.Context) error {
	q := newQuery(c, "format")
	format := q.single("format")
	if format != "" && format != "json" && format != "ndjson" {
		q.errs.Add("format", "must be json or ndjson")
	}
	if err := q.err(); err != nil {
		return err
	}
	ndjson := format == "ndjson"
	w := c.Response()
	started, n := false, 0
	// The status and the opening bracket go once the database has answered,
	// so that a failure before the first row is still a problem document.
	start := func() {
		started = true
		ct := echo.MIMEApplicationJSONCharsetUTF8
		if ndjson {
			ct = mimeNDJSON
		}
		w.Header().Set(echo.HeaderContentType, ct)
		w.WriteHeader(http.StatusOK)
		if !ndjson {
			w.Write([]byte("[\n")) //nolint:errcheck // a failed write fails the next one
		}
	}
	enc := json.NewEncoder(w)
	err := s.exporter.EachPublishedStructure(c.Request().Context(), func(st *essdir.Structure) error {
		if !started {
			start()
		} else if !ndjson {
			w.Write([]byte(",\n")) //nolint:errcheck
		}
		if err := enc.Encode(toDataInclusion(st)); err != nil {
			return err
		}
		if n++; n%100 == 0 {
			w.Flush()
		}
		return nil
	})
	if err != nil && !started {
		return err
	}
	if err != nil {
		// Too late for a problem document: the stream stops short (an
		// unterminated array) and the cause is logged.
		loggerFrom(c).Warn("export interrupted", "error", err.Error())
		return nil
	}
	if !started {
		start()
	}
	if !ndjson {
		w.Write([]byte("]\n")) //nolint:errcheck
	}
	w.Flush()
	return nil
}
