package main

import (
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	old := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(old) })
	for _, tc := range []struct {
		gogc string
		want int
	}{
		{"", defaultGCPercent},
		{"100", 100}, // the operator's GOGC, applied by the runtime, stays
		{"off", 100},
	} {
		debug.SetGCPercent(100)
		tuneGC(func(k string) string {
			if k == "GOGC" {
				return tc.gogc
			}
			return ""
		})
		if got := debug.SetGCPercent(100); got != tc.want {
			t.Errorf("GOGC=%q: GC percent %d, want %d", tc.gogc, got, tc.want)
		}
	}
}

func TestGCPercentFollowsTheLiveHeap(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		live uint64
		want int
	}{
		{0, defaultGCPercent},
		{5 * mib, defaultGCPercent},
		{12 * mib, defaultGCPercent}, // 400 % of it is exactly the headroom
		{16 * mib, 300},
		{32 * mib, 150},
		{89 * mib, 53},
		{192 * mib, 25},
		{900 * mib, gcMinPercent},
	} {
		got := gcPercentFor(tc.live)
		if got != tc.want {
			t.Errorf("live %d MiB: GC percent %d, want %d", tc.live/mib, got, tc.want)
		}
		if growth := tc.live * uint64(got) / 100; tc.live*defaultGCPercent/100 > gcHeadroom && got > gcMinPercent && growth > gcHeadroom {
			t.Errorf("live %d MiB: heap may grow by %d MiB, past the %d MiB headroom", tc.live/mib, growth/mib, gcHeadroom/mib)
		}
	}
}

func TestIdleTrimmer(t *testing.T) {
	const mib = 1 << 20
	trim := idleTrimmer{last: 100 * mib}
	for i, tc := range []struct {
		total uint64
		want  bool
	}{
		{101 * mib, false}, // quiet from the start: nothing to give back
		{102 * mib, false},
		{400 * mib, false}, // busy
		{900 * mib, false}, // still busy
		{901 * mib, true},  // gone quiet: give back once
		{902 * mib, false}, // still quiet: already given back
		{903 * mib, false},
		{950 * mib, false}, // busy again
		{950 * mib, true},
	} {
		if got := trim.quiet(tc.total); got != tc.want {
			t.Errorf("check %d (total %d MiB): quiet = %v, want %v", i, tc.total/mib, got, tc.want)
		}
	}
}
