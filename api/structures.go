package api

import (
	"encoding/json"
	"net/http"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

func (s *Server) structureRoutes(g *echo.Group, write ...echo.MiddlewareFunc) {
	g.GET("/structures", s.listStructures)
	g.POST("/structures", s.createStructure, append(write, requireJSON)...)
	g.GET("/structures/:id", s.getStructure)
	g.PUT("/structures/:id", s.replaceStructure, append(write, requireJSON)...)
	g.PATCH("/structures/:id", s.patchStructure, append(write, requireJSON)...)
	g.DELETE("/structures/:id", s.deleteStructure, write...)
}

var structureListParams = []string{
	"limit", "cursor", "include_total", "sort", "legal_form", "sector", "label", "department_code",
	"region_code", "insee_code", "postal_code", "city", "network", "source", "updated_since", "status",
}

// listStructures godoc
//
//	@Summary		List structures
//	@Description	Published structures, filtered and paginated by cursor (keyset: a deep page costs what the first does). Several values of one filter (repeated or comma-separated) are alternatives. Editors may ask for other statuses. The `Link` header carries the next page.
//	@Tags			structures
//	@Produce		json,application/problem+json
//	@Param			limit			query		int			false	"page size"	minimum(1)	maximum(100)	default(20)
//	@Param			cursor			query		string		false	"next_cursor of the previous page"
//	@Param			include_total	query		bool		false	"count every match in meta.total"
//	@Param			sort			query		string		false	"order"	Enums(name, -updated_at)	default(name)
//	@Param			legal_form		query		[]string	false	"legal form codes"	collectionFormat(multi)
//	@Param			sector			query		[]string	false	"sector codes"	collectionFormat(multi)
//	@Param			label			query		[]string	false	"label codes (aci, esus…)"	collectionFormat(multi)
//	@Param			department_code	query		[]string	false	"département codes (21, 2A, 974)"	collectionFormat(multi)
//	@Param			region_code		query		[]string	false	"région codes (27)"	collectionFormat(multi)
//	@Param			insee_code		query		[]string	false	"commune INSEE codes"	collectionFormat(multi)
//	@Param			postal_code		query		[]string	false	"postal codes"	collectionFormat(multi)
//	@Param			city			query		[]string	false	"city names (case-insensitive)"	collectionFormat(multi)
//	@Param			network			query		[]string	false	"network names"	collectionFormat(multi)
//	@Param			source			query		[]string	false	"sources"	collectionFormat(multi)
//	@Param			updated_since	query		string		false	"RFC 3339 timestamp or date"
//	@Param			status			query		[]string	false	"statuses (editors only; default published)"	collectionFormat(multi)
//	@Success		200				{object}	StructureList
//	@Header			200				{string}	Link	"<...>; rel=\"next\" when there is a next page"
//	@Failure		400				{object}	Problem	"bad parameter"
//	@Failure		401				{object}	Problem	"invalid token, or status filter without one"
//	@Failure		429				{object}	Problem
//	@Failure		503				{object}	Problem
//	@Failure		500				{object}	Problem	"internal error, logged with the request id"
//	@Router			/v1/structures [get]
func (s *Server) listStructures(c echo.Context) error {
	q := newQuery(c, structureListParams...)
	f := essdir.StructureFilter{
		LegalForms:      codes[essdir.LegalForm](q, "legal_form", essdir.LegalForms),
		Sectors:         codes[essdir.Sector](q, "sector", essdir.Sectors),
		Labels:          codes[essdir.Label](q, "label", essdir.Labels),
		DepartmentCodes: q.matching("department_code", essdir.ValidDepartmentCode, "a département code"),
		RegionCodes:     q.matching("region_code", essdir.ValidRegionCode, "a région code"),
		INSEECodes:      q.matching("insee_code", essdir.ValidINSEECode, "an INSEE commune code"),
		PostalCodes:     q.matching("postal_code", essdir.ValidPostalCode, "a postal code"),
		Cities:          q.texts("city"),
		Networks:        q.texts("network"),
		Sources:         q.texts("source"),
		UpdatedSince:    q.timestamp("updated_since"),
		Sort:            essdir.SortName,
		Limit:           q.integer("limit", 20, 1, 100),
		Cursor:          q.single("cursor"),
		IncludeTotal:    q.boolean("include_total"),
	}
	switch sort := q.single("sort"); sort {
	case "", "name":
	case "-updated_at":
		f.Sort = essdir.SortUpdatedAtDesc
	default:
		q.errs.Add("sort", "must be name or -updated_at")
	}
	for _, st := range q.list("status") {
		if !essdir.Status(st).Valid() {
			q.errs.Add("status", "%q is not one of draft, pending, published, archived", st)
		}
		f.Statuses = append(f.Statuses, essdir.Status(st))
	}
	if err := q.err(); err != nil {
		return err
	}
	editor := canSeeUnpublished(c)
	if len(f.Statuses) == 0 {
		f.Statuses = []essdir.Status{essdir.StatusPublished}
	}
	for _, st := range f.Statuses {
		if st != essdir.StatusPublished && !editor {
			return unauthorized("invalid_request", "only editors may list unpublished structures")
		}
	}
	page, err := s.structures.FindStructures(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := StructureList{Data: make([]Structure, len(page.Structures)), Meta: ListMeta{NextCursor: page.NextCursor, Total: page.Total}}
	for i, st := range page.Structures {
		out.Data[i] = toStructure(st, editor)
	}
	setNextLink(c, page.NextCursor)
	c.Response().Header().Add(echo.HeaderVary, echo.HeaderAuthorization)
	return c.JSON(http.StatusOK, out)
}

// setNextLink mirrors next_cursor in a Link header (RFC 8288).
func setNextLink(c echo.Context, next string) {
	if next == "" {
		return
	}
	u := *c.Request().URL
	q := u.Query()
	q.Set("cursor", next)
	c.Response().Header().Set("Link", "<"+u.Path+"?"+q.Encode()+`>; rel="next"`)
}

// getStructure godoc
//
//	@Summary		Get a structure
//	@Description	Anonymous callers see published structures only, without contacts. `If-None-Match` answers 304 when the copy is current.
//	@Tags			structures
//	@Produce		json,application/problem+json
//	@Param			id				path		string	true	"structure id"	format(uuid)
//	@Param			If-None-Match	header		string	false	"ETag of the copy the client holds"
//	@Success		200				{object}	Structure
//	@Header			200				{string}	ETag	"strong entity tag"
//	@Success		304				"not modified"
//	@Failure		400				{object}	Problem	"the id is not a UUID"
//	@Failure		401				{object}	Problem	"invalid token"
//	@Failure		404				{object}	Problem
//	@Failure		429				{object}	Problem
//	@Failure		503				{object}	Problem
//	@Failure		500				{object}	Problem	"internal error, logged with the request id"
//	@Router			/v1/structures/{id} [get]
func (s *Server) getStructure(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	st, err := s.structures.FindStructureByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	editor := canSeeUnpublished(c)
	if st.Status != essdir.StatusPublished && !editor {
		return essdir.Errorf(essdir.ENOTFOUND, "structure not found")
	}
	return writeRecord(c, http.StatusOK, toStructure(st, editor))
}

// createStructure godoc
//
//	@Summary		Create a structure
//	@Description	The server chooses the id, derives the slug (unless given), the SIREN (from the SIRET), the département and the région. `status` defaults to published.
//	@Tags			structures
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Param			structure	body		StructureInput	true	"the structure"
//	@Success		201			{object}	Structure
//	@Header			201			{string}	Location	"URL of the new structure"
//	@Header			201			{string}	ETag		"strong entity tag"
//	@Failure		400			{object}	Problem		"malformed JSON or unknown field"
//	@Failure		401			{object}	Problem
//	@Failure		403			{object}	Problem
//	@Failure		409			{object}	Problem	"duplicate SIRET, slug or external id"
//	@Failure		413			{object}	Problem
//	@Failure		415			{object}	Problem
//	@Failure		422			{object}	Problem	"invalid fields, one entry each"
//	@Failure		429			{object}	Problem
//	@Failure		503			{object}	Problem
//	@Failure		500			{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/structures [post]
func (s *Server) createStructure(c echo.Context) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	var in StructureInput
	if err := decodeStrict(body, &in); err != nil {
		return err
	}
	var st essdir.Structure
	if err := in.applyTo(&st, nil); err != nil {
		return err
	}
	if err := s.structures.CreateStructure(c.Request().Context(), &st); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/structures/"+st.ID.String())
	return writeRecord(c, http.StatusCreated, toStructure(&st, true))
}

// replaceStructure godoc
//
//	@Summary		Replace a structure
//	@Description	PUT replaces the whole record: an omitted optional field is cleared (an omitted slug is kept). A body made from a GET may be sent back as is. Sending the stored record again changes nothing (same version).
//	@Tags			structures
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Param			id			path		string			true	"structure id"	format(uuid)
//	@Param			If-Match	header		string			false	"ETag the change is based on"
//	@Param			structure	body		StructureInput	true	"the whole structure"
//	@Success		200			{object}	Structure
//	@Header			200			{string}	ETag	"strong entity tag"
//	@Failure		400			{object}	Problem	"malformed JSON, unknown field, or body id ≠ path id"
//	@Failure		401			{object}	Problem
//	@Failure		403			{object}	Problem
//	@Failure		404			{object}	Problem
//	@Failure		409			{object}	Problem	"duplicate, or stale version in the body"
//	@Failure		412			{object}	Problem	"If-Match does not match"
//	@Failure		413			{object}	Problem
//	@Failure		415			{object}	Problem
//	@Failure		422			{object}	Problem
//	@Failure		429			{object}	Problem
//	@Failure		503			{object}	Problem
//	@Failure		500			{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/structures/{id} [put]
func (s *Server) replaceStructure(c echo.Context) error {
	return s.changeStructure(c, func(body []byte) (structureChange, error) {
		var in StructureInput
		if err := decodeStrict(body, &in); err != nil {
			return nil, err
		}
		return func(*essdir.Structure) (*StructureInput, error) { return &in, nil }, nil
	})
}

// structureChange computes, from the stored record, the whole input to apply.
type structureChange func(cur *essdir.Structure) (*StructureInput, error)

// changeStructure runs a PUT or a PATCH: parse reads the body before any
// database work (so a malformed body is a 400 whatever the id), then the
// change is applied inside the store's transaction, on the locked record.
func (s *Server) changeStructure(c echo.Context, parse func(body []byte) (structureChange, error)) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	body, err := readBody(c)
	if err != nil {
		return err
	}
	change, err := parse(body)
	if err != nil {
		return err
	}
	updated, err := s.structures.UpdateStructure(c.Request().Context(), id, func(st *essdir.Structure) error {
		in, err := change(st)
		if err != nil {
			return err
		}
		return replaceWith(c, st, in)
	})
	if err != nil {
		return err
	}
	return writeRecord(c, http.StatusOK, toStructure(updated, true))
}

// replaceWith checks the preconditions against the stored record st, then
// writes in over it.
func replaceWith(c echo.Context, st *essdir.Structure, in *StructureInput) error {
	if in.ID != nil && *in.ID != st.ID {
		return malformed("id", "the body id differs from the id in the path")
	}
	if err := checkIfMatch(c, st); err != nil {
		return err
	}
	cur := *st
	return in.applyTo(st, &cur)
}

// patchStructure godoc
//
//	@Summary		Patch a structure
//	@Description	JSON Merge Patch (RFC 7396): members set replace, `null` removes, objects merge. The result is checked like a PUT.
//	@Tags			structures
//	@Accept			json
//	@Accept			application/merge-patch+json
//	@Produce		json,application/problem+json
//	@Param			id			path		string			true	"structure id"	format(uuid)
//	@Param			If-Match	header		string			false	"ETag the change is based on"
//	@Param			patch		body		object			true	"the members of Structure to change (null removes)"
//	@Success		200			{object}	Structure
//	@Header			200			{string}	ETag	"strong entity tag"
//	@Failure		400			{object}	Problem
//	@Failure		401			{object}	Problem
//	@Failure		403			{object}	Problem
//	@Failure		404			{object}	Problem
//	@Failure		409			{object}	Problem
//	@Failure		412			{object}	Problem
//	@Failure		413			{object}	Problem
//	@Failure		415			{object}	Problem
//	@Failure		422			{object}	Problem
//	@Failure		429			{object}	Problem
//	@Failure		503			{object}	Problem
//	@Failure		500			{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/structures/{id} [patch]
func (s *Server) patchStructure(c echo.Context) error {
	return s.changeStructure(c, func(patch []byte) (structureChange, error) {
		var probe map[string]json.RawMessage
		if err := decodeStrict(patch, &probe); err != nil {
			return nil, err
		}
		return func(cur *essdir.Structure) (*StructureInput, error) {
			doc, err := json.Marshal(toStructure(cur, true))
			if err != nil {
				return nil, err
			}
			merged, err := jsonpatch.MergePatch(doc, patch)
			if err != nil {
				return nil, malformed("", "the merge patch cannot be applied")
			}
			var in StructureInput
			if err := decodeStrict(merged, &in); err != nil {
				return nil, err
			}
			return &in, nil
		}, nil
	})
}

// deleteStructure godoc
//
//	@Summary		Delete a structure
//	@Description	Soft delete: the structure disappears from every read; partners see a tombstone in the change feed.
//	@Tags			structures
//	@Produce		json,application/problem+json
//	@Param			id			path	string	true	"structure id"	format(uuid)
//	@Param			If-Match	header	string	false	"ETag the deletion is based on"
//	@Success		204			"deleted"
//	@Failure		400			{object}	Problem
//	@Failure		401			{object}	Problem
//	@Failure		403			{object}	Problem
//	@Failure		404			{object}	Problem
//	@Failure		412			{object}	Problem
//	@Failure		429			{object}	Problem
//	@Failure		503			{object}	Problem
//	@Failure		500			{object}	Problem	"internal error, logged with the request id"
//	@Security		BearerAuth
//	@Router			/v1/structures/{id} [delete]
func (s *Server) deleteStructure(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	err = s.structures.DeleteStructure(c.Request().Context(), id, func(st *essdir.Structure) error {
		return checkIfMatch(c, st)
	})
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// checkIfMatch honours If-Match against the editor's view of the stored
// record, the one whose ETag an editor's GET returned.
func checkIfMatch(c echo.Context, st *essdir.Structure) error {
	header := c.Request().Header.Get(headerIfMatch)
	if header == "" {
		return nil
	}
	body, err := json.Marshal(toStructure(st, true))
	if err != nil {
		return err
	}
	if !etagMatches(header, etagOf(body), false) {
		return essdir.Errorf(essdir.EPRECONDITION, "the structure has changed since the ETag in If-Match; GET it again")
	}
	return nil
}
