package main

import "runtime/debug"

// The collector's settings when the operator sets neither of Go's own
// variables. A request allocates ~90 KB (a list of 20) and keeps almost
// nothing, so with Go's default (GOGC=100) the live heap stays a few MB and
// the collector runs every few dozen requests: on the 1M-structure
// benchmark a list then cost 403 µs of the server's CPU, 251 µs at
// GOGC=400 (peak RSS 34 → 44 MB; docs/BENCHMARKS.md). The soft limit keeps
// that headroom from growing without bound when the live heap is large
// (concurrent bulk bodies): nearing it, the collector runs more often.
const (
	defaultGCPercent   = 400
	defaultMemoryLimit = 512 << 20 // bytes
)

// tuneGC applies the defaults above where GOGC and GOMEMLIMIT are unset.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}
