package logline

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestFastLineMatchesSlog: for every value the fast path takes, its line
// is the one slog's handler writes for the same record (the time aside,
// which is read twice), in both formats; for every value it refuses, it
// writes nothing.
func TestFastLineMatchesSlog(t *testing.T) {
	const msg = "token issued"
	tests := []struct {
		name               string
		clientID, audience string
		scopes             []string
		jti                string
		fast               bool
	}{
		{"two scopes", "cli_0123456789abcdefABCDEF012345", "https://api.example.com", []string{"read:orders", "write:orders"}, "AbCd-_09", true},
		{"one scope", "cli_1", "https://api.example.com/x?y", []string{"read"}, "j", true},
		{"no scope", "cli_1", "urn:api", []string{}, "j", true},
		{"nil scopes", "cli_1", "urn:api", nil, "j", true},
		{"html", "cli_1", "https://a.example/<x>&y", []string{"a<b"}, "j", true},
		{"three scopes", "c", "a", []string{"x", "y", "z"}, "j", true},
		{"equals in audience", "cli_1", "https://api.example.com/?a=b", nil, "j", false},
		{"space in client", "cli 1", "a", nil, "j", false},
		{"quote in scope", "c", "a", []string{`x"y`}, "j", false},
		{"backslash", `c\d`, "a", nil, "j", false},
		{"control", "c\n", "a", nil, "j", false},
		{"non-ASCII", "c", "https://bücher.example", nil, "j", false},
		{"invalid UTF-8", "c\xff", "a", nil, "j", false},
		{"U+2028", "c\u2028", "a", nil, "j", false},
		{"empty audience", "c", "", nil, "j", false},
		{"empty scope", "c", "a", []string{""}, "j", false},
	}
	for _, format := range []string{"json", "text"} {
		for _, tc := range tests {
			t.Run(format+"/"+tc.name, func(t *testing.T) {
				var fast, slow bytes.Buffer
				hf := New(&fast, format, &slog.HandlerOptions{Level: slog.LevelInfo})
				ok := hf.TokenIssued(context.Background(), msg, tc.clientID, tc.audience, tc.scopes, tc.jti)
				if ok != tc.fast {
					t.Fatalf("fast path taken = %v, want %v", ok, tc.fast)
				}
				if !ok {
					if fast.Len() != 0 {
						t.Fatalf("refused, yet wrote %q", fast.String())
					}
					return
				}
				slog.New(New(&slow, format, &slog.HandlerOptions{Level: slog.LevelInfo})).LogAttrs(context.Background(), slog.LevelInfo, msg,
					slog.String("client_id", tc.clientID), slog.String("audience", tc.audience),
					slog.Any("scopes", tc.scopes), slog.String("jti", tc.jti))
				if got, want := withoutTime(t, fast.String()), withoutTime(t, slow.String()); got != want {
					t.Errorf("fast line\n%s\nslog's line\n%s", got, want)
				}
			})
		}
	}
}

// withoutTime cuts the time value (its format is checked by
// TestTimeFormat) out of a line.
func withoutTime(t *testing.T, line string) string {
	t.Helper()
	for _, p := range []struct{ prefix, end string }{{`{"time":"`, `"`}, {"time=", " "}} {
		if rest, ok := strings.CutPrefix(line, p.prefix); ok {
			if _, after, ok := strings.Cut(rest, p.end); ok {
				return p.prefix + "T" + p.end + after
			}
		}
	}
	t.Fatalf("line %q starts with no time", line)
	return ""
}

// TestTimeFormat: the fast path writes a record's time as slog's
// handlers do, across the cases where a naive format differs: trailing
// zeros, a truncated (not rounded) millisecond, other zones, a monotonic
// reading.
func TestTimeFormat(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("", 5*3600+30*60), time.FixedZone("", -7*3600)}
	nanos := []int{0, 1, 999_999, 1_000_000, 10_000_000, 120_000_000, 999_999_999, 500_500_500}
	for _, z := range zones {
		for _, ns := range nanos {
			tm := time.Date(2026, 12, 7, 4, 48, 56, ns, z)
			for _, format := range []string{"json", "text"} {
				var buf bytes.Buffer
				h := New(&buf, format, nil)
				rec := slog.NewRecord(tm, slog.LevelInfo, "m", 0)
				if err := h.Handle(context.Background(), rec); err != nil {
					t.Fatal(err)
				}
				// slog's line ends after msg; the fast one goes on.
				want := strings.TrimSuffix(strings.TrimSuffix(buf.String(), "\n"), "}")
				got := string(h.appendLine(nil, tm, "m", "c", "a", nil, "j"))
				if !strings.HasPrefix(got, want) {
					t.Errorf("%s %v: %s, slog writes %s", format, tm, got, want)
				}
			}
		}
	}
}

// TestLevel: the fast path writes nothing the handler's level drops, and
// follows a LevelVar changed at run time.
func TestLevel(t *testing.T) {
	var lv slog.LevelVar
	lv.Set(slog.LevelWarn)
	var buf bytes.Buffer
	h := New(&buf, "json", &slog.HandlerOptions{Level: &lv})
	if !h.TokenIssued(context.Background(), "token issued", "c", "a", nil, "j") || buf.Len() != 0 {
		t.Fatalf("at warn: wrote %q", buf.String())
	}
	lv.Set(slog.LevelInfo)
	h.TokenIssued(context.Background(), "token issued", "c", "a", nil, "j")
	if !strings.Contains(buf.String(), `"msg":"token issued"`) {
		t.Fatalf("at info: wrote %q", buf.String())
	}
}

// TestOptionsItDoesNotFollow: AddSource or ReplaceAttr send the line
// through slog.
func TestOptionsItDoesNotFollow(t *testing.T) {
	for name, opts := range map[string]*slog.HandlerOptions{
		"AddSource":   {AddSource: true},
		"ReplaceAttr": {ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr { return a }},
	} {
		var buf bytes.Buffer
		if New(&buf, "json", opts).TokenIssued(context.Background(), "token issued", "c", "a", nil, "j") {
			t.Errorf("%s: fast path taken", name)
		}
	}
}

// TestLinesDoNotInterleave: fast lines and slog's, written at once from
// many goroutines to a writer that writes byte by byte, come out whole.
func TestLinesDoNotInterleave(t *testing.T) {
	var w byteWriter
	h := New(&w, "json", nil)
	log := slog.New(h)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				if i%2 == 0 {
					h.TokenIssued(context.Background(), "token issued", "cli_1", "urn:a", []string{"x"}, "j")
				} else {
					log.Info("other line", "k", "v")
				}
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(w.buf.String(), "\n"), "\n")
	if len(lines) != 400 {
		t.Fatalf("%d lines, want 400", len(lines))
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, `{"time":`) || !strings.HasSuffix(l, "}") || strings.Count(l, `"time"`) != 1 {
			t.Fatalf("mixed line %q", l)
		}
	}
}

// byteWriter writes one byte at a time, yielding between them, so that
// two unserialized Writes would mix.
type byteWriter struct{ buf bytes.Buffer }

func (w *byteWriter) Write(b []byte) (int, error) {
	for _, c := range b {
		w.buf.WriteByte(c)
		runtime.Gosched()
	}
	return len(b), nil
}

// TestFastLineAllocations: the fast path allocates nothing.
func TestFastLineAllocations(t *testing.T) {
	h := New(io.Discard, "json", nil)
	scopes := []string{"read:orders", "write:orders"}
	if n := testing.AllocsPerRun(100, func() {
		h.TokenIssued(context.Background(), "token issued", "cli_0123456789abcdefABCDEF012345", "https://api.example.com", scopes, "AbCd")
	}); n != 0 {
		t.Errorf("%v allocations per line, want 0", n)
	}
}

// FuzzFastLineMatchesSlog: for any values, the fast path either refuses
// the line and writes nothing, or writes slog's line.
func FuzzFastLineMatchesSlog(f *testing.F) {
	f.Add(true, "cli_0123456789abcdefABCDEF012345", "https://api.example.com", "read:orders", "write:orders", "AbCd-_09")
	f.Add(false, "c", "https://a.example/<x>&y", "a b", "", "j")
	f.Add(true, "c\u2028", "a=b", `x"y`, `\`, "\xff")
	f.Fuzz(func(t *testing.T, json bool, clientID, audience, scope1, scope2, jti string) {
		format := "text"
		if json {
			format = "json"
		}
		scopes := []string{scope1, scope2}
		if scope2 == "" {
			scopes = scopes[:1]
		}
		var fast, slow bytes.Buffer
		if !New(&fast, format, nil).TokenIssued(context.Background(), "token issued", clientID, audience, scopes, jti) {
			if fast.Len() != 0 {
				t.Fatalf("refused, yet wrote %q", fast.String())
			}
			return
		}
		slog.New(New(&slow, format, nil)).LogAttrs(context.Background(), slog.LevelInfo, "token issued",
			slog.String("client_id", clientID), slog.String("audience", audience),
			slog.Any("scopes", scopes), slog.String("jti", jti))
		if got, want := withoutTime(t, fast.String()), withoutTime(t, slow.String()); got != want {
			t.Fatalf("fast line\n%s\nslog's line\n%s", got, want)
		}
	})
}

// TestStampFollowsTheSecond: the once-a-second formatted part of a line's
// time (stampOf) is never reused for another second or location, across
// seconds, a minute's and a year's turn and back again.
func TestStampFollowsTheSecond(t *testing.T) {
	base := time.Date(2026, 12, 31, 23, 59, 58, 0, time.UTC)
	for _, loc := range []*time.Location{time.UTC, time.Local, time.FixedZone("", -(3*3600 + 30*60))} {
		for i, step := range []time.Duration{0, 250, 500, 750, 1000, 1250, 1999, 2000, 2001, 250, 3500} {
			tm := base.Add(step*time.Millisecond + time.Duration(i)*time.Nanosecond).In(loc)
			if got, want := string(appendNano(nil, tm)), tm.Format(time.RFC3339Nano); got != want {
				t.Errorf("appendNano(%v) = %s, want %s", tm, got, want)
			}
			if got, want := string(appendMillis(nil, tm)), tm.Format("2006-01-02T15:04:05.000Z07:00"); got != want {
				t.Errorf("appendMillis(%v) = %s, want %s", tm, got, want)
			}
		}
	}
}
