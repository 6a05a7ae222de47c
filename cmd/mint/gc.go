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

// tuneGC sets defaultGCPercent unless the operator set GOGC, and reports
// whether it did: only then may followLiveHeap move it.
func tuneGC(getenv func(string) string) bool {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
		return true
	}
	return false
}

// The heap may grow past what is live by at most gcHeadroom once the live
// heap is large enough for defaultGCPercent to allow more; gcMinPercent
// keeps collections from running back to back when the live heap is huge
// (a store cache of a million clients). 48 MiB, not 64: at 100k cached
// clients (~89 MiB live) the heap's goal was 153 MiB and the RSS 196–215
// MiB (the binary, the runtime's own memory and SQLite's pages come on
// top, ~50–60 MiB), over issue 16's 200 MiB; at 48 the goal is ~137 MiB.
// The price is a collection every 48 MiB allocated instead of 64.
const (
	gcHeadroom   = 48 << 20
	gcMinPercent = 25
	gcFollowTick = time.Second
)

// gcPercentFor is the collector's target for a live heap of live bytes:
// defaultGCPercent while 400 % of it is under gcHeadroom, then what keeps
// the heap's growth at gcHeadroom, never under gcMinPercent. A few MiB live
// (one client, or a few thousand) keep the fast setting; the store cache of
// 100k clients (~89 MiB live with the rest, docs/scale-cache.md) grows to
// ~137 MiB instead of the ~445 MiB that 400 % allows.
func gcPercentFor(live uint64) int {
	if live == 0 || live*defaultGCPercent/100 <= gcHeadroom {
		return defaultGCPercent
	}
	return max(int(gcHeadroom*100/live), gcMinPercent)
}

// followLiveHeap sets the collector's target from the live heap every
// gcFollowTick, changing it only when it moves by more than a tenth, until
// ctx is done.
func followLiveHeap(ctx context.Context) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	current := defaultGCPercent
	tick := time.NewTicker(gcFollowTick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return
		}
		want := gcPercentFor(sample[0].Value.Uint64())
		if want*10 < current*9 || want*10 > current*11 {
			debug.SetGCPercent(want)
			current = want
		}
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
