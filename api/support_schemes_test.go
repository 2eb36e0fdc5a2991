package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/essdir/essdir/internal/essdir"
)

// pes21 is the Pôle d'Économie Solidaire 21, operator of the DLA and of the
// Générateur BFC in Côte-d'Or, in the given source.
func pes21(source, status string) map[string]any {
	return map[string]any{
		"name": "Pôle d'Économie Solidaire 21 " + randomSuffix(), "legal_form": "association",
		"address": map[string]any{"city": "Dijon", "postal_code": "21000"},
		"phone":   "03 80 50 90 47", "email": "contact@pole-economie-solidaire21.org",
		"source": source, "status": status,
	}
}

// dla is the Dispositif Local d'Accompagnement of Côte-d'Or and its five
// steps, in the order the report gives them, without positions.
func dla(operator string) map[string]any {
	steps := []any{}
	for _, title := range []string{"Accueil", "Diagnostic partagé", "Construction du parcours",
		"Mise en œuvre de l'accompagnement", "Suivi"} {
		steps = append(steps, map[string]any{"title": title})
	}
	return map[string]any{
		"name": "Dispositif Local d'Accompagnement " + randomSuffix(), "acronym": "DLA",
		"description":           "Accompagnement sur-mesure et gratuit des structures de l'ESS employeuses.",
		"operator_structure_id": operator, "target_audiences": []string{"employer_structures"},
		"steps": steps, "territory": map[string]any{"department_codes": []string{"21"}},
		"website": "https://www.info-dla.fr/",
	}
}

func (e *env) createScheme(token string, body map[string]any) map[string]any {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/v1/support-schemes", token: token, body: body})
	wantStatus(e.t, r, http.StatusCreated)
	return r.json(e.t)
}

func stepTitles(scheme map[string]any) (titles []string, ordered bool) {
	ordered = true
	for i, x := range scheme["steps"].([]any) {
		st := x.(map[string]any)
		titles = append(titles, st["title"].(string))
		ordered = ordered && st["position"] == float64(i+1)
	}
	return titles, ordered
}

func TestSupportSchemeDLA(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	pole := e.create(editor, pes21(newSource("dla"), "published"))["id"].(string)
	r := e.do(req{method: "POST", path: "/v1/support-schemes", token: editor, body: dla(pole)})
	wantStatus(t, r, http.StatusCreated)
	scheme := r.json(t)
	path := "/v1/support-schemes/" + scheme["id"].(string)
	if r.header.Get("Location") != path || scheme["operator_structure_id"] != pole || scheme["version"] != float64(1) {
		t.Fatalf("created %s", r.body)
	}

	got := e.do(req{method: "GET", path: path})
	wantStatus(t, got, http.StatusOK)
	titles, ordered := stepTitles(got.json(t))
	if strings.Join(titles, " – ") != "Accueil – Diagnostic partagé – Construction du parcours – Mise en œuvre de l'accompagnement – Suivi" || !ordered {
		t.Errorf("steps read back as %v (positions 1..5: %v)", titles, ordered)
	}
	wantStatus(t, e.do(req{method: "GET", path: path, headers: map[string]string{"If-None-Match": got.header.Get("ETag")}}), http.StatusNotModified)

	t.Run("PutOfGetBodyChangesNothing", func(t *testing.T) { e.wantNoOpPut(t, path, editor, 1) })
	t.Run("StepsOrderedByTheirPositions", func(t *testing.T) {
		etag := e.do(req{method: "GET", path: path}).header.Get("ETag")
		r := e.do(req{method: "PATCH", path: path, token: editor, headers: map[string]string{"If-Match": etag},
			body: `{"steps": [{"position": 2, "title": "Diagnostic"}, {"position": 1, "title": "Accueil"}]}`})
		wantStatus(t, r, http.StatusOK)
		if titles, ordered := stepTitles(r.json(t)); strings.Join(titles, ",") != "Accueil,Diagnostic" || !ordered {
			t.Errorf("steps %v", titles)
		}
		stale := e.do(req{method: "PUT", path: path, token: editor, headers: map[string]string{"If-Match": etag}, body: dla(pole)})
		wantStatus(t, stale, http.StatusPreconditionFailed)
	})
	t.Run("Delete", func(t *testing.T) {
		wantStatus(t, e.do(req{method: "DELETE", path: path}), http.StatusUnauthorized)
		wantStatus(t, e.do(req{method: "DELETE", path: path, token: editor}), http.StatusNoContent)
		wantStatus(t, e.do(req{method: "GET", path: path}), http.StatusNotFound)
	})
}

// TestSupportSchemeGenerateurBFC: the Générateur Bourgogne-Franche-Comté,
// funded by the Région (a collectivity) and the Ademe (a name), operated by
// the PES 21, which helped La Marmite Solidaire and La Boucle emerge; and
// the filters that find it.
func TestSupportSchemeGenerateurBFC(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := newSource("gbfc")
	pole := e.create(editor, pes21(source, "published"))["id"].(string)
	marmite := e.create(editor, map[string]any{"name": "La Marmite Solidaire", "address": map[string]any{"postal_code": "25300", "city": "Pontarlier"}, "source": source})["id"].(string)
	boucle := e.create(editor, map[string]any{"name": "La Boucle", "address": map[string]any{"postal_code": "21540", "city": "Sombernon"}, "source": source})["id"].(string)
	bystander := e.create(editor, map[string]any{"name": "Le Thé du Phoenix", "source": source})["id"].(string)
	region := e.collectivity(editor, map[string]any{"name": "Région Bourgogne-Franche-Comté", "kind": "region", "insee_code": "27"})
	in := map[string]any{
		"name": "Générateur Bourgogne-Franche-Comté " + randomSuffix(), "acronym": "GBFC",
		"description":               "Méthode participative pour faire émerger des projets locaux avec habitants et acteurs du territoire.",
		"operator_structure_id":     pole,
		"funders":                   []any{map[string]any{"collectivity_id": region}, map[string]any{"name": "Ademe"}},
		"target_audiences":          []string{"collectivities", "citizens"},
		"territory":                 map[string]any{"region_codes": []string{"27"}},
		"website":                   "https://www.facebook.com/p/G%C3%A9n%C3%A9rateur-BFC-100068459922930/",
		"beneficiary_structure_ids": []string{marmite, boucle},
	}
	scheme := e.createScheme(editor, in)
	id := scheme["id"].(string)
	got := e.do(req{method: "GET", path: "/v1/support-schemes/" + id}).json(t)
	funders := got["funders"].([]any)
	if len(funders) != 2 || funders[0].(map[string]any)["collectivity_id"] != region || funders[1].(map[string]any)["name"] != "Ademe" {
		t.Errorf("funders read back as %v", funders)
	}
	if b := got["beneficiary_structure_ids"].([]any); len(b) != 2 || b[0] != marmite || b[1] != boucle {
		t.Errorf("beneficiaries read back as %v", b)
	}

	for query, want := range map[string]bool{
		"collectivity_id=" + region:               true,
		"department_code=25":                      true, // in the région
		"region_code=27&target_audience=citizens": true,
		"region_code=84":                          false,
		"department_code=75":                      false,
		"target_audience=employer_structures":     false,
		"beneficiary_structure_id=" + boucle:      true,
		"beneficiary_structure_id=" + bystander:   false,
		"operator_structure_id=" + pole:           true,
		"operator_structure_id=" + marmite:        false,
		"updated_since=2999-01-01":                false,
		"sort=-updated_at":                        true,
	} {
		t.Run("Filter/"+query, func(t *testing.T) {
			r := e.do(req{method: "GET", path: "/v1/support-schemes?limit=100&" + query})
			wantStatus(t, r, http.StatusOK)
			if found := strings.Contains(string(r.body), id); found != want {
				t.Errorf("found = %v, want %v", found, want)
			}
		})
	}
	t.Run("StructuresOfTheScheme", func(t *testing.T) {
		r := e.do(req{method: "GET", path: "/v1/structures?support_scheme_id=" + id + "&source=" + source})
		if n := count(t, r); n != 3 || strings.Contains(string(r.body), bystander) {
			t.Errorf("support_scheme_id found %d structures: %s", n, r.body)
		}
		wantStatus(t, e.do(req{method: "GET", path: "/v1/activities?support_scheme_id=" + id + "&collectivity_id=" + region}), http.StatusOK)
	})
}

func TestSupportSchemeInvalid(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	pole := e.create(editor, pes21(newSource("badscheme"), "published"))["id"].(string)
	missing := "0190f0f0-0000-7000-8000-000000000001"
	step := func(pos int, title string) map[string]any { return map[string]any{"position": pos, "title": title} }
	for _, tc := range []struct {
		name   string
		edit   func(map[string]any)
		status int
		fields []string
	}{
		{"ErrUnknownReferences", func(m map[string]any) {
			m["operator_structure_id"] = missing
			m["funders"] = []any{map[string]any{"name": "Ademe"}, map[string]any{"collectivity_id": missing}}
			m["beneficiary_structure_ids"] = []string{missing}
		}, 422, []string{"operator_structure_id", "funders[1].collectivity_id", "beneficiary_structure_ids[0]"}},
		{"ErrFunderBoth", func(m map[string]any) {
			m["funders"] = []any{map[string]any{"name": "Ademe", "collectivity_id": missing}}
		}, 422, []string{"funders[0]"}},
		{"ErrFunderNeither", func(m map[string]any) { m["funders"] = []any{map[string]any{}} }, 422, []string{"funders[0]"}},
		{"ErrNilUUIDIsNoReference", func(m map[string]any) {
			m["operator_structure_id"] = "00000000-0000-0000-0000-000000000000"
			m["funders"] = []any{map[string]any{"name": "Ademe", "collectivity_id": "00000000-0000-0000-0000-000000000000"}}
		}, 422, []string{"operator_structure_id", "funders[0].collectivity_id"}},
		{"ErrBeneficiaryTwice", func(m map[string]any) { m["beneficiary_structure_ids"] = []string{pole, pole} }, 422, []string{"beneficiary_structure_ids[1]"}},
		{"ErrStepPositionTwice", func(m map[string]any) { m["steps"] = []any{step(1, "a"), step(1, "b")} }, 422, []string{"steps[1].position"}},
		{"ErrStepPositionZero", func(m map[string]any) { m["steps"] = []any{step(0, "a"), step(1, "b")} }, 422, []string{"steps[0].position"}},
		{"ErrStepPositionZeroAlone", func(m map[string]any) { m["steps"] = []any{step(0, "a")} }, 422, []string{"steps[0].position"}},
		{"ErrStepPositionOutOfRange", func(m map[string]any) { m["steps"] = []any{step(1, "a"), step(3, "b")} }, 422, []string{"steps[1].position"}},
		{"ErrStepPositionsMixed", func(m map[string]any) {
			m["steps"] = []any{step(2, "a"), map[string]any{"title": "b"}}
		}, 422, []string{"steps[1].position"}},
		{"ErrStepTitle", func(m map[string]any) { m["steps"] = []any{map[string]any{"description": "x"}} }, 422, []string{"steps[0].title"}},
		{"ErrUnknownDepartment", func(m map[string]any) {
			m["territory"] = map[string]any{"department_codes": []string{"21", "96"}, "region_codes": []string{"99"}}
		}, 422, []string{"territory.department_codes[1]", "territory.region_codes[0]"}},
		{"ErrTargetAudience", func(m map[string]any) { m["target_audiences"] = []string{"martians"} }, 422, []string{"target_audiences[0]"}},
		{"ErrNameRequired", func(m map[string]any) { delete(m, "name") }, 422, []string{"name"}},
		{"ErrEmail", func(m map[string]any) { m["email"] = "pes21" }, 422, []string{"email"}},
		{"ErrBeneficiaryNotAUUID", func(m map[string]any) { m["beneficiary_structure_ids"] = []string{"la-boucle"} }, 400, nil},
		{"ErrUnknownField", func(m map[string]any) { m["operator"] = pole }, 400, []string{"operator"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := dla(pole)
			tc.edit(in)
			r := e.do(req{method: "POST", path: "/v1/support-schemes", token: editor, body: in})
			wantStatus(t, r, tc.status)
			if tc.fields != nil {
				wantFields(t, r, tc.fields...)
			}
		})
	}
	for _, q := range []string{"audience=collectivities", "target_audience=martians", "department_code=96",
		"operator_structure_id=pes21", "sort=acronym", "cursor=nonsense"} {
		t.Run("Err400/"+q, func(t *testing.T) {
			wantStatus(t, e.do(req{method: "GET", path: "/v1/support-schemes?" + q}), http.StatusBadRequest)
		})
	}
}

// TestSupportSchemeVisibility: an unpublished operator or beneficiary is
// left out for anonymous callers on every path (never dangling), shown to
// editors, and a deleted one is left out for everyone.
func TestSupportSchemeVisibility(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := newSource("schemevis")
	draftPole := e.create(editor, pes21(source, "draft"))["id"].(string)
	draftHelped := e.create(editor, map[string]any{"name": "Projet " + randomSuffix(), "status": "draft", "source": source})["id"].(string)
	helped := e.create(editor, map[string]any{"name": "La Boucle", "source": source})["id"].(string)
	in := dla(draftPole)
	in["beneficiary_structure_ids"] = []string{draftHelped, helped}
	id := e.createScheme(editor, in)["id"].(string)
	path := "/v1/support-schemes/" + id

	anon := e.do(req{method: "GET", path: path})
	wantStatus(t, anon, http.StatusOK)
	list := e.do(req{method: "GET", path: "/v1/support-schemes?beneficiary_structure_id=" + helped})
	for _, r := range []*resp{anon, list} {
		if strings.Contains(string(r.body), draftPole) || strings.Contains(string(r.body), draftHelped) || !strings.Contains(string(r.body), helped) {
			t.Errorf("anonymous callers see %s", r.body)
		}
	}
	for _, q := range []string{"operator_structure_id=" + draftPole, "beneficiary_structure_id=" + draftHelped} {
		if n := count(t, e.do(req{method: "GET", path: "/v1/support-schemes?" + q})); n != 0 {
			t.Errorf("anonymous %s finds the scheme through a draft", q)
		}
		if n := count(t, e.do(req{method: "GET", path: "/v1/support-schemes?" + q, token: editor})); n != 1 {
			t.Errorf("editor %s finds %d schemes", q, n)
		}
	}
	full := e.do(req{method: "GET", path: path, token: editor})
	if got := full.json(t); got["operator_structure_id"] != draftPole || len(got["beneficiary_structure_ids"].([]any)) != 2 {
		t.Errorf("editors see %s", full.body)
	}
	if full.header.Get("ETag") == anon.header.Get("ETag") {
		t.Errorf("the anonymous and editor views share an ETag")
	}
	// Any view's ETag of the current version satisfies If-Match, and a PUT
	// of the editor's GET body is a no-op.
	same := e.do(req{method: "PUT", path: path, token: editor, body: full.body, headers: map[string]string{"If-Match": anon.header.Get("ETag")}})
	wantStatus(t, same, http.StatusOK)
	if same.json(t)["version"] != float64(1) || same.header.Get("ETag") != full.header.Get("ETag") {
		t.Errorf("a PUT of the editor's GET body changed the scheme: %s", same.body)
	}

	// Deleted structures are left out for everyone, never dangling.
	for _, sid := range []string{draftPole, draftHelped} {
		wantStatus(t, e.do(req{method: "DELETE", path: "/v1/structures/" + sid, token: editor}), http.StatusNoContent)
	}
	after := e.do(req{method: "GET", path: path, token: editor})
	if got := after.json(t); got["operator_structure_id"] != nil || len(got["beneficiary_structure_ids"].([]any)) != 1 {
		t.Errorf("after the deletions editors see %s", after.body)
	}
	// Each deletion changed what the scheme shows: a new version each
	// time. Reads never show the deleted structures, so the GET body sent
	// back is a no-op.
	if got := after.json(t)["version"]; got != float64(3) {
		t.Errorf("version after two deletions of named structures = %v, want 3", got)
	}
	e.wantNoOpPut(t, path, editor, 3)
}

// TestSupportSchemeDeleteWhileLinked: a support scheme that a live
// collectivity link names cannot be deleted (409 naming the links).
func TestSupportSchemeDeleteWhileLinked(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	sid := e.create(editor, champ(newSource("schemedel")))["id"].(string)
	scheme := e.createScheme(editor, dla(sid))["id"].(string)
	in := longvicLand(sid, e.otherCollectivity(editor, "Département"))
	in["support_scheme_id"] = scheme
	link := e.createLink(editor, in)
	if n := count(t, e.do(req{method: "GET", path: "/v1/collectivity-links?support_scheme_id=" + scheme})); n != 1 {
		t.Errorf("support_scheme_id finds %d links", n)
	}

	r := e.do(req{method: "DELETE", path: "/v1/support-schemes/" + scheme, token: editor})
	wantStatus(t, r, http.StatusConflict)
	if detail, _ := r.json(t)["detail"].(string); !strings.Contains(detail, "1 collectivity links") {
		t.Errorf("the 409 does not name the links: %s", r.body)
	}
	wantStatus(t, e.do(req{method: "DELETE", path: "/v1/collectivity-links/" + link["id"].(string), token: editor}), http.StatusNoContent)
	wantStatus(t, e.do(req{method: "DELETE", path: "/v1/support-schemes/" + scheme, token: editor}), http.StatusNoContent)
}
