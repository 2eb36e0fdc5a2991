package api

import (
	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

// The partner rule (essdir.Client.AuthorizeWrite) guards every write of a
// sourced record; these helpers are how a handler applies it: one call per
// write handler. Other callers pass through untouched.

// writingPartner returns the caller's client when the caller is a partner,
// as stored now: a client disabled or deleted since its token was issued
// writes nothing, and a change of its moderation applies at once. nil for
// every other caller.
func (s *Server) writingPartner(c echo.Context) (*essdir.Client, error) {
	p := principalOf(c)
	if p == nil || p.Role != essdir.RolePartner {
		return nil, nil
	}
	return s.liveClient(c, p)
}

// authorizeCreate applies the partner rule to a new record before it is
// stored: its source is the partner's, its status the client's moderation
// unless named.
func (s *Server) authorizeCreate(c echo.Context, next essdir.Sourced) error {
	cl, err := s.writingPartner(c)
	if err != nil || cl == nil {
		return err
	}
	return cl.AuthorizeWrite(nil, next)
}

// authorizeChange wraps an update's change with the partner rule, judged on
// the locked row: the stored record must be the partner's before anything
// else (If-Match included) is looked at, and the new state must stay so.
func authorizeChange[D any, P interface {
	*D
	essdir.Sourced
}](s *Server, c echo.Context, change essdir.Change[D]) (essdir.Change[D], error) {
	cl, err := s.writingPartner(c)
	if err != nil || cl == nil {
		return change, err
	}
	return func(stored *D) (*D, essdir.Echo, error) {
		if err := hiddenFrom(cl, P(stored)); err != nil {
			return nil, essdir.Echo{}, err
		}
		if err := cl.AuthorizeWrite(P(stored), nil); err != nil {
			return nil, essdir.Echo{}, err
		}
		next, echoed, err := change(stored)
		if err != nil {
			return nil, echoed, err
		}
		return next, echoed, cl.AuthorizeWrite(P(stored), P(next))
	}, nil
}

// authorizeDelete wraps a delete's check with the partner rule.
func authorizeDelete[D any, P interface {
	*D
	essdir.Sourced
}](s *Server, c echo.Context, check func(*D) error) (func(*D) error, error) {
	cl, err := s.writingPartner(c)
	if err != nil || cl == nil {
		return check, err
	}
	return func(stored *D) error {
		if err := hiddenFrom(cl, P(stored)); err != nil {
			return err
		}
		if err := cl.AuthorizeWrite(P(stored), nil); err != nil {
			return err
		}
		return check(stored)
	}, nil
}

// hiddenFrom answers 404, as a read would, when the partner may not even see
// the stored record (another source's draft): a 403 there would tell other
// partners that the draft exists.
func hiddenFrom(cl *essdir.Client, stored essdir.Sourced) error {
	source, status := stored.Origin()
	if status != nil && *status != essdir.StatusPublished && *source != cl.Source {
		return essdir.Errorf(essdir.ENOTFOUND, "not found")
	}
	return nil
}
