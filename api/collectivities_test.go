package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/essdir/essdir/internal/essdir"
)

func TestCollectivities(t *testing.T) {
	e := newEnv(t)
	editor := e.user(essdir.RoleEditor)
	source := newSource("coll")
	// The official codes are unique among live collectivities: free them for
	// the tests that follow (the demo data set has Dijon Métropole too).
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), testDSN)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "UPDATE collectivities SET deleted_at = now() WHERE source = $1", source); err != nil {
			t.Fatal(err)
		}
	})
	create := func(body map[string]any) *resp {
		body["source"] = source
		return e.do(req{method: "POST", path: "/v1/collectivities", token: editor, body: body})
	}
	cases := []struct {
		name         string
		body         map[string]any
		dept, region string
	}{
		{"Commune", map[string]any{"name": "Ville de Longvic", "kind": "commune", "insee_code": "21355"}, "21", "27"},
		{"EPCI", map[string]any{"name": "Dijon Métropole", "kind": "epci", "siren": "242100410"}, "21", "27"},
		{"Departement", map[string]any{"name": "Département de la Côte-d'Or", "kind": "departement", "insee_code": "21"}, "21", "27"},
		{"Region", map[string]any{"name": "Région Bourgogne-Franche-Comté", "kind": "region", "insee_code": "27"}, "", "27"},
		{"StateService", map[string]any{"name": "DRAAF Bourgogne-Franche-Comté", "kind": "state_service", "region_code": "27"}, "", "27"},
	}
	ids := map[string]string{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := create(tc.body)
			wantStatus(t, r, http.StatusCreated)
			got := r.json(t)
			ids[tc.name] = got["id"].(string)
			if got["region_code"] != tc.region || (tc.dept != "" && got["department_code"] != tc.dept) {
				t.Errorf("territory of %s: %s", tc.name, r.body)
			}
			path := "/v1/collectivities/" + got["id"].(string)
			read := e.do(req{method: "GET", path: path})
			wantStatus(t, read, http.StatusOK)
			same := e.do(req{method: "PUT", path: path, token: editor, body: read.body})
			if same.json(t)["version"] != float64(1) || same.header.Get("ETag") != read.header.Get("ETag") {
				t.Errorf("a PUT of the GET body changed it: %s", same.body)
			}
		})
	}

	bad := []struct {
		name   string
		body   map[string]any
		status int
		fields []string
	}{
		{"ErrDuplicateCode", map[string]any{"name": "Longvic bis", "kind": "commune", "insee_code": "21355"}, 409, []string{"insee_code"}},
		{"ErrUnknownCommune", map[string]any{"name": "x", "kind": "commune", "insee_code": "99999"}, 422, []string{"insee_code"}},
		{"ErrFormerCommune", map[string]any{"name": "x", "kind": "commune", "insee_code": "88422"}, 422, []string{"insee_code"}},
		{"ErrNotAnEPCI", map[string]any{"name": "x", "kind": "epci", "siren": "732829320"}, 422, []string{"siren"}},
		{"ErrUnknownDepartement", map[string]any{"name": "x", "kind": "departement", "insee_code": "96"}, 422, []string{"insee_code"}},
		{"ErrUnknownRegion", map[string]any{"name": "x", "kind": "region", "insee_code": "99"}, 422, []string{"insee_code"}},
		{"ErrKind", map[string]any{"name": "x", "kind": "kingdom"}, 422, []string{"kind"}},
		{"ErrArrondissementAsCommune", map[string]any{"name": "x", "kind": "commune", "insee_code": "13201"}, 422, []string{"insee_code"}},
		{"ErrDepartementOutsideRegion", map[string]any{"name": "x", "kind": "syndicat", "department_code": "21", "region_code": "94"}, 422, []string{"region_code"}},
		{"ErrDerivedMismatch", map[string]any{"name": "x", "kind": "commune", "insee_code": "21231", "department_code": "75"}, 422, []string{"department_code"}},
	}
	before := e.do(req{method: "GET", path: "/v1/collectivities?include_total=true&source=" + source}).json(t)["meta"]
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			r := create(tc.body)
			wantStatus(t, r, tc.status)
			wantFields(t, r, tc.fields...)
		})
	}
	after := e.do(req{method: "GET", path: "/v1/collectivities?include_total=true&source=" + source}).json(t)["meta"]
	if before.(map[string]any)["total"] != after.(map[string]any)["total"] {
		t.Errorf("a refused collectivity was stored: %v then %v", before, after)
	}
	list := e.do(req{method: "GET", path: "/v1/collectivities?kind=commune,epci&department_code=21&source=" + source})
	if n := len(list.json(t)["data"].([]any)); n != 2 {
		t.Errorf("kind and département filters found %d", n)
	}
	wantStatus(t, e.do(req{method: "GET", path: "/v1/collectivities?kind=kingdom"}), http.StatusBadRequest)

	wantStatus(t, e.do(req{method: "DELETE", path: "/v1/collectivities/" + ids["Region"], token: editor}), http.StatusNoContent)
	wantStatus(t, e.do(req{method: "GET", path: "/v1/collectivities/" + ids["Region"]}), http.StatusNotFound)
}
