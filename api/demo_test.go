package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/essdir/essdir/internal/pgtest"
	"github.com/essdir/essdir/internal/seed"
	"github.com/essdir/essdir/internal/store"
)

// TestDemoDataReadBack loads the demo data set twice (the second run changes
// nothing) and reads it back through the API as a new user would.
func TestDemoDataReadBack(t *testing.T) {
	// A database of its own: the demo's official codes (Ville de Longvic,
	// Région 27…) are unique per kind and other tests use them too.
	e := newEnvOn(t, pgtest.Fresh(t), store.Options{MaxOpenConns: 4})
	ctx := context.Background()
	services := seed.Services{Structures: e.store, Activities: e.store, Collectivities: e.store, Events: e.store, SupportSchemes: e.store, Links: e.store}
	if _, err := seed.Demo(ctx, services); err != nil {
		t.Fatal(err)
	}
	forum := "/v1/events/" + seed.ID("event:forum-2024-11-28").String()
	before := e.do(req{method: "GET", path: forum}).header.Get("ETag")
	again, err := seed.Demo(ctx, services)
	if err != nil || again.Created != 0 || again.Updated != 0 {
		t.Fatalf("a second run changed something: %v, %v", again, err)
	}
	if after := e.do(req{method: "GET", path: forum}).header.Get("ETag"); after != before {
		t.Error("a second run changed the forum")
	}

	list := e.do(req{method: "GET", path: "/v1/structures?source=demo&limit=100&include_total=true"})
	wantStatus(t, list, http.StatusOK)
	if total := list.json(t)["meta"].(map[string]any)["total"].(float64); total < 13 {
		t.Errorf("%v demo structures, want the forum's 13", total)
	}
	if strings.Contains(string(list.body), "Geillon") {
		t.Error("a personal name reached an anonymous caller")
	}

	champ := e.do(req{method: "GET", path: "/v1/structures/" + seed.ID("structure:champ").String() + "?include=activities,events"}).json(t)
	if champ["department_code"] != "21" || len(champ["activities"].([]any)) != 3 || len(champ["events"].([]any)) != 1 {
		t.Errorf("Le Champ des Sourires: %v", champ)
	}

	ev := e.do(req{method: "GET", path: forum}).json(t)
	roles := map[string]int{}
	for _, p := range ev["participants"].([]any) {
		roles[p.(map[string]any)["role"].(string)]++
	}
	if roles["speaker"] != 3 || roles["moderator"] != 2 || roles["exhibitor"] < 9 {
		t.Errorf("the forum's participants by role: %v", roles)
	}
	if ev["starts_at"] != "2024-11-28T14:00:00+01:00" || len(ev["organizers"].([]any)) != 3 {
		t.Errorf("the forum: %v", ev)
	}
	ics := e.do(req{method: "GET", path: forum + ".ics"})
	wantStatus(t, ics, http.StatusOK)
	if !strings.Contains(string(ics.body), "DTSTART;TZID=Europe/Paris:20241128T140000") {
		t.Errorf("the forum's iCalendar lacks its start in Paris time:\n%s", ics.body)
	}

	longvic := seed.ID("collectivity:longvic").String()
	if got := e.do(req{method: "GET", path: "/v1/collectivities/" + longvic}).json(t); got["kind"] != "commune" || got["insee_code"] != "21355" {
		t.Errorf("Ville de Longvic: %v", got)
	}
	// The structures Ville de Longvic supports, and how.
	supported := e.do(req{method: "GET", path: "/v1/structures?collectivity_id=" + longvic}).json(t)["data"].([]any)
	if len(supported) != 1 || supported[0].(map[string]any)["name"] != "Le Champ des Sourires" {
		t.Errorf("structures supported by Ville de Longvic: %v", supported)
	}
	links := e.do(req{method: "GET", path: "/v1/collectivities/" + longvic + "/collectivity-links"}).json(t)["data"].([]any)
	if len(links) != 1 || len(links[0].(map[string]any)["support_kinds"].([]any)) != 3 {
		t.Errorf("Ville de Longvic's links: %v", links)
	}
	// The DLA's five steps, in order.
	dla := e.do(req{method: "GET", path: "/v1/support-schemes/" + seed.ID("scheme:dla").String()}).json(t)
	var titles []string
	for _, st := range dla["steps"].([]any) {
		titles = append(titles, st.(map[string]any)["title"].(string))
	}
	if strings.Join(titles, " – ") != "Accueil – Diagnostic partagé – Construction du parcours – Mise en œuvre de l'accompagnement – Suivi" {
		t.Errorf("the DLA's steps: %v", titles)
	}
	gbfc := e.do(req{method: "GET", path: "/v1/support-schemes/" + seed.ID("scheme:gbfc").String()}).json(t)
	if len(gbfc["funders"].([]any)) != 2 || len(gbfc["beneficiary_structure_ids"].([]any)) != 2 {
		t.Errorf("the Générateur BFC: %v", gbfc)
	}
}
