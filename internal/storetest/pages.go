package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

func clientCursor(c mint.Client) mint.Cursor { return mint.CursorAt(c.CreatedAt, c.ID) }
func apiCursor(a mint.API) mint.Cursor       { return mint.CursorAt(a.CreatedAt, a.ID) }
func grantCursor(g mint.Grant) mint.Cursor   { return mint.CursorAt(g.CreatedAt, g.ID) }
func secretID(s mint.Secret) string          { return s.ID }

// listAll follows a paginated list to its end, two rows a page, so that
// every conformance test that lists also exercises the cursor.
func listAll[T, Q any](ctx context.Context, list func(context.Context, Q) ([]T, mint.Cursor, error),
	query func(mint.Page) Q) ([]T, error) {
	return listPages(ctx, list, query, func() int { return 2 })
}

// listPages follows a paginated list to its end with the page sizes size
// returns.
func listPages[T, Q any](ctx context.Context, list func(context.Context, Q) ([]T, mint.Cursor, error),
	query func(mint.Page) Q, size func() int) ([]T, error) {
	var all []T
	var after mint.Cursor
	for pages := 0; ; pages++ {
		if pages > 100_000 {
			return nil, fmt.Errorf("the list's cursors loop")
		}
		items, next, err := list(ctx, query(mint.Page{After: after, Limit: size()}))
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if next.IsZero() {
			return all, nil
		}
		after = next
	}
}

func listAllClients(ctx context.Context, s mint.Store) ([]mint.Client, error) {
	return listAll(ctx, s.ListClientsPage, func(p mint.Page) mint.ClientQuery { return mint.ClientQuery{Page: p} })
}

// byCursor orders rows as paginated lists do: creation time, then ID.
func byCursor[T any](cursor func(T) mint.Cursor) func(a, b T) int {
	return func(a, b T) int {
		ca, cb := cursor(a), cursor(b)
		if c := ca.CreatedAt.Compare(cb.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(ca.ID, cb.ID)
	}
}

// tiedClients returns n clients whose creation times repeat (three rows a
// minute), so that the order must break ties by ID; their IDs are not in
// creation order.
func tiedClients(n int) []mint.Client {
	out := make([]mint.Client, n)
	for i := range out {
		c := newClient(n - i)
		c.CreatedAt, c.UpdatedAt = at(i/3), at(i/3)
		out[i] = c
	}
	return out
}

var pageCases = []testCase{
	{"EmptyLists", func(t *testing.T, ctx context.Context, s mint.Store) {
		clients, next, err := s.ListClientsPage(ctx, mint.ClientQuery{})
		must(t, "ListClientsPage", err)
		apis, nextAPIs, errAPIs := s.ListAPIsPage(ctx, mint.Page{})
		must(t, "ListAPIsPage", errAPIs)
		grants, nextGrants, errGrants := s.ListGrantsPage(ctx, mint.GrantQuery{})
		must(t, "ListGrantsPage", errGrants)
		if len(clients)+len(apis)+len(grants) != 0 || !next.IsZero() || !nextAPIs.IsZero() || !nextGrants.IsZero() {
			t.Fatalf("empty store lists %d clients, %d APIs, %d grants (next %v %v %v)",
				len(clients), len(apis), len(grants), next, nextAPIs, nextGrants)
		}
	}},
	{"ClientsByTimeThenIDAtEveryPageSize", func(t *testing.T, ctx context.Context, s mint.Store) {
		clients := tiedClients(10)
		createClients(t, ctx, s, clients...)
		want := slices.SortedFunc(slices.Values(clients), byCursor(clientCursor))
		for size := 1; size <= 11; size++ {
			got, err := listPages(ctx, s.ListClientsPage, func(p mint.Page) mint.ClientQuery { return mint.ClientQuery{Page: p} },
				func() int { return size })
			must(t, "ListClientsPage", err)
			wantIDs(t, fmt.Sprintf("clients %d a page", size), ids(got, clientID), ids(want, clientID))
		}
		got, err := listAllClients(ctx, s)
		must(t, "ListClientsPage", err)
		for i := range got {
			checkClient(t, got[i], want[i])
		}
	}},
	{"PageSizeBounds", func(t *testing.T, ctx context.Context, s mint.Store) {
		createClients(t, ctx, s, tiedClients(3)...)
		for _, limit := range []int{-1, 0} { // the default page holds all three
			got, next, err := s.ListClientsPage(ctx, mint.ClientQuery{Page: mint.Page{Limit: limit}})
			must(t, "ListClientsPage", err)
			if len(got) != 3 || !next.IsZero() {
				t.Errorf("limit %d: %d clients, next %v; want 3, none", limit, len(got), next)
			}
		}
		got, next, err := s.ListClientsPage(ctx, mint.ClientQuery{Page: mint.Page{Limit: 3}})
		must(t, "ListClientsPage", err)
		if len(got) != 3 || !next.IsZero() {
			t.Errorf("a page exactly as long as the list: %d clients, next %v; want 3, none", len(got), next)
		}
		got, next, err = s.ListClientsPage(ctx, mint.ClientQuery{Page: mint.Page{Limit: 2}})
		must(t, "ListClientsPage", err)
		if len(got) != 2 || next != clientCursor(got[1]) {
			t.Errorf("a page of 2 of 3: %d clients, next %v; want 2, after the second", len(got), next)
		}
	}},
	{"CursorOfDeletedRow", func(t *testing.T, ctx context.Context, s mint.Store) {
		clients := tiedClients(6)
		createClients(t, ctx, s, clients...)
		want := slices.SortedFunc(slices.Values(clients), byCursor(clientCursor))
		first, _, err := s.ListClientsPage(ctx, mint.ClientQuery{Page: mint.Page{Limit: 3}})
		must(t, "ListClientsPage", err)
		must(t, "DeleteClient", s.DeleteClient(ctx, first[2].ID))
		rest, next, err := s.ListClientsPage(ctx, mint.ClientQuery{Page: mint.Page{After: clientCursor(first[2])}})
		must(t, "ListClientsPage", err)
		wantIDs(t, "after a deleted row", ids(rest, clientID), ids(want[3:], clientID))
		if !next.IsZero() {
			t.Errorf("last page names a next one: %v", next)
		}
	}},
	{"SearchClientsByNameOrIDPrefix", func(t *testing.T, ctx context.Context, s mint.Store) {
		names := []string{"Acme Corp", "acme labs", "Beta", "50%_off", "500 off", "5a_b", "not Acme"}
		var clients []mint.Client
		for i, name := range names {
			c := newClient(i + 1)
			c.Name = name
			clients = append(clients, c)
		}
		createClients(t, ctx, s, clients...)
		for _, tc := range []struct {
			search string
			want   []string
		}{
			{"acme", []string{"client_1", "client_2"}},
			{"ACME L", []string{"client_2"}},
			{"client_3", []string{"client_3"}},
			{"CLIENT_", []string{"client_1", "client_2", "client_3", "client_4", "client_5", "client_6", "client_7"}},
			{"50%", []string{"client_4"}}, // % is a character, not a wildcard
			{"5_", nil},                   // so is _
			{`\`, nil},
			{"zzz", nil},
		} {
			got, err := listAll(ctx, s.ListClientsPage,
				func(p mint.Page) mint.ClientQuery { return mint.ClientQuery{Page: p, Search: tc.search} })
			must(t, "ListClientsPage", err)
			wantIDs(t, fmt.Sprintf("search %q", tc.search), ids(got, clientID), tc.want)
		}
	}},
	{"APIsByTimeThenID", func(t *testing.T, ctx context.Context, s mint.Store) {
		var apis []mint.API
		for i := range 7 {
			api := newAPI(7 - i)
			api.CreatedAt = at(i / 2)
			apis = append(apis, api)
		}
		createAPIs(t, ctx, s, apis...)
		got, err := listAll(ctx, s.ListAPIsPage, func(p mint.Page) mint.Page { return p })
		must(t, "ListAPIsPage", err)
		want := slices.SortedFunc(slices.Values(apis), byCursor(apiCursor))
		wantIDs(t, "ListAPIsPage", ids(got, func(a mint.API) string { return a.ID }), ids(want, func(a mint.API) string { return a.ID }))
		checkAPI(t, got[0], want[0])
	}},
	{"GrantsByClientAndAudience", func(t *testing.T, ctx context.Context, s mint.Store) {
		api1, api2 := grantFixture(t, ctx, s)
		createGrants(t, ctx, s, newGrant(4, 2, api2), newGrant(1, 1, api2), newGrant(3, 1, api1), newGrant(2, 2, api1))
		for _, tc := range []struct {
			q    mint.GrantQuery
			want []string
		}{
			{mint.GrantQuery{}, []string{"grant_1", "grant_2", "grant_3", "grant_4"}},
			{mint.GrantQuery{ClientID: "client_1"}, []string{"grant_1", "grant_3"}},
			{mint.GrantQuery{Audience: api1.Audience}, []string{"grant_2", "grant_3"}},
			{mint.GrantQuery{ClientID: "client_2", Audience: api2.Audience}, []string{"grant_4"}},
			{mint.GrantQuery{ClientID: "client_missing"}, nil},
		} {
			got, err := listAll(ctx, s.ListGrantsPage, func(p mint.Page) mint.GrantQuery { q := tc.q; q.Page = p; return q })
			must(t, "ListGrantsPage", err)
			wantIDs(t, fmt.Sprintf("ListGrantsPage(%+v)", tc.q), ids(got, grantID), tc.want)
		}
	}},
	{"SecretsOfManyClients", func(t *testing.T, ctx context.Context, s mint.Store) {
		c1, c2, c3 := newClient(1), newClient(2), newClient(3)
		createClients(t, ctx, s, c1, c2, c3)
		must(t, "RotateSecret", s.RotateSecret(ctx, newSecret(5, c2.ID), time.Time{}))
		must(t, "DeleteSecret", s.DeleteSecret(ctx, c3.ID, firstSecret(c3).ID))
		got, err := s.ListSecretsOf(ctx, []string{c1.ID, c2.ID, c3.ID, "client_missing"})
		must(t, "ListSecretsOf", err)
		for _, c := range []mint.Client{c1, c2, c3} {
			want, err := s.ListSecrets(ctx, c.ID)
			must(t, "ListSecrets", err)
			wantIDs(t, "ListSecretsOf "+c.ID, ids(got[c.ID], secretID), ids(want, secretID))
			for i := range want {
				checkSecret(t, got[c.ID][i], want[i])
			}
		}
		if _, ok := got["client_missing"]; ok || len(got) != 2 {
			t.Errorf("ListSecretsOf answered for %d clients, want 2 (no secret, no client: no entry)", len(got))
		}
		none, err := s.ListSecretsOf(ctx, nil)
		if err != nil || len(none) != 0 {
			t.Errorf("ListSecretsOf(nil) = %v, %v; want nothing", none, err)
		}
	}},
	{"PagingWhileWriting", pagingWhileWriting},
}

// pagingWhileWriting is the pagination property at a few thousand rows:
// paging through with random page sizes while other clients are created
// and deleted yields every client that existed throughout exactly once, in
// order, and no client twice.
func pagingWhileWriting(t *testing.T, ctx context.Context, s mint.Store) {
	stable, churn := 2000, 200
	if testing.Short() {
		stable, churn = 300, 50
	}
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	clients := make([]mint.Client, stable+churn)
	for i := range clients {
		c := newClient(i)
		// Few distinct times: most order is decided by the ID tie-break.
		c.CreatedAt = at(rng.IntN(20))
		c.UpdatedAt = c.CreatedAt
		clients[i] = c
	}
	createConcurrently(t, ctx, s, clients)
	kept, doomed := clients[:stable], clients[stable:]

	stop := make(chan struct{})
	var writer sync.WaitGroup
	writer.Go(func() { churnClients(t, ctx, s, doomed, stop) })
	defer writer.Wait()
	defer close(stop)

	// Limits beyond MaxPageLimit are asked too: the store must cut them.
	sizes := []int{1, 7, 50, 333, mint.MaxPageLimit, 5 * mint.MaxPageLimit}
	for round := range 3 {
		got, err := listPages(ctx, s.ListClientsPage, func(p mint.Page) mint.ClientQuery {
			if p.Size() > mint.MaxPageLimit {
				t.Fatalf("Page.Size() = %d above MaxPageLimit", p.Size())
			}
			return mint.ClientQuery{Page: p}
		}, func() int { return sizes[rng.IntN(len(sizes))] })
		must(t, "ListClientsPage", err)
		checkPagedOnce(t, fmt.Sprintf("round %d", round), got, kept)
	}
	big, next, err := s.ListClientsPage(ctx, mint.ClientQuery{Page: mint.Page{Limit: 5 * mint.MaxPageLimit}})
	must(t, "ListClientsPage", err)
	if len(big) != mint.MaxPageLimit || next.IsZero() {
		t.Errorf("a page asked %d long holds %d clients (next %v), want %d and a next page",
			5*mint.MaxPageLimit, len(big), next, mint.MaxPageLimit)
	}
}

// createConcurrently creates clients from a few goroutines, for speed.
func createConcurrently(t *testing.T, ctx context.Context, s mint.Store, clients []mint.Client) {
	t.Helper()
	const workers = 4
	errs := concurrently(workers, func(w int) error {
		for i := w; i < len(clients); i += workers {
			if err := s.CreateClient(ctx, clients[i], firstSecret(clients[i])); err != nil {
				return err
			}
		}
		return nil
	})
	for _, err := range errs {
		must(t, "CreateClient", err)
	}
}

// churnClients deletes and recreates doomed clients (and creates new ones)
// until stop closes.
func churnClients(t *testing.T, ctx context.Context, s mint.Store, doomed []mint.Client, stop <-chan struct{}) {
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		c := doomed[i%len(doomed)]
		err := s.DeleteClient(ctx, c.ID)
		if err == nil {
			err = s.CreateClient(ctx, c, firstSecret(c))
		}
		if err == nil {
			extra := newClient(100000 + i)
			extra.CreatedAt = c.CreatedAt
			err = s.CreateClient(ctx, extra, firstSecret(extra))
		}
		if err != nil && ctx.Err() == nil {
			t.Errorf("churn: %v", err)
			return
		}
	}
}

// checkPagedOnce checks that got is in cursor order (so no row twice) and
// holds every client of kept.
func checkPagedOnce(t *testing.T, what string, got, kept []mint.Client) {
	t.Helper()
	order := byCursor(clientCursor)
	for i := 1; i < len(got); i++ {
		if order(got[i-1], got[i]) >= 0 {
			t.Fatalf("%s: %s listed after %s: out of order or twice", what, got[i].ID, got[i-1].ID)
		}
	}
	seen := make(map[string]bool, len(got))
	for _, c := range got {
		seen[c.ID] = true
	}
	for _, c := range kept {
		if !seen[c.ID] {
			t.Fatalf("%s: %s existed throughout but was not listed (%d listed)", what, c.ID, len(got))
		}
	}
}
