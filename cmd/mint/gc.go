package main

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// defaultGCPercent is the collector's target when GOGC is not set. mint's
// live heap is a few MiB, so at Go's default of 100 it collects every few
// thousand tokens; at 400 the collector costs about half as much CPU under
// load (docs/performance.md has the runs).
const defaultGCPercent = 400

// tuneGC sets defaultGCPercent unless the operator set GOGC.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
}

// Idle trimming: how often the heap's growth is checked, and how little
// allocation in that time counts as idle (a token costs about 7 KB, so
// this is about 20 tokens a second).
const (
	idleCheckEvery = 30 * time.Second
	idleAllocBytes = 4 << 20
)

// releaseWhenIdle gives the heap's free memory back to the OS once, each
// time the process goes quiet after being busy. Under load the heap grows
// to about five times what is live (defaultGCPercent); when the load stops
// nothing allocates, so no collection comes to shrink it, and Go's runtime
// keeps what the last goal allowed: mint idled at ~48 MiB after a load
// instead of ~24 MiB.
func releaseWhenIdle(ctx context.Context) {
	sample := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	allocated := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	trim := idleTrimmer{last: allocated()}
	tick := time.NewTicker(idleCheckEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if trim.quiet(allocated()) {
			debug.FreeOSMemory()
		}
	}
}

// idleTrimmer decides, from the bytes allocated so far read at each check,
// when a busy process has gone quiet.
type idleTrimmer struct {
	last uint64
	busy bool
}

// quiet reports whether the process has just gone quiet: it allocated
// more than idleAllocBytes before the last check and less since.
func (t *idleTrimmer) quiet(total uint64) bool {
	since := total - t.last
	t.last = total
	if since > idleAllocBytes {
		t.busy = true
		return false
	}
	wasBusy := t.busy
	t.busy = false
	return wasBusy
}
