package storetest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

func newClient(n int) mint.Client {
	return mint.Client{
		ID:        fmt.Sprintf("client_%d", n),
		Name:      fmt.Sprintf("Client %d", n),
		CreatedAt: at(n),
		UpdatedAt: at(n),
	}
}

// jwks is a client's JWK Set (RFC 7517 §5). Stores keep it as bytes.
const jwks = `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"c1","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`

func checkClient(t *testing.T, got, want mint.Client) {
	t.Helper()
	var d diff
	d.str("ID", got.ID, want.ID)
	d.str("Name", got.Name, want.Name)
	if !bytes.Equal(got.JWKS, want.JWKS) {
		d = append(d, fmt.Sprintf("JWKS = %q, want %q", got.JWKS, want.JWKS))
	}
	if got.IntrospectAll != want.IntrospectAll {
		d = append(d, fmt.Sprintf("IntrospectAll = %v, want %v", got.IntrospectAll, want.IntrospectAll))
	}
	d.time("TokensRevokedBefore", got.TokensRevokedBefore, want.TokensRevokedBefore)
	d.count("TokensPerHour", got.TokensPerHour, want.TokensPerHour)
	d.count("TokensPerDay", got.TokensPerDay, want.TokensPerDay)
	d.time("CreatedAt", got.CreatedAt, want.CreatedAt)
	d.time("UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	d.check(t, "client "+want.ID)
}

// createClients creates each client with a first secret named after it:
// client_N gets secret_cN.
func createClients(t *testing.T, ctx context.Context, s mint.Store, clients ...mint.Client) {
	t.Helper()
	for _, c := range clients {
		must(t, "CreateClient "+c.ID, s.CreateClient(ctx, c, firstSecret(c)))
	}
}

func firstSecret(c mint.Client) mint.Secret {
	sec := newSecret(0, c.ID)
	sec.ID = "secret_" + strings.TrimPrefix(c.ID, "client_") + "_first"
	sec.CreatedAt = c.CreatedAt
	return sec
}

func checkStoredClient(t *testing.T, ctx context.Context, s mint.Store, want mint.Client) {
	t.Helper()
	got, err := s.GetClient(ctx, want.ID)
	must(t, "GetClient", err)
	checkClient(t, got, want)
}

func clientID(c mint.Client) string { return c.ID }

var clientCases = []testCase{
	{"CreateThenGet", func(t *testing.T, ctx context.Context, s mint.Store) {
		c := newClient(1)
		createClients(t, ctx, s, c)
		checkStoredClient(t, ctx, s, c)
		checkSecrets(t, ctx, s, c.ID, firstSecret(c))
	}},
	{"JWKSIntrospectAllRevokedBeforeRoundTrip", func(t *testing.T, ctx context.Context, s mint.Store) {
		c := newClient(1)
		c.JWKS = []byte(jwks)
		c.IntrospectAll = true
		c.TokensRevokedBefore = at(30).Add(250 * time.Millisecond)
		createClients(t, ctx, s, c, newClient(2))
		checkStoredClient(t, ctx, s, c)
		checkStoredClient(t, ctx, s, newClient(2))
		clients, err := listAllClients(ctx, s)
		must(t, "ListClients", err)
		wantIDs(t, "ListClients", ids(clients, clientID), []string{"client_1", "client_2"})
		checkClient(t, clients[0], c)
	}},
	{"UpdateJWKSIntrospectAllRevokedBefore", func(t *testing.T, ctx context.Context, s mint.Store) {
		c := newClient(1)
		createClients(t, ctx, s, c)
		set := c
		set.JWKS, set.IntrospectAll, set.TokensRevokedBefore = []byte(jwks), true, at(40)
		for _, want := range []mint.Client{set, c} { // set, then cleared
			got, err := s.UpdateClient(ctx, c.ID, func(old mint.Client) (mint.Client, error) {
				old.JWKS, old.IntrospectAll = want.JWKS, want.IntrospectAll
				old.TokensRevokedBefore = want.TokensRevokedBefore
				return old, nil
			})
			must(t, "UpdateClient", err)
			checkClient(t, got, want)
			checkStoredClient(t, ctx, s, want)
		}
	}},
	{"ListEmpty", func(t *testing.T, ctx context.Context, s mint.Store) {
		clients, err := listAllClients(ctx, s)
		must(t, "ListClients", err)
		if len(clients) != 0 {
			t.Fatalf("ListClients on an empty store = %d clients, want 0", len(clients))
		}
	}},
	{"ListOldestFirst", func(t *testing.T, ctx context.Context, s mint.Store) {
		createClients(t, ctx, s, newClient(3), newClient(1), newClient(2))
		clients, err := listAllClients(ctx, s)
		must(t, "ListClients", err)
		wantIDs(t, "ListClients", ids(clients, clientID), []string{"client_1", "client_2", "client_3"})
		checkClient(t, clients[0], newClient(1))
	}},
	{"CreateConflict", func(t *testing.T, ctx context.Context, s mint.Store) {
		orig := newClient(1)
		createClients(t, ctx, s, orig)
		dup := newClient(2)
		dup.ID = orig.ID
		wantErr(t, "CreateClient", s.CreateClient(ctx, dup, newSecret(9, dup.ID)), mint.ErrConflict)
		checkStoredClient(t, ctx, s, orig)
		// The conflicting client's secret was not added to the first one.
		checkSecrets(t, ctx, s, orig.ID, firstSecret(orig))
		clients, err := listAllClients(ctx, s)
		must(t, "ListClients", err)
		wantIDs(t, "ListClients", ids(clients, clientID), []string{orig.ID})
	}},
	{"GetNotFound", func(t *testing.T, ctx context.Context, s mint.Store) {
		createClients(t, ctx, s, newClient(1))
		_, err := s.GetClient(ctx, "client_missing")
		wantErr(t, "GetClient", err, mint.ErrNotFound)
	}},
	{"Update", func(t *testing.T, ctx context.Context, s mint.Store) {
		orig := newClient(1)
		createClients(t, ctx, s, orig, newClient(2))
		want := orig
		want.Name, want.UpdatedAt = "Renamed", at(10)
		got, err := s.UpdateClient(ctx, orig.ID, func(old mint.Client) (mint.Client, error) {
			checkClient(t, old, orig)
			old.Name, old.UpdatedAt = want.Name, want.UpdatedAt
			return old, nil
		})
		must(t, "UpdateClient", err)
		checkClient(t, got, want)
		checkStoredClient(t, ctx, s, want)
		checkStoredClient(t, ctx, s, newClient(2))
		checkSecrets(t, ctx, s, orig.ID, firstSecret(orig))
	}},
	{"UpdateNotFound", func(t *testing.T, ctx context.Context, s mint.Store) {
		_, err := s.UpdateClient(ctx, "client_missing", func(c mint.Client) (mint.Client, error) { return c, nil })
		wantErr(t, "UpdateClient", err, mint.ErrNotFound)
	}},
	{"UpdateAborted", func(t *testing.T, ctx context.Context, s mint.Store) {
		orig := newClient(1)
		createClients(t, ctx, s, orig)
		_, err := s.UpdateClient(ctx, orig.ID, func(c mint.Client) (mint.Client, error) {
			c.Name = "Should not be stored"
			return c, errAbort
		})
		if err != errAbort {
			t.Fatalf("UpdateClient error = %v, want the update function's error unchanged", err)
		}
		checkStoredClient(t, ctx, s, orig)
	}},
	{"UpdateKeepsIdentity", func(t *testing.T, ctx context.Context, s mint.Store) {
		orig := newClient(1)
		createClients(t, ctx, s, orig)
		want := orig
		want.Name = "Renamed"
		got, err := s.UpdateClient(ctx, orig.ID, func(c mint.Client) (mint.Client, error) {
			c.ID, c.Name = "client_new", want.Name
			return c, nil
		})
		must(t, "UpdateClient", err)
		checkClient(t, got, want)
		checkStoredClient(t, ctx, s, want)
		_, err = s.GetClient(ctx, "client_new")
		wantErr(t, "GetClient(new ID)", err, mint.ErrNotFound)
		checkSecrets(t, ctx, s, orig.ID, firstSecret(orig))
	}},
	{"ConcurrentUpdatesLoseNothing", func(t *testing.T, ctx context.Context, s mint.Store) {
		orig := newClient(1)
		orig.Name = ""
		createClients(t, ctx, s, orig)
		const n = 20
		errs := concurrently(n, func(i int) error {
			_, err := s.UpdateClient(ctx, orig.ID, func(c mint.Client) (mint.Client, error) {
				c.Name += fmt.Sprintf("[%02d]", i)
				return c, nil
			})
			return err
		})
		for i, err := range errs {
			must(t, fmt.Sprintf("UpdateClient #%d", i), err)
		}
		got, err := s.GetClient(ctx, orig.ID)
		must(t, "GetClient", err)
		for i := range n {
			if !strings.Contains(got.Name, fmt.Sprintf("[%02d]", i)) {
				t.Errorf("update %d lost; Name = %q", i, got.Name)
			}
		}
	}},
	{"Delete", func(t *testing.T, ctx context.Context, s mint.Store) {
		gone, kept := newClient(1), newClient(2)
		createClients(t, ctx, s, gone, kept)
		must(t, "DeleteClient", s.DeleteClient(ctx, gone.ID))
		_, err := s.GetClient(ctx, gone.ID)
		wantErr(t, "GetClient after delete", err, mint.ErrNotFound)
		wantErr(t, "DeleteClient again", s.DeleteClient(ctx, gone.ID), mint.ErrNotFound)
		clients, err := listAllClients(ctx, s)
		must(t, "ListClients", err)
		wantIDs(t, "ListClients", ids(clients, clientID), []string{kept.ID})
		checkSecrets(t, ctx, s, kept.ID, firstSecret(kept))
	}},
	{"DeleteNotFound", func(t *testing.T, ctx context.Context, s mint.Store) {
		wantErr(t, "DeleteClient", s.DeleteClient(ctx, "client_missing"), mint.ErrNotFound)
	}},
	{"DeleteRemovesSecretsAndGrants", func(t *testing.T, ctx context.Context, s mint.Store) {
		gone, kept := newClient(1), newClient(2)
		api := newAPI(1)
		createAPIs(t, ctx, s, api)
		createClients(t, ctx, s, gone, kept)
		must(t, "RotateSecret", s.RotateSecret(ctx, newSecret(5, gone.ID), at(20)))
		createGrants(t, ctx, s, newGrant(1, 1, api), newGrant(2, 2, api))
		must(t, "DeleteClient", s.DeleteClient(ctx, gone.ID))

		_, err := s.ListSecrets(ctx, gone.ID)
		wantErr(t, "ListSecrets after delete", err, mint.ErrNotFound)
		_, err = s.GetGrant(ctx, "grant_1")
		wantErr(t, "GetGrant after delete", err, mint.ErrNotFound)
		wantIDs(t, "ListGrants", listGrantIDs(t, ctx, s, ""), []string{"grant_2"})
		checkSecrets(t, ctx, s, kept.ID, firstSecret(kept))

		// A new client with the same ID starts with nothing of the old one.
		again := newClient(3)
		again.ID = gone.ID
		fresh := newSecret(6, again.ID)
		must(t, "CreateClient again", s.CreateClient(ctx, again, fresh))
		checkSecrets(t, ctx, s, again.ID, fresh)
		_, err = s.FindGrant(ctx, again.ID, api.Audience)
		wantErr(t, "FindGrant for the new client", err, mint.ErrNotFound)
	}},
	// The attack of issue 13: delete a client (its tokens die), create one
	// with the same ID (the bootstrap admin client after a restart), and
	// the old tokens must not come back. Every way back to the ID is tried:
	// once, twice, with a floor of its own earlier or later than its
	// creation.
	{"RecreatedIDKeepsOldTokensRevoked", func(t *testing.T, ctx context.Context, s mint.Store) {
		old := newClient(1)
		old.TokensRevokedBefore = at(0) // an earlier revocation of its own
		createClients(t, ctx, s, old)
		must(t, "DeleteClient", s.DeleteClient(ctx, old.ID))

		for i, floor := range []time.Time{{}, at(5), at(50)} {
			again := newClient(10 + i)
			again.ID = old.ID
			again.TokensRevokedBefore = floor
			fresh := newSecret(10+i, again.ID)
			must(t, "CreateClient again", s.CreateClient(ctx, again, fresh))
			want := again
			if floor.Before(again.CreatedAt) {
				want.TokensRevokedBefore = again.CreatedAt
			}
			checkStoredClient(t, ctx, s, want)
			must(t, "DeleteClient again", s.DeleteClient(ctx, again.ID))
		}
	}},
	{"NewIDHasNoFloor", func(t *testing.T, ctx context.Context, s mint.Store) {
		// Only an ID used before gets a floor: a new client's first
		// tokens, issued in the second it was created, must work.
		gone, c := newClient(1), newClient(2)
		createClients(t, ctx, s, gone)
		must(t, "DeleteClient", s.DeleteClient(ctx, gone.ID))
		createClients(t, ctx, s, c)
		checkStoredClient(t, ctx, s, c)
	}},
	{"DeleteRacingRecreate", func(t *testing.T, ctx context.Context, s mint.Store) {
		// A delete and a create of one ID at once: whichever order they
		// commit in, a client left under the ID has the floor.
		for round := range 8 {
			c := newClient(100 + round)
			createClients(t, ctx, s, c)
			again := newClient(200 + round)
			again.ID = c.ID
			errs := concurrently(2, func(i int) error {
				if i == 0 {
					return s.DeleteClient(ctx, c.ID)
				}
				return s.CreateClient(ctx, again, newSecret(200+round, again.ID))
			})
			must(t, "DeleteClient", errs[0])
			if errs[1] != nil {
				wantErr(t, "CreateClient", errs[1], mint.ErrConflict)
				continue
			}
			got, err := s.GetClient(ctx, c.ID)
			must(t, "GetClient", err)
			if got.TokensRevokedBefore.Before(got.CreatedAt) {
				t.Errorf("round %d: client re-created during its delete has TokensRevokedBefore %v before CreatedAt %v",
					round, got.TokensRevokedBefore, got.CreatedAt)
			}
		}
	}},
}
