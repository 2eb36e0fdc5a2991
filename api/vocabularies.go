package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

// vocabularyCache lets browsers and proxies keep the vocabularies for an
// hour: they change only with a release, and the ETag revalidates them.
const vocabularyCache = "public, max-age=3600"

func (s *Server) vocabularyRoutes(g *echo.Group) {
	g.GET("/vocabularies", s.listVocabularies)
	g.GET("/vocabularies/:name", s.getVocabulary)
}

// Term is one code of a vocabulary with its French label.
type Term struct {
	Value       string `json:"value" example:"association" validate:"required"`
	Label       string `json:"label" example:"Association" validate:"required"`
	Description string `json:"description" example:"Association loi 1901 (ou de droit local en Alsace-Moselle)." validate:"required"`
} // @name Term

// Vocabulary is a named list of codes: the values a coded field takes.
type Vocabulary struct {
	Name  string `json:"name" example:"legal_forms" validate:"required"`
	Terms []Term `json:"terms" validate:"required"`
} // @name Vocabulary

// VocabularyList is every vocabulary.
type VocabularyList struct {
	Data []Vocabulary `json:"data" validate:"required"`
} // @name VocabularyList

// writeReference answers reference data with a strong ETag of its body, 304
// when the client's copy (If-None-Match) is current, and a Cache-Control
// that lets shared caches keep it. Unlike writeRecord there is no record
// version: the body alone identifies it.
func writeReference(c echo.Context, v any) error {
	return withBody(v, func(body []byte) error {
		return writeTagged(c, http.StatusOK, `"`+bodyHash(body)+`"`, vocabularyCache, echo.MIMEApplicationJSON, body)
	})
}

func toTerms(v *essdir.Vocabulary) []Term {
	out := make([]Term, len(v.Terms))
	for i, t := range v.Terms {
		out[i] = Term{Value: t.Value, Label: t.Label, Description: t.Description}
	}
	return out
}

// listVocabularies godoc
//
//	@Summary		List the vocabularies
//	@Description	Every coded field's values with their French labels, in display order: legal_forms, sectors, labels, audiences, support_kinds, event_formats, target_audiences, collectivity_kinds. Cacheable for an hour; `If-None-Match` answers 304 when the copy is current.
//	@Tags			vocabularies
//	@Produce		json,application/problem+json
//	@Param			If-None-Match	header		string	false	"ETag of the copy the client holds"
//	@Success		200				{object}	VocabularyList
//	@Header			200				{string}	ETag			"strong entity tag"
//	@Header			200				{string}	Cache-Control	"public, max-age=3600"
//	@Success		304				"not modified"
//	@Failure		400				{object}	Problem	"unknown query parameter"
//	@Failure		401				{object}	Problem	"invalid token"
//	@Failure		429				{object}	Problem
//	@Failure		503				{object}	Problem	"the request was not completed in time"
//	@Failure		500				{object}	Problem	"internal error, logged with the request id"
//	@ID				listVocabularies
//	@Router			/v1/vocabularies [get]
func (s *Server) listVocabularies(c echo.Context) error {
	if err := newQuery(c).err(); err != nil {
		return err
	}
	out := VocabularyList{Data: make([]Vocabulary, len(essdir.Vocabularies))}
	for i, v := range essdir.Vocabularies {
		out.Data[i] = Vocabulary{Name: v.Name, Terms: toTerms(v)}
	}
	return writeReference(c, out)
}

// getVocabulary godoc
//
//	@Summary		Get a vocabulary
//	@Description	The values of one coded field with their French labels, in display order. Cacheable for an hour; `If-None-Match` answers 304 when the copy is current.
//	@Tags			vocabularies
//	@Produce		json,application/problem+json
//	@Param			name			path		string	true	"vocabulary name"	Enums(legal_forms, sectors, labels, audiences, support_kinds, event_formats, target_audiences, collectivity_kinds)
//	@Param			If-None-Match	header		string	false	"ETag of the copy the client holds"
//	@Success		200				{array}		Term
//	@Header			200				{string}	ETag			"strong entity tag"
//	@Header			200				{string}	Cache-Control	"public, max-age=3600"
//	@Success		304				"not modified"
//	@Failure		400				{object}	Problem	"unknown query parameter"
//	@Failure		401				{object}	Problem	"invalid token"
//	@Failure		404				{object}	Problem	"no vocabulary has this name"
//	@Failure		429				{object}	Problem
//	@Failure		503				{object}	Problem	"the request was not completed in time"
//	@Failure		500				{object}	Problem	"internal error, logged with the request id"
//	@ID				getVocabulary
//	@Router			/v1/vocabularies/{name} [get]
func (s *Server) getVocabulary(c echo.Context) error {
	if err := newQuery(c).err(); err != nil {
		return err
	}
	name := c.Param("name")
	for _, v := range essdir.Vocabularies {
		if v.Name == name {
			return writeReference(c, toTerms(v))
		}
	}
	return essdir.Errorf(essdir.ENOTFOUND, "no vocabulary is named %q (see /v1/vocabularies)", safeName(name))
}
