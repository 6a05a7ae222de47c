package usebatch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// memoryTable is a WriteFunc over a map, which can be held (every write
// waits for release) and made to fail, and which keeps the groups it was
// given.
type memoryTable struct {
	mu      sync.Mutex
	rows    map[[2]string]bool
	groups  [][]Use
	fail    error
	hold    chan struct{} // when set, a write waits until it is closed
	entered chan struct{} // receives once per write started
}

func newTable() *memoryTable {
	return &memoryTable{rows: map[[2]string]bool{}, entered: make(chan struct{}, 1000)}
}

func (m *memoryTable) write(ctx context.Context, uses []Use) ([]bool, error) {
	m.mu.Lock()
	hold := m.hold
	m.mu.Unlock()
	m.entered <- struct{}{}
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.groups = append(m.groups, slices.Clone(uses))
	if m.fail != nil {
		return nil, m.fail
	}
	fresh := make([]bool, len(uses))
	for i, u := range uses {
		k := [2]string{u.ClientID, u.ID}
		fresh[i] = !m.rows[k]
		m.rows[k] = true
	}
	return fresh, nil
}

// waitEntered waits for n writes to have started.
func (m *memoryTable) waitEntered(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(time.Minute)
	for range n {
		select {
		case <-m.entered:
		case <-deadline:
			t.Fatal("the write did not start within a minute")
		}
	}
}

// results collects the answers of Use calls made in goroutines.
type results struct {
	wg   sync.WaitGroup
	mu   sync.Mutex
	errs map[string][]error
}

func (r *results) use(b *Batcher, client, id string) {
	r.wg.Go(func() {
		err := b.Use(context.Background(), client, id, time.Now().Add(time.Minute))
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.errs == nil {
			r.errs = map[string][]error{}
		}
		r.errs[id] = append(r.errs[id], err)
	})
}

// queued waits until b holds n uses not yet taken by a write.
func queued(t *testing.T, b *Batcher, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		b.mu.Lock()
		got := len(b.queue)
		b.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d uses queued after a minute, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestUsesWaitingAreWrittenAsOneGroup(t *testing.T) {
	table := newTable()
	table.hold = make(chan struct{})
	b := &Batcher{Write: table.write}
	var r results
	r.use(b, "c", "first")
	table.waitEntered(t, 1) // the first group is being written, and held
	for i := range 10 {
		r.use(b, "c", fmt.Sprintf("jti_%d", i))
	}
	r.use(b, "c", "jti_3") // twice in one group
	r.use(b, "c", "first") // already in the group being written
	queued(t, b, 12)
	close(table.hold)
	r.wg.Wait()

	if len(table.groups) != 2 {
		t.Fatalf("%d writes, want 2 (the held one, then every use that waited)", len(table.groups))
	}
	second := table.groups[1]
	if len(second) != 11 || !slices.IsSortedFunc(second, compareUse) {
		t.Errorf("second group = %v, want 11 distinct uses, sorted", second)
	}
	for id, errs := range r.errs {
		ok, replays := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, mint.ErrConflict):
				replays++
			default:
				t.Errorf("%s: %v", id, err)
			}
		}
		if ok != 1 || replays != len(errs)-1 {
			t.Errorf("%s: %d accepted, %d replays of %d uses, want exactly one accepted", id, ok, replays, len(errs))
		}
	}
}

func compareUse(x, y Use) int {
	return cmp.Or(cmp.Compare(x.ClientID, y.ClientID), cmp.Compare(x.ID, y.ID))
}

func TestQueueFullRefusesAtOnce(t *testing.T) {
	table := newTable()
	table.hold = make(chan struct{})
	defer close(table.hold)
	b := &Batcher{Write: table.write, MaxQueue: 3}
	var r results
	r.use(b, "c", "a")
	table.waitEntered(t, 1)
	r.use(b, "c", "b")
	r.use(b, "c", "c")
	queued(t, b, 2) // one being written, two waiting: full
	err := b.Use(context.Background(), "c", "d", time.Now())
	if !errors.Is(err, ErrQueueFull) || !errors.Is(err, mint.ErrUnavailable) {
		t.Fatalf("Use with the queue full: error = %v, want ErrQueueFull (mint.ErrUnavailable)", err)
	}
}

func TestWriteFailureIsNoAcceptance(t *testing.T) {
	table := newTable()
	table.fail = fmt.Errorf("connection refused: %w", mint.ErrUnavailable)
	b := &Batcher{Write: table.write}
	err := b.Use(context.Background(), "c", "a", time.Now())
	if !errors.Is(err, mint.ErrUnavailable) {
		t.Fatalf("Use with the store down: error = %v, want the write's error", err)
	}
	table.mu.Lock()
	table.fail = nil
	table.mu.Unlock()
	if err := b.Use(context.Background(), "c", "a", time.Now()); err != nil {
		t.Fatalf("Use once the store is back: %v", err)
	}
}

func TestSlowWriteTimesOut(t *testing.T) {
	table := newTable()
	table.hold = make(chan struct{})
	defer close(table.hold)
	b := &Batcher{Write: table.write, Wait: 50 * time.Millisecond}
	err := b.Use(context.Background(), "c", "a", time.Now())
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, mint.ErrUnavailable) {
		t.Fatalf("Use with a write that does not end: error = %v, want ErrTimeout", err)
	}
}

func TestCallerGone(t *testing.T) {
	table := newTable()
	b := &Batcher{Write: table.write}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Use(ctx, "c", "a", time.Now()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Use with a cancelled context: error = %v, want context.Canceled", err)
	}
	if len(table.groups) != 0 {
		t.Errorf("a cancelled caller's use was written: %v", table.groups)
	}
}

func TestShortAnswerIsAnError(t *testing.T) {
	b := &Batcher{Write: func(context.Context, []Use) ([]bool, error) { return nil, nil }}
	if err := b.Use(context.Background(), "c", "a", time.Now()); err == nil || errors.Is(err, mint.ErrConflict) {
		t.Fatalf("Use with a write that answered nothing: error = %v, want a failure", err)
	}
}

func TestIdleBatcherKeepsNoGoroutine(t *testing.T) {
	table := newTable()
	b := &Batcher{Write: table.write}
	if err := b.Use(context.Background(), "c", "a", time.Now()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		b.mu.Lock()
		running := b.running
		b.mu.Unlock()
		if running == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer still runs a minute after the queue emptied")
		}
		time.Sleep(time.Millisecond)
	}
	if err := b.Use(context.Background(), "c", "b", time.Now()); err != nil {
		t.Fatalf("Use after the writer stopped: %v", err)
	}
}

func TestCallersWhoGaveUpLeaveTheQueue(t *testing.T) {
	table := newTable()
	table.hold = make(chan struct{})
	b := &Batcher{Write: table.write, MaxQueue: 3}
	var r results
	r.use(b, "c", "a")
	table.waitEntered(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	var gaveUp sync.WaitGroup
	for _, id := range []string{"b", "c"} {
		gaveUp.Go(func() {
			if err := b.Use(ctx, "c", id, time.Now()); !errors.Is(err, context.Canceled) {
				t.Errorf("%s: %v, want context.Canceled", id, err)
			}
		})
	}
	queued(t, b, 2) // full
	cancel()
	gaveUp.Wait()
	r.use(b, "c", "d") // room again: b and c left
	queued(t, b, 1)
	close(table.hold)
	r.wg.Wait()
	for _, id := range []string{"a", "d"} {
		if err := r.errs[id][0]; err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	for _, g := range table.groups {
		for _, u := range g {
			if u.ID == "b" || u.ID == "c" {
				t.Errorf("%s was written after its caller gave up", u.ID)
			}
		}
	}
}

// TestStatsCountRefusals: Stats says how many uses wait and counts each
// Use answered ErrQueueFull or ErrTimeout once; an acceptance, a
// conflict, a failed write and a caller gone count as neither.
func TestStatsCountRefusals(t *testing.T) {
	if got := (&Batcher{}).Stats(); got != (Stats{}) {
		t.Fatalf("zero Batcher: %+v", got)
	}
	table := newTable()
	b := &Batcher{Write: table.write, MaxQueue: 3}
	ctx := context.Background()
	if err := b.Use(ctx, "c", "a", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := b.Use(ctx, "c", "a", time.Now()); !errors.Is(err, mint.ErrConflict) {
		t.Fatalf("replay: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	b.Use(cancelled, "c", "x", time.Now())
	table.mu.Lock()
	table.fail = fmt.Errorf("connection refused: %w", mint.ErrUnavailable)
	table.mu.Unlock()
	if err := b.Use(ctx, "c", "y", time.Now()); err == nil || errors.Is(err, ErrTimeout) {
		t.Fatalf("failed write: %v", err)
	}
	if got := b.Stats(); got != (Stats{}) {
		t.Fatalf("after an acceptance, a conflict, a caller gone and a failed write: %+v, want zeros", got)
	}
	table.mu.Lock()
	table.fail = nil
	table.hold = make(chan struct{})
	table.mu.Unlock()
	var r results
	r.use(b, "c", "b")
	table.waitEntered(t, 4) // the three writes above, and this one
	r.use(b, "c", "c")
	r.use(b, "c", "d")
	queued(t, b, 2)
	for range 2 {
		if err := b.Use(ctx, "c", "e", time.Now()); !errors.Is(err, ErrQueueFull) {
			t.Fatalf("queue full: %v", err)
		}
	}
	if got := b.Stats(); got != (Stats{Waiting: 3, QueueFull: 2}) {
		t.Fatalf("queue full: %+v, want 3 waiting, 2 refused", got)
	}
	close(table.hold)
	r.wg.Wait()

	slow := newTable()
	slow.hold = make(chan struct{})
	defer close(slow.hold)
	sb := &Batcher{Write: slow.write, Wait: 50 * time.Millisecond}
	if err := sb.Use(ctx, "c", "a", time.Now()); !errors.Is(err, ErrTimeout) {
		t.Fatalf("slow write: %v", err)
	}
	if got := sb.Stats(); got.Timeouts != 1 || got.QueueFull != 0 {
		t.Fatalf("slow write: %+v, want 1 timeout", got)
	}
}
