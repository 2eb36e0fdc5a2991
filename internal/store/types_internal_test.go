package store

import (
	"sync"
	"testing"
)

// TestTextArrayConcurrently: text arrays are encoded and decoded by
// concurrent requests (filters, writes, GORM's schema parse at the first
// ones); with -race, a state they shared without a lock fails here, and
// outside it crashed the process ("concurrent map writes").
func TestTextArrayConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				a := textArray{"reuse", "food", string(rune('a' + g)), string(rune('a' + i%26))}
				v, err := a.Value()
				if err != nil {
					t.Error(err)
					return
				}
				var back textArray
				if err := back.Scan(v); err != nil || len(back) != 4 || back[2] != a[2] {
					t.Errorf("round trip of %v: %v, %v", a, back, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
