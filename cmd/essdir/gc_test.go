package main

import (
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	gc, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(gc); debug.SetMemoryLimit(limit) })

	debug.SetGCPercent(100)
	debug.SetMemoryLimit(1 << 40)
	tuneGC(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != defaultGCPercent {
		t.Errorf("GOGC unset: GC percent %d, want %d", got, defaultGCPercent)
	}
	if got := debug.SetMemoryLimit(1 << 40); got != defaultMemoryLimit {
		t.Errorf("GOMEMLIMIT unset: memory limit %d, want %d", got, defaultMemoryLimit)
	}

	// The operator's own settings win (the runtime has applied them).
	tuneGC(func(name string) string { return map[string]string{"GOGC": "150", "GOMEMLIMIT": "1GiB"}[name] })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GOGC set: GC percent changed to %d", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("GOMEMLIMIT set: memory limit changed to %d", got)
	}
}

func TestTuneImportGC(t *testing.T) {
	gc := debug.SetGCPercent(defaultGCPercent)
	t.Cleanup(func() { debug.SetGCPercent(gc) })

	restore := tuneImportGC(func(string) string { return "" })
	if got := debug.SetGCPercent(importGCPercent); got != importGCPercent {
		t.Errorf("GOGC unset: GC percent %d during the import, want %d", got, importGCPercent)
	}
	restore()
	if got := debug.SetGCPercent(defaultGCPercent); got != defaultGCPercent {
		t.Errorf("GC percent %d after the import, want %d back", got, defaultGCPercent)
	}

	// The operator's own setting wins.
	restore = tuneImportGC(func(name string) string { return map[string]string{"GOGC": "300"}[name] })
	if got := debug.SetGCPercent(defaultGCPercent); got != defaultGCPercent {
		t.Errorf("GOGC set: GC percent changed to %d", got)
	}
	restore()
}
