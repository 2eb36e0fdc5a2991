package api

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"

	gojson "github.com/goccy/go-json"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

// viewCache keeps the encoded JSON of the structures anonymous lists
// showed last, keyed by the record and the digest of its stored row. The
// page's rows are still read from PostgreSQL at every request, so a list is
// never staler than its SQL: the store offers each row's id and digest
// (essdir.List.Known) before decoding it, and a row whose view is here is
// not decoded, mapped nor encoded again. The digest covers every stored
// value the view is made of, so any change (through the API or not) misses
// the cache. Only the anonymous view is kept: it holds no personal data
// (contacts are for editors), so nothing a delete or an edit erases
// lingers here, and editors' lists are few. Entries are immutable; past
// maxBytes the oldest not read since they were last passed over go (the
// "second chance" approximation of least recently used), and a view larger
// than maxEntry (validation allows a structure of a few hundred KB) is
// never kept.
//
// A lookup is on every row of every anonymous list, so it only reads a
// map under its shard's read lock and sets a bit: golang-lru's, which took
// its one lock and moved the entry in a list, was 4 % of the CPU of a list
// of 20. Adds and evictions take the cache's lock.
type viewCache struct {
	shards [viewShards]viewShard
	mu     sync.Mutex // adds and evictions: queue and size
	queue  []viewKey  // in the order the views came, the next to pass over first
	size   atomic.Int64
	// bounds: bytes held (entries' overhead included), bytes of one view
	maxBytes int64
	maxEntry int
}

type viewKey struct {
	id     uuid.UUID
	digest uint64
}

type viewShard struct {
	sync.RWMutex
	views map[viewKey]*cachedView
}

type cachedView struct {
	json []byte
	read atomic.Bool // since the eviction last passed over it
}

// The cache's bounds: 8 MiB, about 8,000 structures of the usual 1 KB, and
// no view above 32 KB.
const (
	viewCacheBytes = 8 << 20
	viewCacheEntry = 32 << 10
	viewOverhead   = 128 // a key, its map slot and its place in the queue, roughly
	viewShards     = 16  // the digest picks the shard
)

func newViewCache(maxBytes int64, maxEntry int) *viewCache {
	vc := &viewCache{maxBytes: maxBytes, maxEntry: maxEntry}
	for i := range vc.shards {
		vc.shards[i].views = map[viewKey]*cachedView{}
	}
	return vc
}

func (vc *viewCache) shard(key viewKey) *viewShard { return &vc.shards[key.digest%viewShards] }

// get is the view of key, if held, marked read.
func (vc *viewCache) get(key viewKey) ([]byte, bool) {
	sh := vc.shard(key)
	sh.RLock()
	v := sh.views[key]
	sh.RUnlock()
	if v == nil {
		return nil, false
	}
	if !v.read.Load() { // a write only when it changes: the line stays shared
		v.read.Store(true)
	}
	return v.json, true
}

// knownTo returns the List.Known of one request: it looks each offered row
// up and keeps the views it finds for the request (a search may read more
// than once before it answers; the cache may drop them meanwhile).
func (vc *viewCache) knownTo(hits *viewHits) func(uuid.UUID, uint64) bool {
	return func(id uuid.UUID, digest uint64) bool {
		key := viewKey{id, digest}
		b, ok := vc.get(key)
		if ok {
			hits.views = append(hits.views, viewHit{key, b})
		}
		return ok
	}
}

// viewHits are the views one request found, in the order it found them.
// A page's rows are offered in its order (a plain list offers each once),
// so each is looked for from where the last was found: a map cost more
// than the whole search.
type viewHits struct {
	views []viewHit
	next  int
}

type viewHit struct {
	key  viewKey
	json []byte
}

func (h *viewHits) find(key viewKey) ([]byte, bool) {
	for n, i := len(h.views), 0; i < n; i++ {
		j := (h.next + i) % n
		if h.views[j].key == key {
			h.next = j + 1
			return h.views[j].json, true
		}
	}
	return nil, false
}

// add keeps one view, then passes over the oldest past maxBytes: one read
// since is kept (and queued again, unread), another dropped.
func (vc *viewCache) add(key viewKey, b []byte) {
	if len(b) > vc.maxEntry {
		return
	}
	vc.mu.Lock()
	defer vc.mu.Unlock()
	sh := vc.shard(key)
	sh.Lock()
	_, found := sh.views[key]
	if !found {
		sh.views[key] = &cachedView{json: b}
	}
	sh.Unlock()
	if found {
		return // the same row's view: the same bytes
	}
	vc.queue = append(vc.queue, key)
	vc.size.Add(int64(len(b) + viewOverhead))
	// A view is passed over twice (read, then not) unless readers mark it
	// again meanwhile: past a second round, the oldest goes whatever its
	// mark, so that this ends under any reads.
	for passes := 2 * len(vc.queue); vc.size.Load() > vc.maxBytes && len(vc.queue) > 0; passes-- {
		oldest := vc.queue[0]
		vc.queue = vc.queue[1:]
		sh := vc.shard(oldest)
		sh.Lock()
		v := sh.views[oldest]
		if v.read.Load() && passes > 0 {
			v.read.Store(false)
			vc.queue = append(vc.queue, oldest)
		} else {
			delete(sh.views, oldest)
			vc.size.Add(-int64(len(v.json) + viewOverhead))
		}
		sh.Unlock()
	}
}

// writeStructurePage answers an anonymous page read with the cache's help: the
// envelope {data, meta} written around each item's JSON, the cached ones
// as they are, the others encoded and kept. The body is byte for byte the
// one writePage would encode (TestListFromViewCache).
func (s *Server) writeStructurePage(c echo.Context, page *essdir.Page[essdir.Structure], hits *viewHits) error {
	body := bodyBuffers.Get().(*bytes.Buffer)
	defer func() {
		if body.Cap() <= maxPooledBody {
			bodyBuffers.Put(body)
		}
	}()
	body.Reset()
	body.WriteString(`{"data":[`)
	for i, st := range page.Items {
		if i > 0 {
			body.WriteByte(',')
		}
		key := viewKey{page.IDs[i], page.Digests[i]}
		if page.Known[i] { // no item: the view is in hits
			b, ok := hits.find(key)
			if !ok {
				return fmt.Errorf("api: the store knew structure %s, the cache did not", page.IDs[i])
			}
			body.Write(b)
			continue
		}
		b, err := gojson.Marshal(toStructure(st, false))
		if err != nil {
			return err
		}
		s.views.add(key, b)
		body.Write(b)
	}
	meta, err := gojson.Marshal(pageMeta(c, page))
	if err != nil {
		return err
	}
	body.WriteString(`],"meta":`)
	body.Write(meta)
	body.WriteByte('}')
	return writeCachedBody(c, body.Bytes())
}
