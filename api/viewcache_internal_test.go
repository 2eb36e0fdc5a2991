package api

import (
	"bytes"
	"sync"
	"testing"

	"github.com/google/uuid"
)

// TestViewCacheIsBoundedInBytes: the cache holds at most its bytes, however
// large the views (validation allows a structure of a few hundred KB), never
// keeps one above its entry bound, and drops a view read since it was last
// passed over after those that were not.
func TestViewCacheIsBoundedInBytes(t *testing.T) {
	vc := newViewCache(64<<10, 8<<10)
	big := viewKey{uuid.New(), 1}
	vc.add(big, bytes.Repeat([]byte("x"), 8<<10+1))
	if _, ok := vc.get(big); ok || vc.size.Load() != 0 {
		t.Fatal("a view above the entry bound is kept")
	}
	var keys []viewKey
	for i := range 100 {
		k := viewKey{uuid.New(), uint64(i)}
		keys = append(keys, k)
		vc.add(k, bytes.Repeat([]byte("y"), 4<<10))
		vc.add(k, bytes.Repeat([]byte("y"), 4<<10)) // the same view again: counted once
		if got := vc.size.Load(); got > 64<<10 {
			t.Fatalf("after %d views the cache holds %d bytes", i+1, got)
		}
		vc.get(keys[0]) // the first one, read all along: kept
	}
	var held int64
	for i := range vc.shards {
		for _, v := range vc.shards[i].views {
			held += int64(len(v.json) + viewOverhead)
		}
	}
	if held != vc.size.Load() || vc.len() < 10 || len(vc.queue) != vc.len() {
		t.Fatalf("counted %d bytes, holds %d in %d views, %d queued", vc.size.Load(), held, vc.len(), len(vc.queue))
	}
	if _, ok := vc.get(keys[99]); !ok {
		t.Fatal("the newest view is dropped")
	}
	if _, ok := vc.get(keys[0]); !ok {
		t.Fatal("a view read all along is dropped")
	}
	if _, ok := vc.get(keys[1]); ok {
		t.Fatal("an old view never read is kept")
	}
}

// TestViewCacheConcurrently: readers and writers at once (run with -race)
// leave the cache within its bounds and its count exact.
func TestViewCacheConcurrently(t *testing.T) {
	vc := newViewCache(32<<10, 4<<10)
	keys := make([]viewKey, 200)
	for i := range keys {
		keys[i] = viewKey{uuid.New(), uint64(i) * 7}
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				k := keys[(i*(w+1))%len(keys)]
				if b, ok := vc.get(k); ok && len(b) != 1000+int(k.digest%7) {
					t.Errorf("another view under %v", k)
				}
				vc.add(k, bytes.Repeat([]byte("z"), 1000+int(k.digest%7)))
			}
		})
	}
	wg.Wait()
	var held int64
	for i := range vc.shards {
		for _, v := range vc.shards[i].views {
			held += int64(len(v.json) + viewOverhead)
		}
	}
	if held != vc.size.Load() || held > 32<<10 || len(vc.queue) != vc.len() {
		t.Fatalf("holds %d bytes, counted %d, %d views, %d queued", held, vc.size.Load(), vc.len(), len(vc.queue))
	}
}

// TestViewHitsFind: a request's views are found whatever the order they
// are asked for in (a search may offer rows more than once, or in another
// order than the page's), and a view not found is not made up.
func TestViewHitsFind(t *testing.T) {
	var h viewHits
	keys := []viewKey{{uuid.New(), 1}, {uuid.New(), 2}, {uuid.New(), 3}}
	for i, k := range keys {
		h.views = append(h.views, viewHit{k, []byte{byte('a' + i)}})
	}
	h.views = append(h.views, viewHit{keys[0], []byte{'a'}}) // offered twice
	for _, order := range [][]int{{0, 1, 2}, {2, 1, 0}, {1, 0, 2, 0, 1}} {
		for _, i := range order {
			if b, ok := h.find(keys[i]); !ok || string(b) != string(rune('a'+i)) {
				t.Fatalf("order %v: key %d found %q, %v", order, i, b, ok)
			}
		}
	}
	if _, ok := h.find(viewKey{keys[0].id, 9}); ok {
		t.Fatal("another digest of a row found")
	}
	if _, ok := (&viewHits{}).find(keys[0]); ok {
		t.Fatal("found in nothing")
	}
}

// len is the number of views held (the tests' count).
func (vc *viewCache) len() int {
	n := 0
	for i := range vc.shards {
		sh := &vc.shards[i]
		sh.RLock()
		n += len(sh.views)
		sh.RUnlock()
	}
	return n
}
