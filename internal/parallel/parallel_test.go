package parallel_test

import (
	"fmt"
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

// A panic in f reaches the caller, as in a plain loop (where the server's
// recovery answers a 500), rather than ending the process.
func TestForRaisesAPanicInTheCaller(t *testing.T) {
	for _, n := range []int{10, 1000} {
		func() {
			defer func() {
				if p := recover(); p != "item 700 of 1000" && p != "item 7 of 10" {
					t.Errorf("n=%d: recovered %v", n, p)
				}
			}()
			parallel.For(n, func(i int) {
				if i == n*7/10 {
					panic(fmt.Sprintf("item %d of %d", i, n))
				}
			})
			t.Errorf("n=%d: For returned after a panic", n)
		}()
	}
}
