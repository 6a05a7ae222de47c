package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/sqlite"
)

var auditRecords = flag.Int("audit.records", 60_000, "records in the log TestAuditListStreamsInConstantMemory lists")

// peakRSS is the test process's peak resident set (server and command
// together), from /proc where there is one.
func peakRSS() string {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(rest)
		}
	}
	return "unknown"
}

// appendAuditDirect appends n issuance records to the SQLite file at db,
// beside the serving mint, in batches as its appender writes them.
func appendAuditDirect(t *testing.T, db string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	store, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	batch := make([]mint.AuditRecord, 0, 5000)
	for i := range n {
		client := fmt.Sprintf("client-%05d", i%10_000)
		batch = append(batch, mint.AuditRecord{Time: time.Now(), Kind: mint.AuditTokenIssued, Actor: client, ClientID: client,
			Subject: fmt.Sprintf("jti-%d", i), Source: "127.0.0.1:40000",
			Details: []byte(`{"audience":"https://cargo","scopes":["read","write"],"jti":"x"}`)})
		if len(batch) == cap(batch) || i == n-1 {
			if err := store.AppendAudit(ctx, batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

// heapWatch is a stdout that counts the lines written and, every
// everyLines, collects garbage and notes the live heap: what the command
// holds while it streams.
type heapWatch struct {
	lines, every, next int
	maxLive            uint64
}

func (w *heapWatch) Write(p []byte) (int, error) {
	w.lines += strings.Count(string(p), "\n")
	if w.lines >= w.next {
		w.next += w.every
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		w.maxLive = max(w.maxLive, m.HeapAlloc)
	}
	return len(p), nil
}

// TestAuditListStreamsInConstantMemory: listing 60 000 records, as a table
// and as JSON lines, never holds more than a few pages of them: the live
// heap while it streams stays within a bound far below what the records
// take (a table holding every row until the end — as it did — holds about
// 20 MB of them here).
//
// -audit.records sets the size of the log, for a measure at scale:
//
//	go test -run TestAuditListStreams -v ./internal/cli -audit.records=1600000
func TestAuditListStreamsInConstantMemory(t *testing.T) {
	records := *auditRecords
	h := newHarness(t)
	start := time.Now()
	appendAuditDirect(t, h.db, records)
	t.Logf("appended %d records in %v", records, time.Since(start).Round(time.Millisecond))
	env := map[string]string{"MINT_SERVER": h.url, "MINT_CLIENT_ID": h.admin.id, "MINT_CLIENT_SECRET": h.admin.secret}
	for _, args := range [][]string{{"audit", "list"}, {"audit", "list", "--json"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			runtime.GC()
			var base runtime.MemStats
			runtime.ReadMemStats(&base)
			out := &heapWatch{every: max(5000, records/20), next: 5000}
			start := time.Now()
			var stderr strings.Builder
			if code := Run(context.Background(), args, func(k string) string { return env[k] }, out, &stderr); code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			if out.lines < records {
				t.Fatalf("%d lines, want at least %d", out.lines, records)
			}
			grown := int64(out.maxLive) - int64(base.HeapAlloc)
			t.Logf("%d lines in %v; live heap at most %.1f MB over the %.1f MB before; process peak RSS %s",
				out.lines, time.Since(start).Round(time.Millisecond), float64(grown)/1e6, float64(base.HeapAlloc)/1e6, peakRSS())
			if grown > 8<<20 {
				t.Errorf("the live heap grew by %.1f MB while streaming: the command holds the records", float64(grown)/1e6)
			}
		})
	}
}
