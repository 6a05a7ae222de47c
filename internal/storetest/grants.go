package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/mintauth/mint/internal/mint"
)

// newGrant returns grant_N of client_C for api, created at(N).
func newGrant(n, c int, api mint.API) mint.Grant {
	return mint.Grant{
		ID:        fmt.Sprintf("grant_%d", n),
		ClientID:  fmt.Sprintf("client_%d", c),
		Audience:  api.Audience,
		Scopes:    []string{"read:things"},
		CreatedAt: at(n),
		UpdatedAt: at(n),
	}
}

func grantID(g mint.Grant) string { return g.ID }

func checkGrant(t *testing.T, got, want mint.Grant) {
	t.Helper()
	var d diff
	d.str("ID", got.ID, want.ID)
	d.str("ClientID", got.ClientID, want.ClientID)
	d.str("Audience", got.Audience, want.Audience)
	d.scopes("Scopes", got.Scopes, want.Scopes)
	d.time("CreatedAt", got.CreatedAt, want.CreatedAt)
	d.time("UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	d.check(t, "grant "+want.ID)
}

func createGrants(t *testing.T, ctx context.Context, s mint.Store, grants ...mint.Grant) {
	t.Helper()
	for _, g := range grants {
		must(t, "CreateGrant "+g.ID, s.CreateGrant(ctx, g))
	}
}

// checkStoredGrant checks that GetGrant and FindGrant agree on want.
func checkStoredGrant(t *testing.T, ctx context.Context, s mint.Store, want mint.Grant) {
	t.Helper()
	got, err := s.GetGrant(ctx, want.ID)
	must(t, "GetGrant", err)
	checkGrant(t, got, want)
	got, err = s.FindGrant(ctx, want.ClientID, want.Audience)
	must(t, "FindGrant", err)
	checkGrant(t, got, want)
}

// grantFixture stores API 1 and 2 and clients 1 and 2.
func grantFixture(t *testing.T, ctx context.Context, s mint.Store) (api1, api2 mint.API) {
	t.Helper()
	api1, api2 = newAPI(1), newAPI(2)
	createAPIs(t, ctx, s, api1, api2)
	createClients(t, ctx, s, newClient(1), newClient(2))
	return api1, api2
}

// listGrantIDs lists a client's grants, or pages through every grant when
// clientID is "".
func listGrantIDs(t *testing.T, ctx context.Context, s mint.Store, clientID string) []string {
	t.Helper()
	if clientID == "" {
		grants, err := listAll(ctx, s.ListGrantsPage, func(p mint.Page) mint.GrantQuery { return mint.GrantQuery{Page: p} })
		must(t, "ListGrantsPage", err)
		return ids(grants, grantID)
	}
	grants, err := s.ListGrants(ctx, clientID)
	must(t, "ListGrants", err)
	return ids(grants, grantID)
}

var grantCases = []testCase{
	{"CreateThenGetAndFind", func(t *testing.T, ctx context.Context, s mint.Store) {
		api1, _ := grantFixture(t, ctx, s)
		g := newGrant(1, 1, api1)
		g.Scopes = []string{"write:things", "read:things"}
		createGrants(t, ctx, s, g)
		checkStoredGrant(t, ctx, s, g)
	}},
	{"ListEmpty", func(t *testing.T, ctx context.Context, s mint.Store) {
		wantIDs(t, "ListGrants", listGrantIDs(t, ctx, s, ""), nil)
	}},
	{"ListOldestFirstAllOrByClient", func(t *testing.T, ctx context.Context, s mint.Store) {
		api1, api2 := grantFixture(t, ctx, s)
		createGrants(t, ctx, s, newGrant(4, 2, api2), newGrant(1, 1, api2), newGrant(3, 1, api1), newGrant(2, 2, api1))
		wantIDs(t, "ListGrants all", listGrantIDs(t, ctx, s, ""), []string{"grant_1", "grant_2", "grant_3", "grant_4"})
		wantIDs(t, "ListGrants client_1", listGrantIDs(t, ctx, s, "client_1"), []string{"grant_1", "grant_3"})
		wantIDs(t, "ListGrants client_2", listGrantIDs(t, ctx, s, "client_2"), []string{"grant_2", "grant_4"})
		grants, err := s.ListGrants(ctx, "client_2")
		must(t, "ListGrants", err)
		checkGrant(t, grants[1], newGrant(4, 2, api2))
	}},
	{"ListUnknownClientIsEmpty", func(t *testing.T, ctx context.Context, s mint.Store) {
		api1, _ := grantFixture(t, ctx, s)
		createGrants(t, ctx, s, newGrant(1, 1, api1))
		wantIDs(t, "ListGrants", listGrantIDs(t, ctx, s, "client_missing"), nil)
	}},
	{"ScopesRoundTrip", func(t *testing.T, ctx context.Context, s mint.Store) {
		api1, api2 := grantFixture(t, ctx, s)
		for i, scopes := range [][]string{nil, {}, {"b", "a", "c"}} {
			api := []mint.API{api1, api2, api1}[i]
			g := newGrant(i, 1+i/2, api)
			g.Scopes = scopes
			createGrants(t, ctx, s, g)
			checkStoredGrant(t, ctx, s, g)
		}
	}},
	{"CreateNotFound", func(t *testing.T, ctx context.Context, s mint.Store) {
		api1, _ := grantFixture(t, ctx, s)
		for _, tc := range []struct {
			name string
			edit func(*mint.Grant)
		}{
			{"UnknownClient", func(g *mint.Grant) { g.ClientID = "client_missing" }},
			{"UnknownAudience", func(g *mint.Grant) { g.Audience = "https://missing.example.com" }},
			{"AudienceIsAnAPIID", func(g *mint.Grant) { g.Audience = api1.ID }},
			{"Neither", func(g *mint.Grant) { g.ClientID, g.Audience = "client_missing", "https://missing.example.com" }},
		} {
			g := newGrant(1, 1, api1)
			tc.edit(&g)
			wantErr(t, tc.name+": CreateGrant", s.CreateGrant(ctx, g), mint.ErrNotFound)
		}
		wantIDs(t, "ListGrants", listGrantIDs(t, ctx, s, ""), nil)
	}},
	{"CreateConflict", func(t *testing.T, ctx context.Context, s mint.Store) {
		api1, api2 := grantFixture(t, ctx, s)
		orig := newGrant(1, 1, api1)
		createGrants(t, ctx, s, orig)
		sameID := newGrant(1, 2, api2)
		wantErr(t, "CreateGrant with a taken ID", s.CreateGrant(ctx, sameID), mint.ErrConflict)
		sameTarget := newGrant(2, 1, api1)
		wantErr(t, "CreateGrant for a client and audience already granted", s.CreateGrant(ctx, sameTarget), mint.ErrConflict)
		checkStoredGrant(t, ctx, s, orig)
		wantIDs(t, "ListGrants", listGrantIDs(t, ctx, s, ""), []string{orig.ID})
		// The same client for another API, and another client for the
		// same API, are fine.
		createGrants(t, ctx, s, newGrant(3, 1, api2), newGrant(4, 2, api1))
		wantIDs(t, "ListGrants", listGrantIDs(t, ctx, s, ""), []string{"grant_1", "grant_3", "grant_4"})
	}},
	{"GetAndFindNotFound", func(t *testing.T, ctx context.Context, s mint.Store) {
		api1, api2 := grantFixture(t, ctx, s)
		createGrants(t, ctx, s, newGrant(1, 1, api1))
		_, err := s.GetGrant(ctx, "grant_missing")
		wantErr(t, "GetGrant", err, mint.ErrNotFound)
		for _, tc := range []struct{ name, clientID, audience string }{
			{"NoGrantForThatAudience", "client_1", api2.Audience},
			{"NoGrantForThatClient", "client_2", api1.Audience},
			{"UnknownClient", "client_missing", api1.Audience},
			{"UnknownAudience", "client_1", "https://missing.example.com"},
		} {
			_, err := s.FindGrant(ctx, tc.clientID, tc.audience)
			wantErr(t, tc.name+": FindGrant", err, mint.ErrNotFound)
		}
	}},
	{"Update", func(t *testing.T, ctx context.Context, s mint.Store) {
		api1, api2 := grantFixture(t, ctx, s)
		orig, other := newGrant(1, 1, api1), newGrant(2, 1, api2)
		createGrants(t, ctx, s, orig, other)
		want := orig
		want.Scopes, want.UpdatedAt = []string{"write:things", "read:things"}, at(10)
		got, err := s.UpdateGrant(ctx, orig.ID, func(g mint.Grant) (mint.Grant, error) {
			checkGrant(t, g, orig)
			g.Scopes, g.UpdatedAt = want.Scopes, want.UpdatedAt
			return g, nil
		})
		must(t, "UpdateGrant", err)
		checkGrant(t, got, want)
		checkStoredGrant(t, ctx, s, want)
		checkStoredGrant(t, ctx, s, other)
	}},
	{"UpdateNotFound", func(t *testing.T, ctx context.Context, s mint.Store) {
		_, err := s.UpdateGrant(ctx, "grant_missing", func(g mint.Grant) (mint.Grant, error) { return g, nil })
		wantErr(t, "UpdateGrant", err, mint.ErrNotFound)
	}},
	{"UpdateAborted", func(t *testing.T, ctx context.Context, s mint.Store) {
		api1, _ := grantFixture(t, ctx, s)
		orig := newGrant(1, 1, api1)
		createGrants(t, ctx, s, orig)
		_, err := s.UpdateGrant(ctx, orig.ID, func(g mint.Grant) (mint.Grant, error) {
			g.Scopes = []string{"nope"}
			return g, errAbort
		})
		if err != errAbort {
			t.Fatalf("UpdateGrant error = %v, want the update function's error unchanged", err)
		}
		checkStoredGrant(t, ctx, s, orig)
	}},
	{"UpdateKeepsIdentity", func(t *testing.T, ctx context.Context, s mint.Store) {
		api1, api2 := grantFixture(t, ctx, s)
		orig := newGrant(1, 1, api1)
		createGrants(t, ctx, s, orig)
		want := orig
		want.Scopes = []string{"write:things"}
		got, err := s.UpdateGrant(ctx, orig.ID, func(g mint.Grant) (mint.Grant, error) {
			g.ID, g.ClientID, g.Audience = "grant_new", "client_2", api2.Audience
			g.Scopes = want.Scopes
			return g, nil
		})
		must(t, "UpdateGrant", err)
		checkGrant(t, got, want)
		checkStoredGrant(t, ctx, s, want)
		_, err = s.GetGrant(ctx, "grant_new")
		wantErr(t, "GetGrant(new ID)", err, mint.ErrNotFound)
		_, err = s.FindGrant(ctx, "client_2", api2.Audience)
		wantErr(t, "FindGrant(new client and audience)", err, mint.ErrNotFound)
	}},
	{"ConcurrentUpdatesLoseNothing", func(t *testing.T, ctx context.Context, s mint.Store) {
		api1, _ := grantFixture(t, ctx, s)
		orig := newGrant(1, 1, api1)
		orig.Scopes = nil
		createGrants(t, ctx, s, orig)
		const n = 20
		errs := concurrently(n, func(i int) error {
			_, err := s.UpdateGrant(ctx, orig.ID, func(g mint.Grant) (mint.Grant, error) {
				g.Scopes = append(g.Scopes, fmt.Sprintf("scope:%02d", i))
				return g, nil
			})
			return err
		})
		for i, err := range errs {
			must(t, fmt.Sprintf("UpdateGrant #%d", i), err)
		}
		got, err := s.GetGrant(ctx, orig.ID)
		must(t, "GetGrant", err)
		if len(got.Scopes) != n {
			t.Errorf("after %d concurrent appends, Scopes = %q", n, got.Scopes)
		}
		for i := range n {
			if !slices.Contains(got.Scopes, fmt.Sprintf("scope:%02d", i)) {
				t.Errorf("scope:%02d lost; Scopes = %q", i, got.Scopes)
			}
		}
	}},
	{"Delete", func(t *testing.T, ctx context.Context, s mint.Store) {
		api1, api2 := grantFixture(t, ctx, s)
		gone, kept := newGrant(1, 1, api1), newGrant(2, 1, api2)
		createGrants(t, ctx, s, gone, kept)
		must(t, "DeleteGrant", s.DeleteGrant(ctx, gone.ID))
		_, err := s.GetGrant(ctx, gone.ID)
		wantErr(t, "GetGrant after delete", err, mint.ErrNotFound)
		_, err = s.FindGrant(ctx, gone.ClientID, gone.Audience)
		wantErr(t, "FindGrant after delete", err, mint.ErrNotFound)
		wantErr(t, "DeleteGrant again", s.DeleteGrant(ctx, gone.ID), mint.ErrNotFound)
		checkStoredGrant(t, ctx, s, kept)
		// The client and API stay, and the pair can be granted again.
		checkStoredClient(t, ctx, s, newClient(1))
		checkStoredAPI(t, ctx, s, api1)
		again := newGrant(3, 1, api1)
		createGrants(t, ctx, s, again)
		checkStoredGrant(t, ctx, s, again)
	}},
	{"DeleteNotFound", func(t *testing.T, ctx context.Context, s mint.Store) {
		wantErr(t, "DeleteGrant", s.DeleteGrant(ctx, "grant_missing"), mint.ErrNotFound)
	}},
}
