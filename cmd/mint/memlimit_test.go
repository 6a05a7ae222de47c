package main

import (
	"errors"
	"flag"
	"io"
	"io/fs"
	"math"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/server"
)

func TestParseBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true},
		{"1000", 1000, true},
		{"200B", 200, true},
		{"64KiB", 64 << 10, true},
		{"512MiB", 512 << 20, true},
		{"3GiB", 3 << 30, true},
		{"2TiB", 2 << 40, true},
		{"off", -1, true},
		{"", 0, false},
		{"MiB", 0, false},
		{"-5MiB", 0, false},
		{"+5MiB", 0, false},
		{"5 MiB", 0, false},
		{"5mib", 0, false},
		{"5MB", 0, false}, // GOMEMLIMIT has no decimal units either
		{"1.5GiB", 0, false},
		{"8388608TiB", 0, false}, // 2^63: past int64
		{"9223372036854775807", math.MaxInt64, true},
		{"9223372036854775808", 0, false},
		{"OFF", 0, false},
	} {
		got, err := parseBytes(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("parseBytes(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func FuzzParseBytes(f *testing.F) {
	for _, s := range []string{"512MiB", "off", "1", "TiB", "99999999999999999999GiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseBytes(s)
		if err == nil && n < -1 {
			t.Errorf("parseBytes(%q) = %d", s, n)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("error of several lines: %q", err)
		}
	})
}

// The limit: GOMEMLIMIT wins (the runtime applied it), then the flag or
// MINT_MEMORY_LIMIT, then 90 % of a cgroup's limit, else none.
func TestMemoryLimit(t *testing.T) {
	noFiles := func(string) ([]byte, error) { return nil, fs.ErrNotExist }
	files := func(m map[string]string) func(string) ([]byte, error) {
		return func(name string) ([]byte, error) {
			if v, ok := m[name]; ok {
				return []byte(v), nil
			}
			return nil, fs.ErrNotExist
		}
	}
	const v2, v1 = "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"
	for _, tc := range []struct {
		name      string
		env       map[string]string
		args      []string
		read      func(string) ([]byte, error)
		want      int64
		wantFrom  string
		wantError bool
	}{
		{"nothing set, no cgroup", nil, nil, noFiles, -1, "none", false},
		{"cgroup v2", nil, nil, files(map[string]string{v2: "1073741824\n"}), 966367641, "cgroup", false},
		{"cgroup v2 without limit", nil, nil, files(map[string]string{v2: "max\n"}), -1, "none", false},
		{"cgroup v1", nil, nil, files(map[string]string{v1: "536870912\n"}), 483183820, "cgroup", false},
		{"cgroup v1 without limit", nil, nil, files(map[string]string{v1: "9223372036854771712\n"}), -1, "none", false},
		{"cgroup file unreadable", nil, nil, func(string) ([]byte, error) { return nil, errors.New("EACCES") }, -1, "none", false},
		{"env", map[string]string{"MINT_MEMORY_LIMIT": "300MiB"}, nil, files(map[string]string{v2: "1073741824"}), 300 << 20, "--memory-limit", false},
		{"flag over env", map[string]string{"MINT_MEMORY_LIMIT": "300MiB"}, []string{"-memory-limit", "off"}, noFiles, -1, "--memory-limit", false},
		{"GOMEMLIMIT wins", map[string]string{"GOMEMLIMIT": "100MiB", "MINT_MEMORY_LIMIT": "300MiB"}, []string{"-memory-limit", "1GiB"}, noFiles, -1, "GOMEMLIMIT", false},
		{"bad flag", nil, []string{"-memory-limit", "lots"}, noFiles, 0, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fset := flag.NewFlagSet("test", flag.ContinueOnError)
			fset.SetOutput(io.Discard)
			c := cacheFlags{readFile: tc.read}
			c.register(fset, func(k string) string { return tc.env[k] })
			c.readFile = tc.read
			if err := fset.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			var cfg server.Config
			err := c.apply(&cfg)
			if (err != nil) != tc.wantError {
				t.Fatalf("apply: %v; want error %v", err, tc.wantError)
			}
			if err == nil && (c.limit != tc.want || c.limitFrom != tc.wantFrom) {
				t.Errorf("limit %d from %s; want %d from %s", c.limit, c.limitFrom, tc.want, tc.wantFrom)
			}
		})
	}
}

// setMemoryLimit sets the runtime's limit, and leaves GOMEMLIMIT's alone.
func TestSetMemoryLimit(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })
	setMemoryLimit(300<<20, "--memory-limit")
	if got := debug.SetMemoryLimit(-1); got != 300<<20 {
		t.Errorf("limit %d, want 300 MiB", got)
	}
	setMemoryLimit(-1, "none")
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("limit %d, want none", got)
	}
	debug.SetMemoryLimit(100 << 20)
	setMemoryLimit(-1, "GOMEMLIMIT")
	if got := debug.SetMemoryLimit(-1); got != 100<<20 {
		t.Errorf("limit %d; GOMEMLIMIT's 100 MiB should stay", got)
	}
}
