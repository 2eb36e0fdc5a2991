package api

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/essdir/essdir/internal/essdir"
)

// includable are the relations ?include= may embed in structures.
var includable = []string{"activities", "collectivity_links", "support_schemes", "events"}

// includes reads ?include=: a set of relation names (nil for none); an
// unknown one is a 400.
func (q *query) includes() map[string]bool {
	var out map[string]bool
	for _, name := range q.list("include") {
		known := false
		for _, k := range includable {
			known = known || k == name
		}
		if !known {
			q.errs.Add("include", "%q cannot be included (allowed: %s)", name, strings.Join(includable, ", "))
			continue
		}
		if out == nil {
			out = map[string]bool{}
		}
		out[name] = true
	}
	return out
}

// embed adds the included relations to structures already mapped to their
// views, reading each relation once for all of them.
func (s *Server) embed(ctx context.Context, include map[string]bool, views []Structure, editor bool) error {
	if len(include) == 0 || len(views) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(views))
	for i := range views {
		ids[i] = views[i].ID
	}
	var failed error
	embedOne := func(name string, load func() error) {
		if include[name] && failed == nil {
			failed = load()
		}
	}
	embedOne("activities", func() error {
		byStructure, err := s.relations.ActivitiesOf(ctx, ids)
		for i := range views {
			list := mapAll(byStructure[views[i].ID], toActivity)
			views[i].Activities = &list
		}
		return err
	})
	embedOne("collectivity_links", func() error {
		byStructure, err := s.relations.CollectivityLinksOf(ctx, ids)
		for i := range views {
			list := mapAll(byStructure[views[i].ID], toCollectivityLink)
			views[i].CollectivityLinks = &list
		}
		return err
	})
	embedOne("support_schemes", func() error {
		byStructure, err := s.relations.SupportSchemesOf(ctx, ids)
		for i := range views {
			list := mapAll(byStructure[views[i].ID], func(x *essdir.SupportScheme) SupportScheme { return toSupportScheme(x, editor) })
			views[i].SupportSchemes = &list
		}
		return err
	})
	embedOne("events", func() error {
		byStructure, err := s.relations.EventsOf(ctx, ids)
		for i := range views {
			list := mapAll(byStructure[views[i].ID], func(e *essdir.Event) Event { return toEvent(e, editor) })
			views[i].Events = &list
		}
		return err
	})
	return failed
}

// mapAll maps records to their views; never nil, so an empty relation is [].
func mapAll[D, V any](in []*D, view func(*D) V) []V {
	out := make([]V, len(in))
	for i, x := range in {
		out[i] = view(x)
	}
	return out
}
