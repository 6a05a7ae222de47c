package sqlite

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// heard records what a watcher was told.
type heard struct {
	mu      sync.Mutex
	changes []string // "table:key,key" or "" for "anything"
}

func (h *heard) add(table string, keys []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.changes = append(h.changes, table+":"+strings.Join(keys, ","))
}

func (h *heard) count(change string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, c := range h.changes {
		if c == change {
			n++
		}
	}
	return n
}

// waitFor polls until the watcher was told change at least n times, or
// fails after a generous deadline (a loaded machine polls late, never
// wrongly).
func (h *heard) waitFor(t *testing.T, change string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for h.count(change) < n {
		if time.Now().After(deadline) {
			h.mu.Lock()
			defer h.mu.Unlock()
			t.Fatalf("never told %q %d time(s); told %q", change, n, h.changes)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// watchInBackground runs s.WatchChanges until the test ends and returns
// what it hears, once it has heard the first "".
func watchInBackground(t *testing.T, s *Store) *heard {
	t.Helper()
	h := &heard{}
	ctx, cancel := context.WithCancel(testContext(t))
	done := make(chan error, 1)
	go func() { done <- s.WatchChanges(ctx, h.add) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("WatchChanges returned %v, want context.Canceled", err)
		}
	})
	h.waitFor(t, ":", 1)
	return h
}

func testClient(id string) (mint.Client, mint.Secret) {
	now := time.Now().Truncate(time.Millisecond)
	return mint.Client{ID: id, Name: id, CreatedAt: now, UpdatedAt: now},
		mint.Secret{ID: "sec_" + id, ClientID: id, Digest: []byte("digest-" + id), CreatedAt: now}
}

// Two Stores on one file stand for two processes: each hears the other's
// writes, with the keys written, from the change log, and its own exactly
// once (in process, not again from the log).
func TestWatchChangesHearsOtherProcesses(t *testing.T) {
	ctx := testContext(t)
	path := filepath.Join(t.TempDir(), "mint.db")
	a, b := openTest(t, path), openTest(t, path)
	heardA, heardB := watchInBackground(t, a), watchInBackground(t, b)

	client, secret := testClient("client_x")
	if err := a.CreateClient(ctx, client, secret); err != nil {
		t.Fatal(err)
	}
	heardB.waitFor(t, "clients:client_x", 1)
	if err := b.DeleteClient(ctx, "client_x"); err != nil {
		t.Fatal(err)
	}
	heardA.waitFor(t, "clients:client_x", 2)

	// A poll or two later, nobody heard its own write twice.
	marker, markerSecret := testClient("client_marker")
	if err := a.CreateClient(ctx, marker, markerSecret); err != nil {
		t.Fatal(err)
	}
	heardB.waitFor(t, "clients:client_marker", 1)
	heardA.waitFor(t, "clients:client_marker", 1)
	if n := heardA.count("clients:client_x"); n != 2 {
		t.Errorf("a was told of client_x %d times, want 2 (its create, b's delete)", n)
	}
	if n := heardB.count("clients:client_x"); n != 2 {
		t.Errorf("b was told of client_x %d times, want 2 (a's create, its delete)", n)
	}
}

// A failed write is not logged: the other process is not told of it.
func TestWatchChangesSkipsRolledBackWrites(t *testing.T) {
	ctx := testContext(t)
	path := filepath.Join(t.TempDir(), "mint.db")
	a, b := openTest(t, path), openTest(t, path)
	heardB := watchInBackground(t, b)
	if err := a.DeleteClient(ctx, "client_missing"); err == nil {
		t.Fatal("deleting a missing client succeeded")
	}
	marker, secret := testClient("client_marker")
	if err := a.CreateClient(ctx, marker, secret); err != nil {
		t.Fatal(err)
	}
	heardB.waitFor(t, "clients:client_marker", 1)
	if n := heardB.count("clients:client_missing"); n != 0 {
		t.Errorf("b was told of a rolled-back delete %d times", n)
	}
	if n := heardB.count(":"); n != 1 {
		t.Errorf("b was told \"anything\" %d times, want 1: consecutive rows are no gap", n)
	}
}

// A watcher that fell behind rows pruned unread hears "anything may have
// changed", never silence.
func TestWatchChangesPrunedGapMeansAnything(t *testing.T) {
	ctx := testContext(t)
	path := filepath.Join(t.TempDir(), "mint.db")
	a, b := openTest(t, path), openTest(t, path)
	heardB := watchInBackground(t, b)
	// Hold b's next poll behind rows a writes and prunes: write the log
	// directly, as a flood of changes between two polls would.
	err := a.inTx(ctx, func(tx *sql.Tx) error {
		for range logKeep + pruneEvery {
			if err := a.logChange(ctx, tx, tableClients, "client_flood"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var rows, first int64
	if err := a.read.QueryRowContext(ctx, `SELECT count(*), min(seq) FROM change_log`).Scan(&rows, &first); err != nil {
		t.Fatal(err)
	}
	if rows > logKeep+pruneEvery || first <= 1 {
		t.Fatalf("change log has %d rows from seq %d: not pruned", rows, first)
	}
	heardB.waitFor(t, ":", 2)
}

// The log stays bounded however many writes it sees.
func TestChangeLogIsPruned(t *testing.T) {
	ctx := testContext(t)
	s := openTest(t, filepath.Join(t.TempDir(), "mint.db"))
	for i := range 3 * pruneEvery {
		if err := s.RevokeToken(ctx, mint.RevokedToken{ID: "jti" + string(rune('a'+i%26)) + time.Now().String(),
			ClientID: "c", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	var rows int64
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM change_log`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 3*pruneEvery {
		t.Fatalf("%d rows logged for %d revocations", rows, 3*pruneEvery)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for range 2 * logKeep {
			if err := s.logChange(ctx, tx, tableAPIs); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM change_log`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows > logKeep+pruneEvery {
		t.Fatalf("change log holds %d rows, bound %d", rows, logKeep+pruneEvery)
	}
}

// ApplyPlan logs every table a plan may change, in its transaction.
func TestApplyPlanIsHeardByOtherProcesses(t *testing.T) {
	ctx := testContext(t)
	path := filepath.Join(t.TempDir(), "mint.db")
	a, b := openTest(t, path), openTest(t, path)
	heardB := watchInBackground(t, b)
	empty := mint.StateFingerprint(nil, nil, nil, nil)
	if err := a.ApplyPlan(ctx, empty, nil); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{tableAPIs, tableClients, tableGrants} {
		heardB.waitFor(t, table+":", 1)
	}
	if got := heardB.count(":"); got != 1 {
		t.Errorf("told \"anything\" %d times", got)
	}
}

// BenchmarkPollNothingChanged is what an idle watcher costs per poll.
func BenchmarkPollNothingChanged(b *testing.B) {
	ctx := context.Background()
	s := openTest(b, filepath.Join(b.TempDir(), "mint.db"))
	for range 1000 {
		if err := s.RevokeToken(ctx, mint.RevokedToken{ID: time.Now().String(), ClientID: "c", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			b.Fatal(err)
		}
	}
	last, err := s.lastChange(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.pollChanges(ctx, last, func(string, []string) { b.Fatal("told of a change") }); err != nil {
			b.Fatal(err)
		}
	}
}

// A write that tells only this process's watchers (s.changes.publish
// called directly) is never heard by another process: a `mint serve`
// would keep what another process changed for its cache's TTL. Writes
// announce their changes with changing, which logs them as well.
func TestWritesAnnounceChangesThroughTheLog(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") || file == "changes.go" {
			continue
		}
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(src), "\n") {
			if strings.Contains(line, "changes.publish(") {
				t.Errorf("%s:%d calls changes.publish directly; use ctx, published := s.changing(ctx, table, keys...) "+
					"so that other processes hear the change from the change log", file, i+1)
			}
		}
	}
}

// An update of a client's or an API's row is told as "clients:update" or
// "apis:update" (issue 16: a cache then drops the row only, not the
// client's secrets and grants, nor every grant), and a grant written by
// its ID as its client's, in process and through the log alike; a
// deletion is still "clients".
func TestWatchChangesTellsUpdates(t *testing.T) {
	ctx := testContext(t)
	path := filepath.Join(t.TempDir(), "mint.db")
	a, b := openTest(t, path), openTest(t, path)
	heardA, heardB := watchInBackground(t, a), watchInBackground(t, b)

	client, secret := testClient("client_u")
	if err := a.CreateClient(ctx, client, secret); err != nil {
		t.Fatal(err)
	}
	if _, err := a.UpdateClient(ctx, "client_u", func(c mint.Client) (mint.Client, error) {
		c.Name = "renamed"
		return c, nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := a.CreateAPI(ctx, mint.API{ID: "api_u", Audience: "https://u.example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.UpdateAPI(ctx, "api_u", func(api mint.API) (mint.API, error) {
		api.Name = "renamed"
		return api, nil
	}); err != nil {
		t.Fatal(err)
	}
	// A grant written by its ID alone names its client all the same.
	if err := a.CreateGrant(ctx, mint.Grant{ID: "grant_u", ClientID: "client_u", Audience: "https://u.example.com",
		Scopes: []string{}, CreatedAt: time.Now(), UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.UpdateGrant(ctx, "grant_u", func(g mint.Grant) (mint.Grant, error) { return g, nil }); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteGrant(ctx, "grant_u"); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteClient(ctx, "client_u"); err != nil {
		t.Fatal(err)
	}
	for _, h := range []*heard{heardA, heardB} {
		h.waitFor(t, "clients:update:client_u", 1)
		h.waitFor(t, "apis:update:", 1)
		h.waitFor(t, "grants:client_u", 3)  // create, update, delete
		h.waitFor(t, "clients:client_u", 2) // its create and its deletion
		if n := h.count("grants:"); n != 0 {
			t.Errorf("told %d changes of every grant", n)
		}
	}
}
