package main

import "runtime/debug"

// defaultGCPercent is the collector's target when GOGC is not set. mint's
// live heap is a few MiB, so at Go's default of 100 it collects every few
// thousand tokens; at 400 the collector costs about half as much CPU under
// load, for about 35 MiB more at peak (docs/performance.md has the runs).
const defaultGCPercent = 400

// tuneGC sets defaultGCPercent unless the operator set GOGC.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
}
