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

// importGCPercent is the collector's setting during an import of
// structures when the operator sets no GOGC: Go's own default. An import's
// live heap is a few batches and the commune cache (~26 MB, whatever the
// file's size), so the server's headroom of 400 % made its peak RSS
// ~200 MB, against ~93 MB at 100 (100,000 rows), for a collector that
// takes ~6 % of its CPU, most of which waits for PostgreSQL anyway.
const importGCPercent = 100

// tuneImportGC applies importGCPercent where GOGC is unset, until restore.
func tuneImportGC(getenv func(string) string) (restore func()) {
	if getenv("GOGC") != "" {
		return func() {}
	}
	before := debug.SetGCPercent(importGCPercent)
	return func() { debug.SetGCPercent(before) }
}
