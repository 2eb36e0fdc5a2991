package parallel_test

import (
	"sync/atomic"
	"testing"

	"github.com/essdir/essdir/internal/parallel"
)

// Every index is called once, whatever the split.
func TestForCallsEachIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 63, 64, 129, 1000, 1001} {
		calls := make([]atomic.Int32, n)
		parallel.For(n, func(i int) { calls[i].Add(1) })
		for i := range calls {
			if c := calls[i].Load(); c != 1 {
				t.Fatalf("n=%d: index %d called %d times", n, i, c)
			}
		}
	}
}
