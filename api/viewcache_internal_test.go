package api

import (
	"bytes"
	"testing"

	"github.com/google/uuid"
)

// TestViewCacheIsBoundedInBytes: the cache holds at most its bytes, however
// large the views (validation allows a structure of a few hundred KB), never
// keeps one above its entry bound, and drops the least recently used first.
func TestViewCacheIsBoundedInBytes(t *testing.T) {
	vc := newViewCache(64<<10, 8<<10)
	big := viewKey{uuid.New(), 1}
	vc.add(big, bytes.Repeat([]byte("x"), 8<<10+1))
	if vc.lru.Contains(big) || vc.size.Load() != 0 {
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
		if i == 50 {
			vc.lru.Get(keys[0]) // the first one, used: kept
		}
	}
	var held int64
	for _, k := range vc.lru.Keys() {
		b, _ := vc.lru.Peek(k)
		held += int64(len(b) + viewOverhead)
	}
	if held != vc.size.Load() || vc.lru.Len() < 10 {
		t.Fatalf("counted %d bytes, holds %d in %d views", vc.size.Load(), held, vc.lru.Len())
	}
	if !vc.lru.Contains(keys[99]) || vc.lru.Contains(keys[1]) {
		t.Fatal("not the least recently used dropped first")
	}
}
