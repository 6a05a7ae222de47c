package postgres

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/storecache"
)

// countingStore counts the reads a store cache makes of its store, by
// method and key.
type countingStore struct {
	mint.Store
	mu    sync.Mutex
	reads map[string]int
}

func (s *countingStore) count(op, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads[op+" "+key]++
}

// take returns the reads counted since the last take, and forgets them.
func (s *countingStore) take() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.reads
	s.reads = map[string]int{}
	return r
}

func (s *countingStore) GetClient(ctx context.Context, id string) (mint.Client, error) {
	s.count("GetClient", id)
	return s.Store.GetClient(ctx, id)
}

func (s *countingStore) ListSecrets(ctx context.Context, clientID string) ([]mint.Secret, error) {
	s.count("ListSecrets", clientID)
	return s.Store.ListSecrets(ctx, clientID)
}

func (s *countingStore) ListGrants(ctx context.Context, clientID string) ([]mint.Grant, error) {
	s.count("ListGrants", clientID)
	return s.Store.ListGrants(ctx, clientID)
}

func (s *countingStore) FindGrant(ctx context.Context, clientID, audience string) (mint.Grant, error) {
	s.count("FindGrant", clientID)
	return s.Store.FindGrant(ctx, clientID, audience)
}

func (s *countingStore) GetAPI(ctx context.Context, id string) (mint.API, error) {
	s.count("GetAPI", id)
	return s.Store.GetAPI(ctx, id)
}

func (s *countingStore) GetAPIByAudience(ctx context.Context, audience string) (mint.API, error) {
	s.count("GetAPIByAudience", audience)
	return s.Store.GetAPIByAudience(ctx, audience)
}

// Admin writes of each kind made on one replica cost the other replica's
// store cache the reads of what each changed, and nothing more (issue 16):
// after a rename, a secret rotation, a grant's change, a new client, an
// API's rename and a deletion, a pass over every client's token-path reads
// reads again exactly the changed client's row, the rotated client's
// secrets, the changed grant, the renamed API and the deleted client's
// three answers. Before, a rename re-read the client's secrets and grants
// too, and the API's rename every client's grant.
func TestWriteElsewhereInvalidatesOnlyWhatItChanged(t *testing.T) {
	ctx := testContext(t)
	_, dsn := freshSchema(t)
	writer := openTest(t, dsn) // the replica the admin writes are made on
	reader := openTest(t, dsn) // the replica measured
	counted := &countingStore{Store: reader, reads: map[string]int{}}
	cache := storecache.New(counted, storecache.Options{Changes: reader})
	t.Cleanup(func() { cache.Close() })

	t0 := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	const audience = "https://orders.example"
	api := mint.API{ID: "api_orders", Name: "Orders", Audience: audience, Scopes: []string{"read", "write"},
		TokenLifetime: time.Hour, SigningAlg: "EdDSA", CreatedAt: t0, UpdatedAt: t0}
	if err := writer.CreateAPI(ctx, api); err != nil {
		t.Fatal(err)
	}
	const n = 20
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("client-%02d", i)
		seedClient(t, writer, ids[i], audience, t0)
	}
	seedClient(t, writer, "marker", audience, t0)

	// The token path's reads of every client, and of the API.
	pass := func() {
		t.Helper()
		for _, id := range ids {
			if _, err := cache.GetClient(ctx, id); err != nil && !errors.Is(err, mint.ErrNotFound) {
				t.Fatal(err)
			}
			if _, err := cache.ListSecrets(ctx, id); err != nil && !errors.Is(err, mint.ErrNotFound) {
				t.Fatal(err)
			}
			if _, err := cache.FindGrant(ctx, id, audience); err != nil && !errors.Is(err, mint.ErrNotFound) {
				t.Fatal(err)
			}
		}
		if _, err := cache.GetAPIByAudience(ctx, audience); err != nil {
			t.Fatal(err)
		}
	}
	// heard waits until the cache has heard every change made so far:
	// notifications come in commit order, so once a last rename of the
	// marker is seen, every earlier change has been heard.
	marks := 0
	heard := func() {
		t.Helper()
		marks++
		name := fmt.Sprint("mark ", marks)
		rename(t, writer, "marker", name)
		deadline := time.Now().Add(30 * time.Second)
		for {
			cl, err := cache.GetClient(ctx, "marker")
			if err == nil && cl.Name == name {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the cache did not hear the marker's rename in 30 s (watching: %v)", cache.Stats().Watching)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	deadline := time.Now().Add(30 * time.Second)
	for !cache.Stats().Watching {
		if time.Now().After(deadline) {
			t.Fatal("the cache did not start listening in 30 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	heard()
	pass()
	counted.take()
	pass()
	if r := counted.take(); len(r) != 0 {
		t.Fatalf("a second pass with nothing changed read the store: %v", r)
	}

	rename(t, writer, ids[1], "renamed")
	if err := writer.RotateSecret(ctx, mint.Secret{ID: "sec_rotated", ClientID: ids[2], Digest: []byte("new"), CreatedAt: t0}, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	grants, err := writer.ListGrants(ctx, ids[3])
	if err != nil || len(grants) != 1 {
		t.Fatalf("ListGrants: %v, %v", grants, err)
	}
	if _, err := writer.UpdateGrant(ctx, grants[0].ID, func(g mint.Grant) (mint.Grant, error) {
		g.Scopes = []string{"read", "write"}
		return g, nil
	}); err != nil {
		t.Fatal(err)
	}
	seedClient(t, writer, "client-new", audience, t0)
	if _, err := writer.UpdateAPI(ctx, api.ID, func(a mint.API) (mint.API, error) {
		a.Name = "Orders, renamed"
		return a, nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := writer.DeleteClient(ctx, ids[4]); err != nil {
		t.Fatal(err)
	}
	heard()
	counted.take() // the marker's own read
	pass()
	got := counted.take()
	want := map[string]int{
		"GetClient " + ids[1]:          1, // renamed: its row only
		"ListSecrets " + ids[2]:        1, // secret rotated
		"FindGrant " + ids[3]:          1, // grant changed
		"GetAPIByAudience " + audience: 1, // API renamed: not every grant
		"GetClient " + ids[4]:          1, // deleted: all three
		"ListSecrets " + ids[4]:        1,
		"FindGrant " + ids[4]:          1,
	}
	if !maps.Equal(got, want) {
		t.Errorf("after the writes, a pass read the store\n%v\nwant\n%v", sorted(got), sorted(want))
	}
	pass()
	if r := counted.take(); len(r) != 0 {
		t.Errorf("a pass after that read the store again: %v", r)
	}
	if cl, err := cache.GetClient(ctx, ids[1]); err != nil || cl.Name != "renamed" {
		t.Errorf("the renamed client reads %q, %v", cl.Name, err)
	}
	if g, err := cache.FindGrant(ctx, ids[3], audience); err != nil || len(g.Scopes) != 2 {
		t.Errorf("the changed grant reads %v, %v", g.Scopes, err)
	}
	if a, err := cache.GetAPIByAudience(ctx, audience); err != nil || a.Name != "Orders, renamed" {
		t.Errorf("the renamed API reads %q, %v", a.Name, err)
	}
}

func seedClient(t *testing.T, s *Store, id, audience string, t0 time.Time) {
	t.Helper()
	ctx := testContext(t)
	if err := s.CreateClient(ctx, mint.Client{ID: id, Name: id, CreatedAt: t0, UpdatedAt: t0},
		mint.Secret{ID: "sec_" + id, Digest: []byte("digest"), CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateGrant(ctx, mint.Grant{ID: "grant_" + id, ClientID: id, Audience: audience,
		Scopes: []string{"read"}, CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
}

func rename(t *testing.T, s *Store, id, name string) {
	t.Helper()
	if _, err := s.UpdateClient(testContext(t), id, func(c mint.Client) (mint.Client, error) {
		c.Name = name
		return c, nil
	}); err != nil {
		t.Fatal(err)
	}
}

func sorted(m map[string]int) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s: %d", k, v))
	}
	slices.Sort(out)
	return out
}
