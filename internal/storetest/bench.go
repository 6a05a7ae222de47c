package storetest

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// BenchAPIs is how many APIs a BenchLists store holds; client i has one
// grant, on the API with audience BenchAudience(i % BenchAPIs).
const BenchAPIs = 10

// BenchAudience is the audience of the i-th API of a BenchLists store.
func BenchAudience(i int) string { return fmt.Sprintf("https://api%d.example.com", i) }

// BenchLists measures the admin lists' pages on a store that the caller
// filled (in bulk, through its backend) with n clients named "Partner i",
// each with one secret and one grant. Each page reads what the admin API
// reads for it: a page of clients also reads its clients' secrets.
func BenchLists(b *testing.B, s mint.Store, n int) {
	ctx := context.Background()
	middle := cursorAfter(b, ctx, s, n/2)
	last := cursorAfter(b, ctx, s, n-mint.DefaultPageLimit)
	clientPages := []struct {
		name string
		q    mint.ClientQuery
	}{
		{"first", mint.ClientQuery{}},
		{"middle", mint.ClientQuery{Page: mint.Page{After: middle}}},
		{"last", mint.ClientQuery{Page: mint.Page{After: last}}},
		{"max-size", mint.ClientQuery{Page: mint.Page{After: middle, Limit: mint.MaxPageLimit}}},
		// Rare matches spread to the end: the search walks every client.
		{"search-rare", mint.ClientQuery{Search: fmt.Sprintf("partner %d", n/10-1)}},
		{"search-none", mint.ClientQuery{Search: "no such partner"}},
	}
	for _, p := range clientPages {
		b.Run("clients/"+p.name, func(b *testing.B) {
			for b.Loop() {
				clients, _, err := s.ListClientsPage(ctx, p.q)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.ListSecretsOf(ctx, ids(clients, clientID)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	grantPages := map[string]mint.GrantQuery{
		"grants/middle":      {Page: mint.Page{After: middle}},
		"grants/by-audience": {Audience: BenchAudience(3), Page: mint.Page{After: middle}},
	}
	for name, q := range grantPages {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := s.ListGrantsPage(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("apis/first", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := s.ListAPIsPage(ctx, mint.Page{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("grants/of-one-client", func(b *testing.B) { // the token path's ListGrants
		for b.Loop() {
			if _, err := s.ListGrants(ctx, middle.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// cursorAfter pages through the first k clients and returns the cursor
// after them.
func cursorAfter(b *testing.B, ctx context.Context, s mint.Store, k int) mint.Cursor {
	b.Helper()
	var after mint.Cursor
	for k > 0 {
		clients, _, err := s.ListClientsPage(ctx, mint.ClientQuery{Page: mint.Page{After: after, Limit: min(k, mint.MaxPageLimit)}})
		if err != nil || len(clients) == 0 {
			b.Fatalf("ListClientsPage: %d clients, %v", len(clients), err)
		}
		after = clientCursor(clients[len(clients)-1])
		k -= len(clients)
	}
	return after
}

// SearchAcrossWindows checks a search on a store filled as for BenchLists
// with n clients, n well above mint.SearchScanLimit: a rare match's pages
// may be short or empty, yet following them finds every match exactly
// once, in order, and each page reads at most one window.
func SearchAcrossWindows(t *testing.T, s mint.Store, n int) {
	ctx := testContext(t)
	prefix := fmt.Sprint(n/10 - 1) // matches i = n/10-1 and the ten i = n-10 … n-1
	want := []string{"Partner " + prefix}
	for i := n - 10; i < n; i++ {
		want = append(want, fmt.Sprint("Partner ", i))
	}
	for _, limit := range []int{1, 5, mint.MaxPageLimit} {
		var got []string
		pages, empty := 0, 0
		after := mint.Cursor{}
		for {
			clients, next, err := s.ListClientsPage(ctx, mint.ClientQuery{Search: "PARTNER " + prefix, Page: mint.Page{After: after, Limit: limit}})
			must(t, "ListClientsPage", err)
			pages++
			if len(clients) == 0 {
				empty++
			}
			for _, c := range clients {
				got = append(got, c.Name)
			}
			if next.IsZero() {
				break
			}
			if pages > n {
				t.Fatalf("limit %d: the cursors loop", limit)
			}
			after = next
		}
		// Three clients a millisecond: their order is their random IDs'.
		slices.Sort(got)
		slices.Sort(want)
		wantIDs(t, fmt.Sprintf("search, %d a page", limit), got, want)
		if maxPages := n/mint.SearchScanLimit + len(want) + 1; pages > maxPages {
			t.Errorf("limit %d: %d pages, want at most %d", limit, pages, maxPages)
		}
		if limit == mint.MaxPageLimit && empty == 0 && n > 2*mint.SearchScanLimit {
			t.Errorf("no empty page: each page read more than one window")
		}
	}
}

// BenchUseAssertion measures recording fresh jti values, as the token
// endpoint does for each DPoP proof (kept 80 s) and each private_key_jwt
// assertion (kept up to 10.5 min): one at a time, and from 64 goroutines
// at once, where a store that groups concurrent uses into one commit pays
// one commit for many.
func BenchUseAssertion(b *testing.B, s mint.Store) {
	ctx := context.Background()
	var seq atomic.Int64
	prefix := mint.NewID("jti") // a store may be measured more than once
	for _, kind := range []struct {
		name     string
		lifetime time.Duration
	}{{"proof", 80 * time.Second}, {"assertion", 10 * time.Minute}} {
		use := func() error {
			return s.UseAssertion(ctx, "dpop:bench", fmt.Sprintf("%s-%d", prefix, seq.Add(1)), time.Now().Add(kind.lifetime))
		}
		b.Run(kind.name+"/serial", func(b *testing.B) {
			for b.Loop() {
				if err := use(); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(kind.name+"/parallel64", func(b *testing.B) {
			b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := use(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
