package api

import (
	"bytes"
	"fmt"
	"sync/atomic"

	gojson "github.com/goccy/go-json"
	"github.com/google/uuid"
	lru "github.com/hashicorp/golang-lru/v2"
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
// lingers here, and editors' lists are few. Entries are immutable; the
// least recently used go past maxBytes, and a view larger than maxEntry
// (validation allows a structure of a few hundred KB) is never kept.
type viewCache struct {
	lru      *lru.Cache[viewKey, []byte]
	size     atomic.Int64 // bytes held, entries' overhead included
	maxBytes int64
	maxEntry int
}

type viewKey struct {
	id     uuid.UUID
	digest uint64
}

// The cache's bounds: 8 MiB, about 8,000 structures of the usual 1 KB, and
// no view above 32 KB.
const (
	viewCacheBytes = 8 << 20
	viewCacheEntry = 32 << 10
	viewOverhead   = 128 // a key and its list element, roughly
)

func newViewCache(maxBytes int64, maxEntry int) *viewCache {
	vc := &viewCache{maxBytes: maxBytes, maxEntry: maxEntry}
	// The entry count is no bound of its own: the bytes are.
	c, err := lru.NewWithEvict(int(maxBytes/viewOverhead)+1, func(_ viewKey, b []byte) {
		vc.size.Add(-int64(len(b) + viewOverhead))
	})
	if err != nil { // only for a size below 1
		panic(err)
	}
	vc.lru = c
	return vc
}

// knownTo returns the List.Known of one request: it looks each offered row
// up and keeps the views it finds for the request (a search may read more
// than once before it answers; the cache may drop them meanwhile).
func (vc *viewCache) knownTo(hits map[viewKey][]byte) func(uuid.UUID, uint64) bool {
	return func(id uuid.UUID, digest uint64) bool {
		key := viewKey{id, digest}
		b, ok := vc.lru.Get(key)
		if ok {
			hits[key] = b
		}
		return ok
	}
}

// add keeps one view, then drops the least recently used past maxBytes.
func (vc *viewCache) add(key viewKey, b []byte) {
	if len(b) > vc.maxEntry {
		return
	}
	if found, _ := vc.lru.ContainsOrAdd(key, b); found {
		return // the same row's view: the same bytes
	}
	vc.size.Add(int64(len(b) + viewOverhead))
	for vc.size.Load() > vc.maxBytes {
		if _, _, ok := vc.lru.RemoveOldest(); !ok {
			return
		}
	}
}

// writeStructurePage answers an anonymous page read with the cache's help: the
// envelope {data, meta} written around each item's JSON, the cached ones
// as they are, the others encoded and kept. The body is byte for byte the
// one writePage would encode (TestListFromViewCache).
func (s *Server) writeStructurePage(c echo.Context, page *essdir.Page[essdir.Structure], hits map[viewKey][]byte) error {
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
			b, ok := hits[key]
			if !ok {
				return fmt.Errorf("api: the store knew structure %s, the cache did not", st.ID)
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
