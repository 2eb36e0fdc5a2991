// Package parallel spreads independent per-item work of a batch (a bulk
// body's items decoded, a batch's items checked) over the cores.
package parallel

import (
	"runtime"
	"sync"
)

// For calls f for 0..n-1, on every core when n is large enough to be worth
// it (64 items a core at least), in contiguous chunks; f must not depend
// on the order of the calls. A panic in f is raised again in the caller's
// goroutine once every chunk has stopped, where the server's recovery
// answers it (a panic in a goroutine of its own would end the process).
func For(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/64)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	var once sync.Once
	var panicked any
	chunk := (n + workers - 1) / workers
	for from := 0; from < n; from += chunk {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					once.Do(func() { panicked = p })
				}
			}()
			for i := from; i < min(from+chunk, n); i++ {
				f(i)
			}
		})
	}
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
}
