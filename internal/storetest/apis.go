package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

func newAPI(n int) mint.API {
	return mint.API{
		ID:            fmt.Sprintf("api_%d", n),
		Name:          fmt.Sprintf("API %d", n),
		Audience:      fmt.Sprintf("https://api%d.example.com", n),
		Scopes:        []string{"read:things", "write:things"},
		TokenLifetime: time.Hour,
		CreatedAt:     at(n),
		UpdatedAt:     at(n),
	}
}

func checkAPI(t *testing.T, got, want mint.API) {
	t.Helper()
	var d diff
	d.str("ID", got.ID, want.ID)
	d.str("Name", got.Name, want.Name)
	d.str("Audience", got.Audience, want.Audience)
	d.scopes("Scopes", got.Scopes, want.Scopes)
	d.str("TokenLifetime", got.TokenLifetime.String(), want.TokenLifetime.String())
	d.str("SigningAlg", got.SigningAlg, want.SigningAlg)
	if got.TokenReuse != want.TokenReuse {
		d = append(d, fmt.Sprintf("TokenReuse = %v, want %v", got.TokenReuse, want.TokenReuse))
	}
	d.time("CreatedAt", got.CreatedAt, want.CreatedAt)
	d.time("UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	d.check(t, "API "+want.ID)
}

func createAPIs(t *testing.T, ctx context.Context, s mint.Store, apis ...mint.API) {
	t.Helper()
	for _, api := range apis {
		must(t, "CreateAPI "+api.ID, s.CreateAPI(ctx, api))
	}
}

// checkStoredAPI checks that GetAPI, GetAPIByAudience and ListAPIs agree on
// want.
func checkStoredAPI(t *testing.T, ctx context.Context, s mint.Store, want mint.API) {
	t.Helper()
	got, err := s.GetAPI(ctx, want.ID)
	must(t, "GetAPI", err)
	checkAPI(t, got, want)
	got, err = s.GetAPIByAudience(ctx, want.Audience)
	must(t, "GetAPIByAudience", err)
	checkAPI(t, got, want)
}

var apiCases = []testCase{
	{"CreateThenGet", func(t *testing.T, ctx context.Context, s mint.Store) {
		api := newAPI(1)
		createAPIs(t, ctx, s, api)
		checkStoredAPI(t, ctx, s, api)
	}},
	{"ListEmpty", func(t *testing.T, ctx context.Context, s mint.Store) {
		apis, err := s.ListAPIs(ctx)
		must(t, "ListAPIs", err)
		if len(apis) != 0 {
			t.Fatalf("ListAPIs on an empty store = %d APIs, want 0", len(apis))
		}
	}},
	{"ListOldestFirst", func(t *testing.T, ctx context.Context, s mint.Store) {
		createAPIs(t, ctx, s, newAPI(2), newAPI(0), newAPI(1))
		apis, err := s.ListAPIs(ctx)
		must(t, "ListAPIs", err)
		wantIDs(t, "ListAPIs", ids(apis, func(a mint.API) string { return a.ID }), []string{"api_0", "api_1", "api_2"})
		checkAPI(t, apis[1], newAPI(1))
	}},
	{"ScopesRoundTrip", func(t *testing.T, ctx context.Context, s mint.Store) {
		for i, scopes := range [][]string{nil, {}, {"only"}, {"z", "a", "m", "a:b c"}} {
			api := newAPI(i)
			api.Scopes = scopes
			createAPIs(t, ctx, s, api)
			checkStoredAPI(t, ctx, s, api)
		}
	}},
	{"TimesInUTCToTheMillisecond", func(t *testing.T, ctx context.Context, s mint.Store) {
		api := newAPI(1)
		api.CreatedAt = time.Date(2024, 2, 29, 23, 59, 59, 999_123_456, time.FixedZone("UTC+5", 5*3600))
		api.UpdatedAt = api.CreatedAt.Add(36 * time.Hour)
		createAPIs(t, ctx, s, api)
		checkStoredAPI(t, ctx, s, api)
	}},
	{"TokenLifetimeRoundTrip", func(t *testing.T, ctx context.Context, s mint.Store) {
		for i, d := range []time.Duration{0, time.Second, mint.DefaultTokenLifetime, 90*time.Minute + 250*time.Millisecond} {
			api := newAPI(i)
			api.TokenLifetime = d
			createAPIs(t, ctx, s, api)
			checkStoredAPI(t, ctx, s, api)
		}
	}},
	{"SigningAlgRoundTrip", func(t *testing.T, ctx context.Context, s mint.Store) {
		for i, alg := range append([]string{""}, mint.SigningAlgorithms...) {
			api := newAPI(i)
			api.SigningAlg = alg
			createAPIs(t, ctx, s, api)
			checkStoredAPI(t, ctx, s, api)
		}
	}},
	{"UpdateSigningAlg", func(t *testing.T, ctx context.Context, s mint.Store) {
		api := newAPI(1)
		createAPIs(t, ctx, s, api)
		for _, alg := range []string{mint.AlgEdDSA, mint.AlgES256, ""} {
			api.SigningAlg = alg
			got, err := s.UpdateAPI(ctx, api.ID, func(a mint.API) (mint.API, error) {
				a.SigningAlg = alg
				return a, nil
			})
			must(t, "UpdateAPI", err)
			checkAPI(t, got, api)
			checkStoredAPI(t, ctx, s, api)
		}
	}},
	{"CreateConflict", func(t *testing.T, ctx context.Context, s mint.Store) {
		orig := newAPI(1)
		createAPIs(t, ctx, s, orig)
		for _, tc := range []struct {
			name string
			edit func(*mint.API)
		}{
			{"SameID", func(a *mint.API) { a.Audience = "https://other.example.com" }},
			{"SameAudience", func(a *mint.API) { a.ID = "api_other" }},
			{"SameBoth", func(*mint.API) {}},
		} {
			dup := newAPI(2)
			dup.ID, dup.Audience = orig.ID, orig.Audience
			tc.edit(&dup)
			wantErr(t, tc.name+": CreateAPI", s.CreateAPI(ctx, dup), mint.ErrConflict)
		}
		apis, err := s.ListAPIs(ctx)
		must(t, "ListAPIs", err)
		if len(apis) != 1 {
			t.Fatalf("after conflicts, ListAPIs = %d APIs, want 1", len(apis))
		}
		checkStoredAPI(t, ctx, s, orig)
	}},
	{"GetNotFound", func(t *testing.T, ctx context.Context, s mint.Store) {
		createAPIs(t, ctx, s, newAPI(1))
		_, err := s.GetAPI(ctx, "api_missing")
		wantErr(t, "GetAPI", err, mint.ErrNotFound)
		_, err = s.GetAPIByAudience(ctx, "https://missing.example.com")
		wantErr(t, "GetAPIByAudience", err, mint.ErrNotFound)
		_, err = s.GetAPIByAudience(ctx, newAPI(1).ID) // an ID is not an audience
		wantErr(t, "GetAPIByAudience(ID)", err, mint.ErrNotFound)
	}},
	{"Update", func(t *testing.T, ctx context.Context, s mint.Store) {
		orig := newAPI(1)
		createAPIs(t, ctx, s, orig, newAPI(2))
		want := orig
		want.Name = "Renamed"
		want.Scopes = []string{"write:things", "admin"}
		want.TokenLifetime = 5 * time.Minute
		want.UpdatedAt = at(10)
		got, err := s.UpdateAPI(ctx, orig.ID, func(old mint.API) (mint.API, error) {
			checkAPI(t, old, orig)
			old.Name, old.Scopes = want.Name, want.Scopes
			old.TokenLifetime, old.UpdatedAt = want.TokenLifetime, want.UpdatedAt
			return old, nil
		})
		must(t, "UpdateAPI", err)
		checkAPI(t, got, want)
		checkStoredAPI(t, ctx, s, want)
		checkStoredAPI(t, ctx, s, newAPI(2))
	}},
	{"UpdateToEmptyScopes", func(t *testing.T, ctx context.Context, s mint.Store) {
		orig := newAPI(1)
		createAPIs(t, ctx, s, orig)
		got, err := s.UpdateAPI(ctx, orig.ID, func(old mint.API) (mint.API, error) {
			old.Scopes = nil
			return old, nil
		})
		must(t, "UpdateAPI", err)
		want := orig
		want.Scopes = nil
		checkAPI(t, got, want)
		checkStoredAPI(t, ctx, s, want)
	}},
	{"UpdateNotFound", func(t *testing.T, ctx context.Context, s mint.Store) {
		_, err := s.UpdateAPI(ctx, "api_missing", func(a mint.API) (mint.API, error) { return a, nil })
		wantErr(t, "UpdateAPI", err, mint.ErrNotFound)
	}},
	{"UpdateAborted", func(t *testing.T, ctx context.Context, s mint.Store) {
		orig := newAPI(1)
		createAPIs(t, ctx, s, orig)
		_, err := s.UpdateAPI(ctx, orig.ID, func(a mint.API) (mint.API, error) {
			a.Name = "Should not be stored"
			a.Scopes = append(a.Scopes, "nope")
			return a, errAbort
		})
		if err != errAbort {
			t.Fatalf("UpdateAPI error = %v, want the update function's error unchanged", err)
		}
		checkStoredAPI(t, ctx, s, orig)
	}},
	{"UpdateKeepsIdentity", func(t *testing.T, ctx context.Context, s mint.Store) {
		orig := newAPI(1)
		createAPIs(t, ctx, s, orig)
		want := orig
		want.Name = "Renamed"
		got, err := s.UpdateAPI(ctx, orig.ID, func(a mint.API) (mint.API, error) {
			a.ID, a.Audience, a.Name = "api_new", "https://new.example.com", want.Name
			return a, nil
		})
		must(t, "UpdateAPI", err)
		checkAPI(t, got, want)
		checkStoredAPI(t, ctx, s, want)
		_, err = s.GetAPI(ctx, "api_new")
		wantErr(t, "GetAPI(new ID)", err, mint.ErrNotFound)
		_, err = s.GetAPIByAudience(ctx, "https://new.example.com")
		wantErr(t, "GetAPIByAudience(new audience)", err, mint.ErrNotFound)
	}},
	{"ConcurrentUpdatesLoseNothing", func(t *testing.T, ctx context.Context, s mint.Store) {
		orig := newAPI(1)
		orig.Scopes = []string{"base"}
		createAPIs(t, ctx, s, orig)
		const n = 20
		errs := concurrently(n, func(i int) error {
			_, err := s.UpdateAPI(ctx, orig.ID, func(a mint.API) (mint.API, error) {
				a.Scopes = append(a.Scopes, fmt.Sprintf("scope:%02d", i))
				return a, nil
			})
			return err
		})
		for i, err := range errs {
			must(t, fmt.Sprintf("UpdateAPI #%d", i), err)
		}
		got, err := s.GetAPI(ctx, orig.ID)
		must(t, "GetAPI", err)
		if len(got.Scopes) != n+1 || got.Scopes[0] != "base" {
			t.Fatalf("after %d concurrent appends, Scopes = %q, want base and %d more", n, got.Scopes, n)
		}
		for i := range n {
			if !slices.Contains(got.Scopes, fmt.Sprintf("scope:%02d", i)) {
				t.Errorf("scope:%02d lost; Scopes = %q", i, got.Scopes)
			}
		}
	}},
	{"Delete", func(t *testing.T, ctx context.Context, s mint.Store) {
		gone, kept := newAPI(1), newAPI(2)
		createAPIs(t, ctx, s, gone, kept)
		must(t, "DeleteAPI", s.DeleteAPI(ctx, gone.ID))
		_, err := s.GetAPI(ctx, gone.ID)
		wantErr(t, "GetAPI after delete", err, mint.ErrNotFound)
		_, err = s.GetAPIByAudience(ctx, gone.Audience)
		wantErr(t, "GetAPIByAudience after delete", err, mint.ErrNotFound)
		wantErr(t, "DeleteAPI again", s.DeleteAPI(ctx, gone.ID), mint.ErrNotFound)
		apis, err := s.ListAPIs(ctx)
		must(t, "ListAPIs", err)
		wantIDs(t, "ListAPIs", ids(apis, func(a mint.API) string { return a.ID }), []string{kept.ID})
		// The audience is free again.
		again := newAPI(3)
		again.Audience = gone.Audience
		createAPIs(t, ctx, s, again)
		checkStoredAPI(t, ctx, s, again)
	}},
	{"DeleteNotFound", func(t *testing.T, ctx context.Context, s mint.Store) {
		wantErr(t, "DeleteAPI", s.DeleteAPI(ctx, "api_missing"), mint.ErrNotFound)
	}},
	{"DeleteRemovesItsGrants", func(t *testing.T, ctx context.Context, s mint.Store) {
		gone, kept := newAPI(1), newAPI(2)
		createAPIs(t, ctx, s, gone, kept)
		createClients(t, ctx, s, newClient(1), newClient(2))
		createGrants(t, ctx, s,
			newGrant(1, 1, gone), newGrant(2, 2, gone), newGrant(3, 1, kept))
		must(t, "DeleteAPI", s.DeleteAPI(ctx, gone.ID))
		for _, id := range []string{"grant_1", "grant_2"} {
			_, err := s.GetGrant(ctx, id)
			wantErr(t, "GetGrant "+id, err, mint.ErrNotFound)
		}
		_, err := s.FindGrant(ctx, "client_1", gone.Audience)
		wantErr(t, "FindGrant", err, mint.ErrNotFound)
		wantIDs(t, "ListGrants", listGrantIDs(t, ctx, s, ""), []string{"grant_3"})
		// An API with the old audience does not inherit the old grants.
		again := newAPI(3)
		again.Audience = gone.Audience
		createAPIs(t, ctx, s, again)
		_, err = s.FindGrant(ctx, "client_1", gone.Audience)
		wantErr(t, "FindGrant on a new API with the old audience", err, mint.ErrNotFound)
	}},
}
