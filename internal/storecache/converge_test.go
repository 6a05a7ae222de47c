package storecache_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/sqlite"
	"github.com/mintauth/mint/internal/storecache"
)

// twoHandles opens the backend's database twice: writer stands for another
// process (SQLite: a second Open of the file, as `mint apply` is) or
// replica (PostgreSQL), reader for the `mint serve` whose cache must hear
// it.
func twoHandles(t *testing.T, name string) (writer, reader mint.Store, changes storecache.Notifier) {
	t.Helper()
	if name == "sqlite" {
		path := filepath.Join(t.TempDir(), "mint.db")
		open := func() *sqlite.Store {
			s, err := sqlite.Open(context.Background(), path)
			if err != nil {
				t.Fatalf("sqlite.Open: %v", err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		w, r := open(), open()
		return w, r, r
	}
	b := openBackend(t, name)
	return b.Replica(t), b.Raw, b.Changes
}

// TestCacheConvergesAfterEveryWriteElsewhere is a property test of
// invalidation: a random sequence of writes of every kind (clients,
// secrets, grants, APIs, tokens_revoked_before) is made through another
// process's handle while the cache is warm, and after each one the
// cache's answers to the token path's reads must come to equal the
// database's within a generous bound. A change the cache missed would
// keep its old answer for the TTL (10 minutes) and fail here.
func TestCacheConvergesAfterEveryWriteElsewhere(t *testing.T) {
	const steps = 40
	for _, name := range backends {
		t.Run(name, func(t *testing.T) {
			writer, reader, changes := twoHandles(t, name)
			c := newCache(t, reader, storecache.Options{Changes: changes})
			ctx := t.Context()
			clients := []string{"c0", "c1", "c2"}
			for _, id := range clients {
				seed(t, writer, id)
			}
			waitFor(t, 10*time.Second, "the cache to listen", func() bool { return c.Stats().Watching })
			seedRand := uint64(time.Now().UnixNano())
			t.Logf("seed %d", seedRand)
			rng := rand.New(rand.NewPCG(seedRand, 1))
			for step := range steps {
				snapshot(ctx, c, clients) // warm: the cache holds the state before the write
				op := writeOps[rng.IntN(len(writeOps))]
				id := clients[rng.IntN(len(clients))]
				what := op.name + " " + id
				if err := op.do(ctx, writer, id, step); err != nil &&
					!errors.Is(err, mint.ErrNotFound) && !errors.Is(err, mint.ErrConflict) {
					t.Fatalf("step %d, %s: %v", step, what, err)
				}
				want := snapshot(ctx, writer, clients)
				var got string
				start := time.Now()
				for got = snapshot(ctx, c, clients); got != want; got = snapshot(ctx, c, clients) {
					if time.Since(start) > 10*time.Second {
						t.Fatalf("step %d, %s: the cache still answers\n%s\nthe database\n%s", step, what, got, want)
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
		})
	}
}

// writeOp is one kind of write made through the writer's handle.
type writeOp struct {
	name string
	do   func(ctx context.Context, s mint.Store, id string, step int) error
}

var writeOps = []writeOp{
	{"create client", func(ctx context.Context, s mint.Store, id string, step int) error {
		at := t0.Add(time.Duration(step) * time.Second)
		return s.CreateClient(ctx, mint.Client{ID: id, Name: id, CreatedAt: at, UpdatedAt: at},
			mint.Secret{ID: fmt.Sprint("sec_", id, "_", step), Digest: []byte(fmt.Sprint("d", step)), CreatedAt: at})
	}},
	{"delete client", func(ctx context.Context, s mint.Store, id string, _ int) error {
		return s.DeleteClient(ctx, id)
	}},
	{"rename client, revoke its tokens", func(ctx context.Context, s mint.Store, id string, step int) error {
		_, err := s.UpdateClient(ctx, id, func(c mint.Client) (mint.Client, error) {
			c.Name = fmt.Sprint("name", step)
			c.TokensRevokedBefore = t0.Add(time.Duration(step) * time.Second)
			return c, nil
		})
		return err
	}},
	{"rotate secret, old ones expire", func(ctx context.Context, s mint.Store, id string, step int) error {
		at := t0.Add(time.Duration(step) * time.Second)
		return s.RotateSecret(ctx, mint.Secret{ID: fmt.Sprint("sec_", id, "_", step), ClientID: id,
			Digest: []byte(fmt.Sprint("d", step)), CreatedAt: at}, at)
	}},
	{"delete first secret", func(ctx context.Context, s mint.Store, id string, _ int) error {
		secrets, err := s.ListSecrets(ctx, id)
		if err != nil || len(secrets) == 0 {
			return err
		}
		return s.DeleteSecret(ctx, id, secrets[0].ID)
	}},
	{"create grant", func(ctx context.Context, s mint.Store, id string, step int) error {
		return s.CreateGrant(ctx, mint.Grant{ID: fmt.Sprint("grant_", id, "_", step), ClientID: id, Audience: audience,
			Scopes: []string{"read"}, CreatedAt: t0, UpdatedAt: t0})
	}},
	{"narrow or widen grant", func(ctx context.Context, s mint.Store, id string, step int) error {
		g, err := s.FindGrant(ctx, id, audience)
		if err != nil {
			return err
		}
		_, err = s.UpdateGrant(ctx, g.ID, func(g mint.Grant) (mint.Grant, error) {
			g.Scopes = [][]string{{"read"}, {"write"}, {}}[step%3]
			return g, nil
		})
		return err
	}},
	{"delete grant", func(ctx context.Context, s mint.Store, id string, _ int) error {
		g, err := s.FindGrant(ctx, id, audience)
		if err != nil {
			return err
		}
		return s.DeleteGrant(ctx, g.ID)
	}},
	{"change API scopes", func(ctx context.Context, s mint.Store, _ string, step int) error {
		_, err := s.UpdateAPI(ctx, "api_cargo", func(a mint.API) (mint.API, error) {
			a.Scopes = [][]string{{"read", "write"}, {"write"}, {"read"}}[step%3]
			return a, nil
		})
		return err
	}},
	{"delete and re-create API", func(ctx context.Context, s mint.Store, _ string, _ int) error {
		if err := s.DeleteAPI(ctx, "api_cargo"); err != nil {
			return err
		}
		return s.CreateAPI(ctx, mint.API{ID: "api_cargo", Name: "cargo", Audience: audience,
			Scopes: []string{"read", "write"}, TokenLifetime: time.Hour, CreatedAt: t0, UpdatedAt: t0})
	}},
}

// snapshot renders what the token path reads of clients, and the API, as
// s answers it ("not found" and other errors included).
func snapshot(ctx context.Context, s mint.Store, clients []string) string {
	var b strings.Builder
	show := func(what string, v any, err error) {
		switch {
		case errors.Is(err, mint.ErrNotFound):
			v = "not found" // the cache's "not found" may word it differently
		case err != nil:
			v = err.Error()
		}
		fmt.Fprintf(&b, "%s: %+v\n", what, v)
	}
	for _, id := range clients {
		c, err := s.GetClient(ctx, id)
		show(id+" client", c, err)
		secrets, err := s.ListSecrets(ctx, id)
		show(id+" secrets", secrets, err)
		g, err := s.FindGrant(ctx, id, audience)
		show(id+" grant", g, err)
	}
	api, err := s.GetAPIByAudience(ctx, audience)
	show("api", api, err)
	return b.String()
}
