package store

import (
	"context"
	"sync"

	"github.com/essdir/essdir/internal/essdir"
)

// memoGeography answers the geography lookups of one batch of writes, each
// distinct question asked of the database once: a thousand structures of
// the same few communes cost a few lookups, not thousands. It lives as
// long as one batch (the geography does not change within a transaction)
// and may be asked from several goroutines at once: the memo is locked,
// and so is the transaction it asks (one question at a time).
type memoGeography struct {
	mu   sync.Mutex
	geo  essdir.Geography
	snap *communeSnapshot // when set, answers the commune questions

	communes map[string]answer[*essdir.Commune]
	former   map[string]answer[formerAnswer]
	postal   map[string]answer[[]essdir.Commune]
	depts    map[string]answer[*essdir.Department]
	regions  map[string]answer[*essdir.Region]
	epcis    map[string]answer[*essdir.EPCI]
}

type answer[V any] struct {
	v   V
	err error
}

type formerAnswer struct {
	successor string
	ok        bool
}

func newMemoGeography(geo essdir.Geography) *memoGeography {
	return &memoGeography{geo: geo, communes: map[string]answer[*essdir.Commune]{},
		former: map[string]answer[formerAnswer]{}, postal: map[string]answer[[]essdir.Commune]{},
		depts: map[string]answer[*essdir.Department]{}, regions: map[string]answer[*essdir.Region]{},
		epcis: map[string]answer[*essdir.EPCI]{}}
}

// memo answers key from m, asking f the first time, under mu.
func memo[V any](mu *sync.Mutex, m map[string]answer[V], key string, f func() (V, error)) (V, error) {
	mu.Lock()
	defer mu.Unlock()
	if a, ok := m[key]; ok {
		return a.v, a.err
	}
	v, err := f()
	m[key] = answer[V]{v, err}
	return v, err
}

func (g *memoGeography) Commune(ctx context.Context, insee string) (*essdir.Commune, error) {
	if g.snap != nil {
		return g.snap.commune(insee)
	}
	return memo(&g.mu, g.communes, insee, func() (*essdir.Commune, error) { return g.geo.Commune(ctx, insee) })
}

func (g *memoGeography) FormerCommune(ctx context.Context, code string) (string, bool, error) {
	if g.snap != nil {
		successor, ok := g.snap.formerCommune(code)
		return successor, ok, nil
	}
	a, err := memo(&g.mu, g.former, code, func() (formerAnswer, error) {
		s, ok, err := g.geo.FormerCommune(ctx, code)
		return formerAnswer{s, ok}, err
	})
	return a.successor, a.ok, err
}

func (g *memoGeography) CommunesByPostalCode(ctx context.Context, postal string) ([]essdir.Commune, error) {
	if g.snap != nil {
		return g.snap.communesByPostalCode(postal), nil
	}
	return memo(&g.mu, g.postal, postal, func() ([]essdir.Commune, error) { return g.geo.CommunesByPostalCode(ctx, postal) })
}

func (g *memoGeography) SearchCommunes(ctx context.Context, q string, limit int) ([]essdir.Commune, error) {
	return g.geo.SearchCommunes(ctx, q, limit) // not a write's question: never memoised
}

func (g *memoGeography) Department(ctx context.Context, code string) (*essdir.Department, error) {
	return memo(&g.mu, g.depts, code, func() (*essdir.Department, error) { return g.geo.Department(ctx, code) })
}

func (g *memoGeography) Region(ctx context.Context, code string) (*essdir.Region, error) {
	return memo(&g.mu, g.regions, code, func() (*essdir.Region, error) { return g.geo.Region(ctx, code) })
}

func (g *memoGeography) EPCI(ctx context.Context, siren string) (*essdir.EPCI, error) {
	return memo(&g.mu, g.epcis, siren, func() (*essdir.EPCI, error) { return g.geo.EPCI(ctx, siren) })
}
