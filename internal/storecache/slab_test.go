package storecache

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// churning is a store whose every read answers new contents (its load
// count in every string), so that each read after an invalidation writes
// a new record and the old one goes dead.
type churning struct {
	mint.Store
	loads atomic.Int64
}

var slabT0 = time.UnixMilli(1_780_000_000_000).UTC()

func (s *churning) GetClient(_ context.Context, id string) (mint.Client, error) {
	n := s.loads.Add(1)
	limit := n
	return mint.Client{ID: id, Name: fmt.Sprintf("name %d of %s", n, id), JWKS: []byte(fmt.Sprintf(`{"keys":[],"n":%d}`, n)),
		TokensPerHour: &limit, CreatedAt: slabT0, UpdatedAt: slabT0}, nil
}

func (s *churning) ListSecrets(_ context.Context, id string) ([]mint.Secret, error) {
	n := s.loads.Add(1)
	return []mint.Secret{
		{ID: fmt.Sprint("sec_a", n), ClientID: id, Digest: bytes.Repeat([]byte{byte(n)}, 32), CreatedAt: slabT0},
		{ID: fmt.Sprint("sec_b", n), ClientID: id, Digest: []byte(fmt.Sprint("digest", n)), CreatedAt: slabT0, ExpiresAt: slabT0.Add(time.Hour)},
	}, nil
}

func (s *churning) FindGrant(_ context.Context, id, aud string) (mint.Grant, error) {
	n := s.loads.Add(1)
	return mint.Grant{ID: fmt.Sprint("grt_", n), ClientID: id, Audience: aud,
		Scopes: []string{fmt.Sprint("read", n), "write"}, CreatedAt: slabT0, UpdatedAt: slabT0}, nil
}

func (s *churning) ListGrants(_ context.Context, id string) ([]mint.Grant, error) {
	n := s.loads.Add(1)
	return []mint.Grant{
		{ID: fmt.Sprint("grt_a", n), ClientID: id, Audience: fmt.Sprint("https://a", n), Scopes: []string{fmt.Sprint("read", n), "write"}, CreatedAt: slabT0, UpdatedAt: slabT0},
		{ID: fmt.Sprint("grt_b", n), ClientID: id, Audience: "https://b", Scopes: []string{}, CreatedAt: slabT0, UpdatedAt: slabT0},
	}, nil
}

func (*churning) Close() error { return nil }

// deepClient and the others copy an answer's bytes out of the slab, to
// compare the views with later.
func deepClient(c mint.Client) mint.Client {
	c.ID, c.Name, c.JWKS = strings.Clone(c.ID), strings.Clone(c.Name), bytes.Clone(c.JWKS)
	limit := *c.TokensPerHour
	c.TokensPerHour = &limit
	return c
}

func deepSecrets(ss []mint.Secret) []mint.Secret {
	out := make([]mint.Secret, len(ss))
	for i, s := range ss {
		s.ID, s.ClientID, s.Digest = strings.Clone(s.ID), strings.Clone(s.ClientID), bytes.Clone(s.Digest)
		out[i] = s
	}
	return out
}

func deepGrant(g mint.Grant) mint.Grant {
	g.ID, g.ClientID, g.Audience = strings.Clone(g.ID), strings.Clone(g.ClientID), strings.Clone(g.Audience)
	scopes := make([]string, len(g.Scopes))
	for i, s := range g.Scopes {
		scopes[i] = strings.Clone(s)
	}
	g.Scopes = scopes
	return g
}

// A view handed out before the slabs are rewritten reads the same bytes
// after: records are never written over, compaction copies the live ones
// into new slabs, and an old slab stays alive while a view of it does.
// Heavy churn (every client's answers replaced thousands of times over,
// collections between) makes many compactions, and garbage filled with
// 0xAA would show in a view of a slab freed and reused. Scope lists are
// both interned and (the interner full) written inline.
func TestViewsOutliveCompaction(t *testing.T) {
	for _, inline := range []bool{false, true} {
		t.Run(fmt.Sprint("inline scopes=", inline), func(t *testing.T) {
			st := &churning{}
			c := New(st, Options{MaxEntries: 200})
			t.Cleanup(func() { c.Close() })
			if inline {
				for i := range maxInterned {
					c.intern.scopeIndex([]string{fmt.Sprint("filler", i)})
				}
			}
			ctx := context.Background()
			const clients, aud = 50, "https://cargo.example.com"
			type held struct {
				client        mint.Client
				secrets       []mint.Secret
				grant         mint.Grant
				grants        []mint.Grant
				wantGs        []mint.Grant
				wantC         mint.Client
				wantS         []mint.Secret
				wantG         mint.Grant
				clientID, gID string
			}
			var views []held
			read := func(id string) held {
				cl, err1 := c.GetClient(ctx, id)
				ss, err2 := c.ListSecrets(ctx, id)
				g, err3 := c.FindGrant(ctx, id, aud)
				gs, err4 := c.ListGrants(ctx, id)
				if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
					t.Fatal(err1, err2, err3, err4)
				}
				wantGs := make([]mint.Grant, len(gs))
				for i, g := range gs {
					wantGs[i] = deepGrant(g)
				}
				return held{client: cl, secrets: ss, grant: g, grants: gs, wantC: deepClient(cl), wantS: deepSecrets(ss),
					wantG: deepGrant(g), wantGs: wantGs}
			}
			var garbage [][]byte
			for round := range 40 {
				for i := range clients {
					id := fmt.Sprint("client-", i)
					read(id) // a miss: the store's own answer
					if round%10 == 0 && i%5 == 0 {
						views = append(views, read(id)) // a hit: views of the slabs
					}
					c.invalidate("clients", id) // drops the three kinds' records
				}
				runtime.GC()
				garbage = append(garbage[:0], bytes.Repeat([]byte{0xAA}, 1<<20))
			}
			runtime.KeepAlive(garbage)
			if n := c.clients.compactions.Load() + c.secrets.compactions.Load() + c.grantFor.compactions.Load() + c.grants.compactions.Load(); n < 10 {
				t.Fatalf("%d compactions; the churn was meant to make many", n)
			}
			for i, v := range views {
				if !equalClient(v.client, v.wantC) {
					t.Errorf("view %d: client %#v, was %#v", i, v.client, v.wantC)
				}
				if !equalSecrets(v.secrets, v.wantS) {
					t.Errorf("view %d: secrets %#v, were %#v", i, v.secrets, v.wantS)
				}
				if !equalGrant(v.grant, v.wantG) {
					t.Errorf("view %d: grant %#v, was %#v", i, v.grant, v.wantG)
				}
				for j := range v.wantGs {
					if len(v.grants) != len(v.wantGs) || !equalGrant(v.grants[j], v.wantGs[j]) {
						t.Errorf("view %d: grants %#v, were %#v", i, v.grants, v.wantGs)
						break
					}
				}
			}
			// What the shards hold stays bounded: dead records are dropped.
			for _, tab := range []interface{ slabBytes() int }{c.clients, c.secrets, c.grantFor, c.grants} {
				if n := tab.slabBytes(); n > 64<<10 {
					t.Errorf("%d bytes of slabs for %d clients", n, clients)
				}
			}
		})
	}
}

func equalClient(a, b mint.Client) bool {
	return a.ID == b.ID && a.Name == b.Name && bytes.Equal(a.JWKS, b.JWKS) && *a.TokensPerHour == *b.TokensPerHour &&
		a.CreatedAt == b.CreatedAt && a.UpdatedAt == b.UpdatedAt
}

func equalSecrets(a, b []mint.Secret) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID || a[i].ClientID != b[i].ClientID || !bytes.Equal(a[i].Digest, b[i].Digest) ||
			a[i].CreatedAt != b[i].CreatedAt || a[i].ExpiresAt != b[i].ExpiresAt || a[i].LastUsedAt != b[i].LastUsedAt {
			return false
		}
	}
	return true
}

func equalGrant(a, b mint.Grant) bool {
	if a.ID != b.ID || a.ClientID != b.ClientID || a.Audience != b.Audience || len(a.Scopes) != len(b.Scopes) ||
		a.CreatedAt != b.CreatedAt || a.UpdatedAt != b.UpdatedAt {
		return false
	}
	for i := range a.Scopes {
		if a.Scopes[i] != b.Scopes[i] {
			return false
		}
	}
	return true
}
