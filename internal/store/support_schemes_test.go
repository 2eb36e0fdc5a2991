package store_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/essdir/essdir/internal/essdir"
)

// TestStructureFiltersBySupport: collectivity_id finds the structures a
// collectivity supports through a live link; support_scheme_id those that
// operate or benefited from the scheme.
func TestStructureFiltersBySupport(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	tag := newTag("support")
	operator := createStructure(t, ctx, st, tag, essdir.StatusPublished)
	helped := createStructure(t, ctx, st, tag, essdir.StatusPublished)
	linked := createStructure(t, ctx, st, tag, essdir.StatusDraft)
	createStructure(t, ctx, st, tag, essdir.StatusPublished) // matches nothing
	c := &essdir.Collectivity{Name: "Syndicat " + tag, Kind: essdir.CollectivitySyndicat}
	if err := st.CreateCollectivity(ctx, c, essdir.Echo{}); err != nil {
		t.Fatal(err)
	}
	scheme := &essdir.SupportScheme{Name: "Générateur " + tag, OperatorStructureID: operator,
		Funders:       []essdir.Funder{{Name: "Ademe"}, {CollectivityID: c.ID}},
		Beneficiaries: []essdir.Beneficiary{{StructureID: helped}}}
	if err := st.CreateSupportScheme(ctx, scheme, essdir.Echo{}); err != nil {
		t.Fatal(err)
	}
	link := &essdir.CollectivityLink{StructureID: linked, CollectivityID: c.ID, SupportSchemeID: scheme.ID,
		AmountEUR: "1500", StartDate: "2024-11-28"}
	if err := st.CreateCollectivityLink(ctx, link, essdir.Echo{}); err != nil {
		t.Fatal(err)
	}
	find := func(f essdir.StructureFilter) map[uuid.UUID]bool {
		t.Helper()
		f.Sources = []string{tag}
		page, err := st.FindStructures(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		out := map[uuid.UUID]bool{}
		for _, s := range page.Items {
			out[s.ID] = true
		}
		return out
	}
	if got := find(essdir.StructureFilter{SupportSchemeIDs: []uuid.UUID{scheme.ID}}); len(got) != 2 || !got[operator] || !got[helped] {
		t.Errorf("support_scheme_id found %v", got)
	}
	if got := find(essdir.StructureFilter{CollectivityIDs: []uuid.UUID{c.ID}}); len(got) != 1 || !got[linked] {
		t.Errorf("collectivity_id found %v", got)
	}
	if got := find(essdir.StructureFilter{CollectivityIDs: []uuid.UUID{c.ID}, Statuses: []essdir.Status{essdir.StatusPublished}}); len(got) != 0 {
		t.Errorf("collectivity_id with published only found %v", got)
	}

	got, err := st.FindCollectivityLinkByID(ctx, link.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.AmountEUR != "1500.00" || got.StartDate != "2024-11-28" || got.EndDate != "" || got.SupportSchemeID != scheme.ID {
		t.Errorf("link read back as %+v", got)
	}
	page, err := st.FindCollectivityLinks(ctx, essdir.CollectivityLinkFilter{CollectivityIDs: []uuid.UUID{c.ID},
		StructureStatuses: []essdir.Status{essdir.StatusPublished}})
	if err != nil || len(page.Items) != 0 {
		t.Errorf("the link of a draft is listed for published structures only: %v %v", page, err)
	}
	s, err := st.FindSupportSchemeByID(ctx, scheme.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Funders) != 2 || s.Funders[0].Name != "Ademe" || s.Funders[1].CollectivityID != c.ID ||
		!s.OperatorPublished || len(s.Beneficiaries) != 1 || !s.Beneficiaries[0].Published {
		t.Errorf("scheme read back as %+v", s)
	}
	wantCode(t, st.DeleteSupportScheme(ctx, scheme.ID, nil), essdir.ECONFLICT)
	wantCode(t, st.DeleteCollectivity(ctx, c.ID, nil), essdir.ECONFLICT)
}
