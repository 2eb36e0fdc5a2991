package api

import (
	"bytes"
	"fmt"

	gojson "github.com/goccy/go-json"
	"github.com/google/uuid"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/labstack/echo/v4"

	"github.com/essdir/essdir/internal/essdir"
)

// viewCache keeps the encoded JSON of the structures lists showed last,
// keyed by the record, the digest of its stored row and the view's variant
// (editors see contacts). The page's rows are still read from PostgreSQL
// at every request, so a list is never staler than its SQL: the store
// offers each row's id and digest (essdir.List.Known) before decoding it,
// and a row whose view is here is not decoded, mapped nor encoded again.
// The digest covers every stored value the view is made of, so any change
// (through the API or not) misses the cache. Entries are immutable; the
// oldest are dropped past viewCacheSize.
type viewCache struct {
	lru *lru.Cache[viewKey, []byte]
}

type viewKey struct {
	id     uuid.UUID
	digest uint64
	editor bool
}

// viewCacheSize bounds the cache: about 1 KB an entry, so 8 MB at most.
const viewCacheSize = 8192

func newViewCache() *viewCache {
	c, err := lru.New[viewKey, []byte](viewCacheSize)
	if err != nil { // only for a size below 1
		panic(err)
	}
	return &viewCache{c}
}

// knownTo returns the List.Known of one request: it looks each offered row
// up and keeps the views it finds for the request (a search may read more
// than once before it answers; the cache may drop them meanwhile).
func (vc *viewCache) knownTo(editor bool, hits map[viewKey][]byte) func(uuid.UUID, uint64) bool {
	return func(id uuid.UUID, digest uint64) bool {
		key := viewKey{id, digest, editor}
		b, ok := vc.lru.Get(key)
		if ok {
			hits[key] = b
		}
		return ok
	}
}

// writeStructurePage answers a page read with the cache's help: the
// envelope {data, meta} written around each item's JSON, the cached ones
// as they are, the others encoded and kept. The body is byte for byte the
// one writePage would encode (TestListFromViewCache).
func (s *Server) writeStructurePage(c echo.Context, page *essdir.Page[essdir.Structure], hits map[viewKey][]byte, editor bool) error {
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
		key := viewKey{st.ID, page.Digests[i], editor}
		if page.Known[i] { // the item may be a head only
			b, ok := hits[key]
			if !ok {
				return fmt.Errorf("api: the store knew structure %s, the cache did not", st.ID)
			}
			body.Write(b)
			continue
		}
		b, err := gojson.Marshal(toStructure(st, editor))
		if err != nil {
			return err
		}
		s.views.lru.Add(key, b)
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
