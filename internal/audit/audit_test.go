package audit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// memStore is an AuditStore in memory that can be made to fail.
type memStore struct {
	mu      sync.Mutex
	records []mint.AuditRecord
	fail    bool
	// entered, when set, is sent to as AppendAudit begins, which then
	// waits for gate to close.
	entered chan struct{}
	gate    chan struct{}
}

func (m *memStore) AppendAudit(_ context.Context, rs []mint.AuditRecord) error {
	if m.entered != nil {
		m.entered <- struct{}{}
		<-m.gate
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return errors.New("down")
	}
	for _, r := range rs {
		prev := Genesis
		if n := len(m.records); n > 0 {
			prev = m.records[n-1].Hash
		}
		r.Seq = int64(len(m.records) + 1)
		Seal(&r, prev)
		m.records = append(m.records, r)
	}
	return nil
}

func (m *memStore) ListAudit(_ context.Context, f mint.AuditFilter) ([]mint.AuditRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []mint.AuditRecord
	for _, r := range m.records {
		if r.Seq > f.AfterSeq && (f.Limit == 0 || len(out) < f.Limit) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (m *memStore) AuditAnchor(context.Context) (mint.AuditAnchor, error) {
	return mint.AuditAnchor{HeadSeq: int64(len(m.records))}, nil
}

func (m *memStore) PruneAudit(context.Context, time.Time) (int, error) { return 0, nil }

func (m *memStore) kinds() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var k []string
	for _, r := range m.records {
		k = append(k, r.Kind)
	}
	return k
}

func TestParseIssuance(t *testing.T) {
	for in, want := range map[string]int{"": 1, "all": 1, "off": 0, "sample:1": 1, "sample:10": 10, "sample:1000000": 1000000} {
		if got, err := ParseIssuance(in); err != nil || got != want {
			t.Errorf("ParseIssuance(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"sample:0", "sample:-1", "sample:", "sample:01", "sample:1000001", "some", "ALL", "sample:1e3"} {
		if _, err := ParseIssuance(in); !errors.Is(err, ErrIssuanceSetting) {
			t.Errorf("ParseIssuance(%q): error %v, want ErrIssuanceSetting", in, err)
		}
	}
}

func TestSamplingAndFailures(t *testing.T) {
	store := &memStore{}
	app := &Appender{Store: store}
	l := &Log{Appender: app}
	ctx := WithSource(context.Background(), "192.0.2.1:4000")
	api := mint.API{ID: "api_1", Audience: "https://a", AuditIssuance: "sample:4"}
	for range 10 {
		l.TokenIssued(ctx, api, "c1", []string{"read"}, "jti")
	}
	off := mint.API{ID: "api_2", AuditIssuance: mint.AuditOff}
	l.TokenIssued(ctx, off, "c1", nil, "jti")
	l.AuthFailed(ctx, "c2", "client_secret_post", "no live secret matches")
	app.Flush(ctx)
	got := store.kinds()
	// Failures first in a batch, then 3 of 10 sampled issuances (1st, 5th, 9th).
	want := []string{mint.AuditAuthFailure, mint.AuditTokenIssued, mint.AuditTokenIssued, mint.AuditTokenIssued}
	if len(got) != len(want) {
		t.Fatalf("kinds %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("kinds %v, want %v", got, want)
		}
	}
	if r := store.records[0]; r.Source != "192.0.2.1:4000" || r.Actor != "c2" {
		t.Errorf("failure record %+v", r)
	}
}

func TestAppenderDropsIssuancesButKeepsFailures(t *testing.T) {
	store := &memStore{fail: true}
	app := &Appender{Store: store, Buffer: 3, Batch: 100}
	for range 5 {
		app.Add(mint.AuditRecord{Kind: mint.AuditTokenIssued})
	}
	if app.Dropped.Load() != 2 {
		t.Errorf("dropped %d issuances, want 2", app.Dropped.Load())
	}
	for range 3 {
		app.AddKept(context.Background(), mint.AuditRecord{Kind: mint.AuditAuthFailure})
	}
	// The failure buffer is full and the store down: the next failure
	// waits, and is given up (logged, counted) only when its caller stops.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	app.AddKept(ctx, mint.AuditRecord{Kind: mint.AuditAuthFailure})
	if app.Lost.Load() != 1 {
		t.Errorf("lost %d, want 1", app.Lost.Load())
	}
	// A waiting failure gets in once a flush makes room.
	done := make(chan struct{})
	go func() {
		app.AddKept(context.Background(), mint.AuditRecord{Kind: mint.AuditAuthFailure})
		close(done)
	}()
	time.Sleep(20 * time.Millisecond)
	if n := app.Flush(context.Background()); n != 0 {
		t.Fatalf("flush on a failing store wrote %d", n)
	}
	store.mu.Lock()
	store.fail = false
	store.mu.Unlock()
	if n := app.Flush(context.Background()); n != 6 {
		t.Fatalf("flush wrote %d, want 6 (3 failures, 3 issuances)", n)
	}
	<-done
	app.Flush(context.Background())
	rep, err := Verify(context.Background(), store)
	if err != nil || !rep.OK || rep.Checked != 7 {
		t.Errorf("verify %+v %v, want 7 records whole", rep, err)
	}
}

func TestRunFlushesOnStop(t *testing.T) {
	store := &memStore{}
	app := &Appender{Store: store, FlushInterval: time.Hour}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { app.Run(ctx); close(done) }()
	app.Add(mint.AuditRecord{Kind: "x"})
	cancel()
	<-done
	if len(store.kinds()) != 1 {
		t.Errorf("records after stop: %v", store.kinds())
	}
}

func TestChainNames(t *testing.T) {
	store := &memStore{}
	store.AppendAudit(context.Background(), make([]mint.AuditRecord, 5))
	for name, tc := range map[string]struct {
		tamper func([]mint.AuditRecord) []mint.AuditRecord
		broken int64
	}{
		"changed": {func(r []mint.AuditRecord) []mint.AuditRecord { r[2].Actor = "x"; return r }, 3},
		"missing": {func(r []mint.AuditRecord) []mint.AuditRecord { return append(r[:1:1], r[2:]...) }, 2},
		"swapped": {func(r []mint.AuditRecord) []mint.AuditRecord { r[1], r[2] = r[2], r[1]; return r }, 2},
	} {
		t.Run(name, func(t *testing.T) {
			records := tc.tamper(append([]mint.AuditRecord(nil), store.records...))
			var c Chain
			for _, r := range records {
				if seq, problem := c.Next(r); problem != "" {
					if seq != tc.broken {
						t.Errorf("broken at %d (%s), want %d", seq, problem, tc.broken)
					}
					return
				}
			}
			t.Errorf("no break found, want %d", tc.broken)
		})
	}
}

// TestAddDoesNotWaitForAFlush: token requests add records while a flush is
// writing a batch; they must not wait for it, and nothing is lost or
// reordered.
func TestAddDoesNotWaitForAFlush(t *testing.T) {
	store := &memStore{entered: make(chan struct{}), gate: make(chan struct{})}
	a := &Appender{Store: store, Batch: 10}
	rec := func(kind string, n int) mint.AuditRecord {
		return mint.AuditRecord{Time: time.Unix(int64(n), 0), Kind: kind, Subject: fmt.Sprint(n)}
	}
	for i := range 10 {
		a.Add(rec(mint.AuditTokenIssued, i))
	}
	flushed := make(chan int)
	go func() { flushed <- a.Flush(t.Context()) }()
	<-store.entered

	added := make(chan struct{})
	go func() {
		defer close(added)
		for i := 10; i < 110; i++ {
			a.Add(rec(mint.AuditTokenIssued, i))
		}
		for i := range 5 {
			a.AddKept(t.Context(), rec(mint.AuditAuthFailure, i))
		}
	}()
	select {
	case <-added:
	case <-time.After(5 * time.Second):
		t.Fatal("Add waited for the flush in progress")
	}
	if got := a.Pending(); got != 115 {
		t.Errorf("Pending() = %d during the flush, want 115", got)
	}
	if a.Flush(t.Context()) != 0 {
		t.Error("a second Flush wrote while the first was writing")
	}
	close(store.gate)
	store.entered = nil
	if n := <-flushed; n != 10 {
		t.Fatalf("Flush wrote %d, want 10", n)
	}
	for a.Flush(t.Context()) > 0 {
	}
	next := map[string]int{}
	for _, r := range store.records {
		if r.Subject != fmt.Sprint(next[r.Kind]) {
			t.Fatalf("%s record %s after %d: out of order", r.Kind, r.Subject, next[r.Kind])
		}
		next[r.Kind]++
	}
	if next[mint.AuditTokenIssued] != 110 || next[mint.AuditAuthFailure] != 5 || a.Pending() != 0 {
		t.Errorf("wrote %v, %d pending; want 110 issuances, 5 failures, none pending", next, a.Pending())
	}
}

// TestAppenderCatchesUpInLargerBatches: a flush takes Batch records, or up
// to MaxBatch when more than Batch wait; the queue's arrays, reused from
// one batch to the next, lose, repeat or reorder no record.
func TestAppenderCatchesUpInLargerBatches(t *testing.T) {
	store := &memStore{}
	app := &Appender{Store: store, Batch: 3, MaxBatch: 5}
	n := 0
	add := func(k int) {
		for range k {
			app.Add(mint.AuditRecord{Kind: mint.AuditTokenIssued, Subject: fmt.Sprint(n)})
			n++
		}
	}
	for _, step := range []struct{ add, want int }{
		{3, 3}, // Batch waiting: one batch
		{4, 4}, // more: all of them, up to MaxBatch
		{7, 5}, {0, 2},
		{2, 2}, {9, 5}, {1, 5}, {0, 0},
	} {
		add(step.add)
		if got := app.Flush(context.Background()); got != step.want {
			t.Fatalf("after adding %d: flushed %d, want %d", step.add, got, step.want)
		}
	}
	store.mu.Lock()
	defer store.mu.Unlock()
	if len(store.records) != n {
		t.Fatalf("%d records written, want %d", len(store.records), n)
	}
	for i, r := range store.records {
		if r.Subject != fmt.Sprint(i) {
			t.Fatalf("record %d is %q", i, r.Subject)
		}
	}
}

// TestAddDoesNotGrowTheQueue: once the appender has written a few batches,
// Add, on every token request, appends into room made in advance (the
// spare Flush readies off the request path): no allocation, no growslice,
// also after a short batch (a flush on the timer), after which the queue
// used to be left on the tail of an array and regrown from empty.
func TestAddDoesNotGrowTheQueue(t *testing.T) {
	const batch = 64
	a := &Appender{Store: &memStore{}, Batch: batch}
	ctx := context.Background()
	rec := mint.AuditRecord{Kind: mint.AuditTokenIssued, Actor: "c", ClientID: "c", Subject: "jti", Details: []byte(`{}`)}
	cycle := func(n int) float64 {
		// One run, whose allocations are counted, after a warm-up run
		// (AllocsPerRun's): n/2 records each. (Counting per record would
		// round a regrowth's few allocations down to 0.)
		allocs := testing.AllocsPerRun(1, func() {
			for range n / 2 {
				a.Add(rec)
			}
		})
		if got := a.Flush(ctx); got != n {
			t.Fatalf("flushed %d records, want %d", got, n)
		}
		return allocs
	}
	for range 3 { // the queue and the spare are made
		cycle(batch)
	}
	for i, n := range []int{10, batch, batch, batch, 30, batch, batch, 2, batch, batch} {
		if allocs := cycle(n); allocs != 0 {
			t.Errorf("cycle %d (%d records): Add allocated %v times for %d records", i, n, allocs, n/2)
		}
	}
}
