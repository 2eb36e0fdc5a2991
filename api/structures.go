package api

import (
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

func (s *Server) structureRoutes(g *echo.Group, write ...echo.MiddlewareFunc) {
	g.GET("/structures", s.listStructures)
	g.GET("/structures/facets", s.structureFacets)
	g.POST("/structures", s.createStructure, append(write, requireJSON)...)
	g.GET("/structures/:id", s.getStructure)
	g.PUT("/structures/:id", s.replaceStructure, append(write, requireJSON)...)
	g.PATCH("/structures/:id", s.patchStructure, append(write, requireJSON)...)
	g.DELETE("/structures/:id", s.deleteStructure, write...)
}

// structureFilterParams are the filters of structure lists.
var structureFilterParams = []string{
	"legal_form", "sector", "label", "audience", "department_code", "region_code", "insee_code",
	"postal_code", "city", "network", "source", "updated_since", "status", "collectivity_id", "support_scheme_id",
	"q", "near", "radius_km", "bbox",
}

// listStructures godoc
//
//	@ID				listStructures
//	@Summary		List, search and export structures
//	@Description	Published structures, filtered and paginated by cursor (keyset: a deep page costs what the first does). Several values of one filter (repeated or comma-separated) are alternatives; filters combine. Editors may ask for other statuses. The `Link` header carries the next page.
//	@Description
//	@Description	`q` is a French full-text search over the name, summary, description, activity names and city: accents and case do not matter, words are stemmed (`recycleries` finds Recyclerie), the name and the city tolerate typos (`Sombornon` finds Sombernon). Its syntax is that of web search engines: `"a phrase"`, `or`, `-word`; every other character is literal. With `q` the default order is `relevance`; when more than 1,000 structures match, ranking every match would be slow, so relevance gives them in a fixed shuffle (a hash of the id: the same on every page and for every client, favouring no name), or by name within one `department_code`, `region_code`, `insee_code` or `legal_form`.
//	@Description
//	@Description	`near=lat,lon` keeps the structures within `radius_km` (default 10) and gives each its `distance_km`; `sort=distance` orders by it. `bbox` keeps those inside a box (min_lon > max_lon crosses the antimeridian).
//	@Description
//	@Description	Exports: `format=csv|geojson|ndjson` or `Accept: text/csv`, `application/geo+json`, `application/x-ndjson` stream every matching structure, unpaginated (no `limit`, `cursor`, `include_total`), in name order (or `-updated_at`, `distance`). CSV is UTF-8 (`bom=true` adds a byte-order mark, `delimiter=;` for French spreadsheets), one header line, lists joined by `|`, no contacts; a text cell a spreadsheet would evaluate (starting with `=`, `@`, or `+`/`-` not followed by a number) starts with `'`. GeoJSON is a FeatureCollection with [lon, lat] points and `geometry: null` for structures without a location; NDJSON is one Structure a line. Anonymous exports have a stricter rate budget (ESSDIR_RATE_LIMIT_EXPORT). These bodies are not the JSON schema below.
//	@Description
//	@Description	Anonymous answers carry `Cache-Control: public, max-age=60` and an ETag (`If-None-Match` answers 304).
//	@Tags			structures
//	@Produce		json,text/csv,application/geo+json,application/x-ndjson,application/problem+json
//	@Param			limit			query		int			false	"page size"	minimum(1)	maximum(100)	default(20)
//	@Param			cursor			query		string		false	"next_cursor of the previous page"
//	@Param			include_total	query		bool		false	"count every match in meta.total"
//	@Param			sort			query		string		false	"order (default: relevance with q, else name)"	Enums(name, -updated_at, relevance, distance)
//	@Param			q				query		string		false	"French full-text search"	maxLength(200)
//	@Param			near			query		string		false	"lat,lon: structures within radius_km of this point"
//	@Param			radius_km		query		number		false	"radius around near, in km"	maximum(200)	default(10)
//	@Param			bbox			query		string		false	"min_lon,min_lat,max_lon,max_lat"
//	@Param			legal_form		query		[]string	false	"legal form codes"	collectionFormat(multi)
//	@Param			sector			query		[]string	false	"sector codes"	collectionFormat(multi)
//	@Param			label			query		[]string	false	"label codes (aci, esus…)"	collectionFormat(multi)
//	@Param			audience		query		[]string	false	"audiences of the structure's activities"	collectionFormat(multi)
//	@Param			department_code	query		[]string	false	"département codes (21, 2A, 974)"	collectionFormat(multi)
//	@Param			region_code		query		[]string	false	"région codes (27)"	collectionFormat(multi)
//	@Param			insee_code		query		[]string	false	"commune INSEE codes"	collectionFormat(multi)
//	@Param			postal_code		query		[]string	false	"postal codes"	collectionFormat(multi)
//	@Param			city			query		[]string	false	"city names (case-insensitive)"	collectionFormat(multi)
//	@Param			network			query		[]string	false	"network names"	collectionFormat(multi)
//	@Param			source			query		[]string	false	"sources"	collectionFormat(multi)
//	@Param			updated_since	query		string		false	"RFC 3339 timestamp or date"
//	@Param			status			query		[]string	false	"statuses (editors only; default published)"	collectionFormat(multi)
//	@Param			collectivity_id		query	[]string	false	"collectivities that support the structure through a link"	collectionFormat(multi)
//	@Param			support_scheme_id	query	[]string	false	"support schemes the structure operates or benefited from"	collectionFormat(multi)
//	@Param			include			query		[]string	false	"related records to embed in each structure"	collectionFormat(csv)	Enums(activities, collectivity_links, support_schemes, events)
//	@Param			format			query		string		false	"export format (instead of Accept)"	Enums(json, csv, geojson, ndjson)
//	@Param			delimiter		query		string		false	"CSV delimiter: , (default), ; or tab"
//	@Param			bom				query		bool		false	"CSV: start with a UTF-8 byte-order mark"
//	@Param			If-None-Match	header		string		false	"ETag of the page the client holds"
//	@Success		200				{object}	StructureList
//	@Header			200				{string}	Link	"<...>; rel=\"next\" when there is a next page"
//	@Header			200				{string}	ETag	"strong entity tag of the page"
//	@Success		304				"not modified"
//	@Failure		400				{object}	Problem	"bad parameter"
//	@Failure		401				{object}	Problem	"invalid token, or status filter without one"
//	@Failure		403				{object}	Problem	"a partner listing unpublished records outside its source"
//	@Failure		429				{object}	Problem
//	@Failure		503				{object}	Problem
//	@Failure		500				{object}	Problem	"internal error, logged with the request id"
//	@Router			/v1/structures [get]
func (s *Server) listStructures(c echo.Context) error {
	q := newQuery(c, append(append(append([]string{"include"}, listParamNames...), structureFilterParams...), exportParamNames...)...)
	f := structureListFilter(c, q)
	f.List = listParams(q, essdir.StructureSorts)
	searchSort(q, &f)
	include := q.includes()
	if format := exportFormat(c, q); format != nil {
		return s.exportStructures(c, q, f, format)
	}
	if err := q.err(); err != nil {
		return err
	}
	editor := canSeeUnpublished(c)
	var hits viewHits
	if !editor && len(include) == 0 { // embedded relations are not in the row
		hits.views = make([]viewHit, 0, f.List.Limit+1)
		f.Known = s.views.knownTo(&hits)
	}
	page, err := s.structures.FindStructures(c.Request().Context(), f)
	if err != nil {
		return err
	}
	if page.Known != nil {
		return s.writeStructurePage(c, page, &hits)
	}
	views := mapAll(page.Items, func(st *essdir.Structure) Structure { return toStructure(st, editor) })
	if err := s.embed(c.Request().Context(), include, views, editor); err != nil {
		return err
	}
	return writePage(c, page, views, func(data []Structure, meta ListMeta) any { return StructureList{Data: data, Meta: meta} })
}

// structureFilter reads the filters that select structures, shared by the
// lists of structures and of their activities.
func structureFilter(c echo.Context, q *query) essdir.StructureFilter {
	f := essdir.StructureFilter{
		LegalForms:      codes[essdir.LegalForm](q, "legal_form", essdir.LegalForms),
		Labels:          codes[essdir.Label](q, "label", essdir.Labels),
		Audiences:       codes[essdir.Audience](q, "audience", essdir.Audiences),
		DepartmentCodes: q.matching("department_code", essdir.ValidDepartmentCode, "a département code"),
		RegionCodes:     q.matching("region_code", essdir.ValidRegionCode, "a région code"),
		INSEECodes:      q.matching("insee_code", essdir.ValidINSEECode, "an INSEE commune code"),
		PostalCodes:     q.matching("postal_code", essdir.ValidPostalCode, "a postal code"),
		Cities:          q.texts("city"),
		Networks:        q.texts("network"),
		Sources:         q.texts("source"),
		Statuses:        q.statuses(c),
	}
	q.ownSourceOnly(c, f.Sources)
	f.CollectivityIDs, f.SupportSchemeIDs = q.uuids("collectivity_id"), q.uuids("support_scheme_id")
	searchFilter(q, &f)
	return f
}

// getStructure godoc
//
//	@ID				getStructure
//	@Summary		Get a structure
//	@Description	Anonymous callers see published structures only, without contacts. `If-None-Match` answers 304 when the copy is current.
//	@Tags			structures
//	@Produce		json,application/problem+json
//	@Param			id				path		string	true	"structure id"	format(uuid)
//	@Param			include			query		[]string	false	"related records to embed"	collectionFormat(csv)	Enums(activities, collectivity_links, support_schemes, events)
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
	q := newQuery(c, "include")
	include := q.includes()
	if err := q.err(); err != nil {
		return err
	}
	st, err := s.structures.FindStructureByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if err := visible(c, st.Status, st.Source, "structure"); err != nil {
		return err
	}
	editor := canSeeUnpublished(c)
	views := []Structure{toStructure(st, editor)}
	if err := s.embed(c.Request().Context(), include, views, editor); err != nil {
		return err
	}
	return writeRecord(c, http.StatusOK, &st.Record, views[0])
}

// createStructure godoc
//
//	@ID				createStructure
//	@Summary		Create a structure
//	@Description	The server chooses the id, derives the slug (unless given), the SIREN (from the SIRET), the département and the région. `status` defaults to published. Roles: editor, admin, partner. A partner's structure always carries its source (a body naming another source is a 403, nothing written) and takes its client's moderation status (pending or published) unless `status` is named; a moderated partner may not publish (403).
//	@Tags			structures
//	@Accept			json
//	@Produce		json,application/problem+json
//	@Param			Idempotency-Key	header		string	false	"makes a retry safe: the first answer is replayed"
//	@Param			structure	body		StructureInput	true	"the structure"
//	@Success		201			{object}	Structure
//	@Header			201			{string}	Location	"URL of the new structure"
//	@Header			201			{string}	ETag		"strong entity tag"
//	@Failure		400			{object}	Problem		"malformed JSON or unknown field"
//	@Failure		401			{object}	Problem
//	@Failure		403			{object}	Problem
//	@Failure		409			{object}	Problem	"duplicate SIRET, slug or external id, or the Idempotency-Key is in use"
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
	in, err := decodeInput[essdir.Structure, StructureInput](body)
	if err != nil {
		return err
	}
	st, echoed, err := in.toDomain()
	if err != nil {
		return err
	}
	if err := s.authorizeCreate(c, st); err != nil {
		return err
	}
	if err := s.structures.CreateStructure(c.Request().Context(), st, echoed); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/structures/"+st.ID.String())
	return writeRecord(c, http.StatusCreated, &st.Record, toStructure(st, true))
}

// replaceStructure godoc
//
//	@ID				replaceStructure
//	@Summary		Replace a structure
//	@Description	PUT replaces the whole record: an omitted optional field is cleared (an omitted slug is kept). A body made from a GET may be sent back as is. Sending the stored record again changes nothing (same version). Roles: editor, admin, partner — a partner only for a record of its own source (403 otherwise, the record untouched; the source never changes).
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
	id, body, err := pathIDAndBody(c)
	if err != nil {
		return err
	}
	change, err := replaceChange[essdir.Structure, *essdir.Structure, StructureInput](c, body)
	if err != nil {
		return err
	}
	return s.updateStructure(c, id, change)
}

// updateStructure stores a change and answers the editor's view.
func (s *Server) updateStructure(c echo.Context, id uuid.UUID, change essdir.Change[essdir.Structure]) error {
	change, err := authorizeChange[essdir.Structure](s, c, change)
	if err != nil {
		return err
	}
	updated, err := s.structures.UpdateStructure(c.Request().Context(), id, change)
	if err != nil {
		return err
	}
	return writeRecord(c, http.StatusOK, &updated.Record, toStructure(updated, true))
}

// patchStructure godoc
//
//	@ID				patchStructure
//	@Summary		Patch a structure
//	@Description	JSON Merge Patch (RFC 7396): members set replace, `null` removes, objects merge. The result is checked like a PUT. Roles: editor, admin, partner (its own source only, 403 otherwise).
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
	id, body, err := pathIDAndBody(c)
	if err != nil {
		return err
	}
	load := func() (*essdir.Structure, error) { return s.structures.FindStructureByID(c.Request().Context(), id) }
	view := func(st *essdir.Structure) any { return toStructure(st, true) }
	change, err := patchChange[essdir.Structure, *essdir.Structure, StructureInput](c, body, load, view)
	if err != nil {
		return err
	}
	return s.updateStructure(c, id, change)
}

// deleteStructure godoc
//
//	@ID				deleteStructure
//	@Summary		Delete a structure
//	@Description	Soft delete: the structure disappears from every read; partners see a tombstone in the change feed. Roles: editor, admin, partner (its own source only, 403 otherwise).
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
	check, err := authorizeDelete[essdir.Structure](s, c, ifMatchCheck[essdir.Structure](c))
	if err != nil {
		return err
	}
	if err := s.structures.DeleteStructure(c.Request().Context(), id, check); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
