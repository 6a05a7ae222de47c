package audit_test

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/testdb"
)

// clientCounts spreads the issuances over one client, a thousand and ten
// thousand: each client is a different place in the per-client indexes.
var clientCounts = []int{1, 1000, 10000}

// issuance is the record the token endpoint queues for the n-th token,
// shaped like hook.go's.
func issuance(n, clients int) mint.AuditRecord {
	client := "client-" + strconv.Itoa(n*7919%clients)
	jti := fmt.Sprintf("jti-%016x", n) // the token's, in Subject and Details both
	return mint.AuditRecord{
		Time: time.Now(), Kind: mint.AuditTokenIssued, Actor: client, ClientID: client,
		Subject: jti, Source: "127.0.0.1",
		Details: []byte(`{"audience":"https://api.example.com","scopes":["read","write"],"jti":"` + jti + `"}`),
	}
}

// feedRate is the issuance rate the benchmark offers: twice mint's
// maximum token rate on this machine (about 25k EdDSA tokens/s).
var feedRate = flag.Int("audit.rate", 50000, "issuance records per second BenchmarkAppendIssuance offers")

// BenchmarkAppendIssuance offers the appender b.N issuance records at
// -audit.rate per second, on a real database, and reports the records per
// second that reached the store (draining included) and how many were
// dropped. Run it with a fixed count, for example -benchtime=100000x, so
// that it is bounded: b.N / rate seconds plus the drain.
func BenchmarkAppendIssuance(b *testing.B) {
	for _, backend := range testdb.Backends {
		for _, clients := range clientCounts {
			b.Run(fmt.Sprintf("%s/%d", backend, clients), func(b *testing.B) {
				store := testdb.Open(b, backend)
				a := &audit.Appender{Store: store.(mint.AuditStore), Log: slog.New(slog.DiscardHandler)}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				b.ResetTimer()
				start := time.Now()
				go func() { a.Run(ctx); close(done) }()
				offer(b.N, *feedRate, func(i int) { a.Add(issuance(i, clients)) })
				cancel()
				<-done
				elapsed := time.Since(start)
				b.StopTimer()
				dropped := a.Dropped.Load()
				appended := uint64(b.N) - dropped
				b.ReportMetric(float64(appended)/elapsed.Seconds(), "records/s")
				b.ReportMetric(float64(dropped), "dropped")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

// offer calls add n times, at rate per second, a millisecond's worth at a
// time; it catches up after a pause rather than lowering the rate.
func offer(n, rate int, add func(i int)) {
	start := time.Now()
	for i := 0; i < n; {
		due := min(n, int(time.Since(start).Seconds()*float64(rate))+rate/1000+1)
		for ; i < due; i++ {
			add(i)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestBurstFromManyClientsIsNotDropped: two seconds of mint's maximum
// token rate (50,000 issuances), from 10,000 clients, queued while nothing
// is written — the worst a stalled database can do to the buffer — are all
// appended, chained, and found by client. Not timed: the burst is queued
// before anything is written.
func TestBurstFromManyClientsIsNotDropped(t *testing.T) {
	const burst, clients = 50000, 10000
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) {
			store := testdb.Open(t, backend)
			a := &audit.Appender{Store: store.(mint.AuditStore), Log: slog.New(slog.DiscardHandler)}
			for i := range burst {
				a.Add(issuance(i, clients))
			}
			if n := a.Dropped.Load(); n != 0 {
				t.Fatalf("%d of a burst of %d dropped before any write", n, burst)
			}
			// Flush batch by batch, as Run does, without its clock: under
			// -race the drain takes longer than Run's final flush allows.
			for a.Pending() > 0 {
				if a.Flush(t.Context()) == 0 {
					t.Fatalf("a flush wrote nothing, %d pending", a.Pending())
				}
			}
			reader := store.(audit.Reader)
			rep, err := audit.Verify(context.Background(), reader)
			if err != nil || !rep.OK || rep.Checked != burst {
				t.Fatalf("verify: %+v, %v; want %d records chained", rep, err, burst)
			}
			// Client 0 issued the records n with n*7919 % clients == 0: every
			// clients-th one, newest first.
			got, err := reader.ListAudit(context.Background(), mint.AuditFilter{ClientID: "client-0", NewestFirst: true})
			if err != nil || len(got) != burst/clients {
				t.Fatalf("client-0: %d records, %v; want %d", len(got), err, burst/clients)
			}
		})
	}
}

// BenchmarkAppendBatch measures what the audit writer spends per issuance
// record: b.N records queued and flushed as Run does, in batches of
// DefaultBatch, with the record building outside the timer. ns/op and
// allocs/op are per record; CPU is what it competes with signing for
// (issue 15). Compare it with a signature's time in the same run
// (BenchmarkSign in internal/keyring).
//
// cpu-ns/op is the CPU time, user and system, of the whole process while
// the appender queues and writes a batch: on a shared machine, what the
// writer costs whatever it waited for, the collector's work included. The
// records are built before each batch's measure starts (the token path
// builds them, not the writer; with it inside, about 0.3 µs of the figure
// was the benchmark's own fmt.Sprintf). On PostgreSQL the server's share
// is not in it.
//
// The log grows over the run: on a longer run (-benchtime=500000x) the
// side index a query by client reads is larger, as it is in a mint that
// has served for a while, and a batch from 10,000 clients costs more.
func BenchmarkAppendBatch(b *testing.B) {
	for _, backend := range testdb.Backends {
		for _, clients := range clientCounts {
			b.Run(fmt.Sprintf("%s/%d", backend, clients), func(b *testing.B) {
				store := testdb.Open(b, backend)
				a := &audit.Appender{Store: store.(mint.AuditStore), Log: slog.New(slog.DiscardHandler)}
				batch := make([]mint.AuditRecord, audit.DefaultBatch)
				b.ReportAllocs()
				b.ResetTimer()
				var cpu time.Duration
				for done := 0; done < b.N; done += len(batch) {
					b.StopTimer()
					n := min(len(batch), b.N-done)
					for i := range n {
						batch[i] = issuance(done+i, clients)
					}
					b.StartTimer()
					start := cpuTime()
					for _, r := range batch[:n] {
						a.Add(r)
					}
					if got := a.Flush(context.Background()); got != n {
						b.Fatalf("flushed %d of %d", got, n)
					}
					cpu += cpuTime() - start
				}
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			})
		}
	}
}

var scaleRecords = flag.Int("audit.scale", 0, "records TestPagesAtScale appends (0: skip it)")

// TestPagesAtScale logs what a page costs on a log of -audit.scale
// issuances from 10,000 clients, in blocks, on both backends: by client
// (the worst case: a record or two in each block), every record, from a
// cursor in the middle, by kind, and a whole verification. It only logs:
// times on a shared machine are no assertion.
//
//	go test -run TestPagesAtScale -v ./internal/audit -audit.scale=500000
func TestPagesAtScale(t *testing.T) {
	if *scaleRecords == 0 {
		t.Skip("-audit.scale not set")
	}
	n := *scaleRecords
	for _, backend := range testdb.Backends {
		store := testdb.Open(t, backend)
		a := &audit.Appender{Store: store.(mint.AuditStore), Log: slog.New(slog.DiscardHandler)}
		for i := range n {
			a.Add(issuance(i, 10000))
			if a.Pending() >= audit.DefaultBatch {
				a.Flush(t.Context())
			}
		}
		for a.Pending() > 0 {
			a.Flush(t.Context())
		}
		r := store.(audit.Reader)
		for _, f := range []mint.AuditFilter{
			{ClientID: "client-7", Limit: 100}, {ClientID: "client-7", Limit: 100, NewestFirst: true},
			{Limit: 1000}, {Limit: 1000, AfterSeq: int64(n / 2)}, {Kind: mint.AuditTokenIssued, Limit: 100, NewestFirst: true},
		} {
			start := time.Now()
			got, err := r.ListAudit(t.Context(), f)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s, client %q, after %d, newest first %v: %d records in %v", backend, f.ClientID, f.AfterSeq, f.NewestFirst, len(got), time.Since(start))
		}
		start := time.Now()
		rep, err := audit.Verify(t.Context(), r)
		if err != nil || !rep.OK || rep.Checked != n {
			t.Fatalf("verify: %+v, %v", rep, err)
		}
		t.Logf("%s, verify %d records: %v", backend, rep.Checked, time.Since(start))
	}
}
