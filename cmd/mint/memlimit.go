package main

import (
	"fmt"
	"math"
	"runtime/debug"
	"strconv"
	"strings"
)

// The soft memory limit of mint serve (runtime/debug.SetMemoryLimit):
// near it the collector runs more often, so the process stays under it
// while what is live fits, instead of growing to what GOGC allows (docs
// /serving.md "Memory and the garbage collector"). It is soft: a live
// heap larger than the limit is not refused, the collector then only
// works harder (Go caps that at about half the CPU).
//
// Default: GOMEMLIMIT when the operator set it (the runtime applies it, as
// it does GOGC); else 90 % of the memory limit of the process's cgroup (a
// container's), so that the collector works harder before the kernel
// kills the process; else none, and followLiveHeap alone bounds the heap.
const cgroupLimitShare = 0.9

// cgroupMemoryFiles are where cgroup v2 and v1 give the memory limit.
var cgroupMemoryFiles = []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}

// cgroupMemoryLimit returns the cgroup's memory limit, if there is one.
// cgroup v2 writes "max" for none, v1 a number near 2^63.
func cgroupMemoryLimit(readFile func(string) ([]byte, error)) (int64, bool) {
	for _, name := range cgroupMemoryFiles {
		b, err := readFile(name)
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || n <= 0 || n >= 1<<60 {
			return 0, false
		}
		return n, true
	}
	return 0, false
}

// parseBytes reads a size as GOMEMLIMIT writes it: a number of bytes with
// an optional unit B, KiB, MiB, GiB or TiB; "off" is no limit (-1).
func parseBytes(s string) (int64, error) {
	if s == "off" {
		return -1, nil
	}
	units := []struct {
		suffix string
		shift  uint
	}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}}
	num, shift := s, uint(0)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			num, shift = strings.TrimSuffix(s, u.suffix), u.shift
			break
		}
	}
	n, err := strconv.ParseUint(num, 10, 63)
	if err != nil || num == "" || num[0] == '+' {
		return 0, fmt.Errorf("%q is not a size (bytes, or a number with B, KiB, MiB, GiB or TiB; or off)", s)
	}
	if n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return int64(n << shift), nil
}

// memoryLimit decides the limit from the flag's value (empty: not given),
// the environment and the cgroup; limit -1 is none. from says which.
func memoryLimit(flagValue string, getenv func(string) string, readFile func(string) ([]byte, error)) (limit int64, from string, err error) {
	if getenv("GOMEMLIMIT") != "" {
		return -1, "GOMEMLIMIT", nil // the runtime has applied it
	}
	if flagValue != "" {
		n, err := parseBytes(flagValue)
		if err != nil {
			return 0, "", fmt.Errorf("--memory-limit: %w", err)
		}
		return n, "--memory-limit", nil
	}
	if n, ok := cgroupMemoryLimit(readFile); ok {
		return int64(float64(n) * cgroupLimitShare), "cgroup", nil
	}
	return -1, "none", nil
}

// setMemoryLimit applies memoryLimit's answer, unless GOMEMLIMIT did.
func setMemoryLimit(limit int64, from string) {
	if from == "GOMEMLIMIT" {
		return
	}
	if limit < 0 {
		limit = math.MaxInt64 // the runtime's "no limit"
	}
	debug.SetMemoryLimit(limit)
}
