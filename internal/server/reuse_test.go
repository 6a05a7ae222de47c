package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
	"github.com/mintauth/mint/internal/server"
	"github.com/mintauth/mint/internal/testdb"
)

// TestTokenReuse, on each backend with two replicas sharing the database
// (PostgreSQL; on SQLite one process): a repeated request gets the same
// token with less expires_in; never across clients, audiences or scopes,
// nor for an API without token_reuse; reuse stops when the token is
// revoked, the client's secret rotated, its tokens revoked, or the client
// deleted — changes made on the other replica, seen within the
// invalidation bound (one notification; 1 s promised).
func TestTokenReuse(t *testing.T) {
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) {
			dsn := testdb.New(t, backend)
			key := keyring.NewMasterKey()
			clock := &testClock{t: time.Now().Truncate(time.Second)}
			a := startReplica(t, server.Config{DB: dsn, MasterKey: key, Now: clock.now})
			b := a // the replica that makes changes
			if backend == "postgres" {
				b = startReplica(t, server.Config{DB: dsn, MasterKey: key, Now: clock.now})
			}
			c1 := setUpLimits(t, b.srv.Store(), nil, nil)
			c2 := setUpLimits(t, b.srv.Store(), nil, nil)
			// The setup's change notifications reach a asynchronously, and
			// each empties its caches: let them arrive before the first token.
			time.Sleep(250 * time.Millisecond)
			first := mustToken(t, a.url, c1, reuseAPI.Audience, "read")
			clock.advance(10 * time.Second)
			again := mustToken(t, a.url, c1, reuseAPI.Audience, "read")
			if again.tok.AccessToken != first.tok.AccessToken {
				t.Fatal("repeated request: a new token, want the same")
			}
			if again.tok.ExpiresIn != first.tok.ExpiresIn-10 {
				t.Errorf("reused expires_in = %d, want %d", again.tok.ExpiresIn, first.tok.ExpiresIn-10)
			}
			for _, other := range []struct {
				name            string
				c               limitsClient
				audience, scope string
			}{
				{"other client", c2, reuseAPI.Audience, "read"},
				{"other audience", c1, reuseAPI2.Audience, "read"},
				{"other scopes", c1, reuseAPI.Audience, "read write"},
				{"all scopes", c1, reuseAPI.Audience, ""},
				{"API without reuse", c1, limitsAPI.Audience, "read"},
			} {
				if got := mustToken(t, a.url, other.c, other.audience, other.scope); got.tok.AccessToken == first.tok.AccessToken {
					t.Errorf("%s got the reused token", other.name)
				}
			}
			if got := mustToken(t, a.url, c1, limitsAPI.Audience, "read"); got.tok.AccessToken == mustToken(t, a.url, c1, limitsAPI.Audience, "read").tok.AccessToken {
				t.Error("an API without token_reuse reused a token")
			}
			clock.advance(31 * time.Minute) // under half of the hour left
			if got := mustToken(t, a.url, c1, reuseAPI.Audience, "read"); got.tok.AccessToken == first.tok.AccessToken {
				t.Error("reused with less than half its lifetime left")
			}

			ctx := context.Background()
			// Revoked (as RFC 7009 revocation stores it) on the other replica.
			tok := mustToken(t, a.url, c1, reuseAPI.Audience, "read").tok.AccessToken
			mustDo(t, b.srv.Store().RevokeToken(ctx, mint.RevokedToken{ID: tokenID(t, tok), ClientID: c1.id,
				ExpiresAt: clock.now().Add(time.Hour)}))
			waitNewToken(t, a.url, c1, tok, "revoked token")

			// The client's tokens revoked (rotate-secret's revoke_tokens).
			tok = mustToken(t, a.url, c1, reuseAPI.Audience, "read").tok.AccessToken
			_, err := b.srv.Store().UpdateClient(ctx, c1.id, func(c mint.Client) (mint.Client, error) {
				c.TokensRevokedBefore = clock.now().Add(time.Second)
				return c, nil
			})
			mustDo(t, err)
			waitNewToken(t, a.url, c1, tok, "client's tokens revoked")

			// A new secret, the old one expired at once.
			tok = mustToken(t, a.url, c1, reuseAPI.Audience, "read").tok.AccessToken
			plain, digest := secret.New()
			mustDo(t, b.srv.Store().RotateSecret(ctx, mint.Secret{ID: mint.NewID("sec"), ClientID: c1.id, Digest: digest,
				CreatedAt: clock.now()}, clock.now().Add(-time.Second)))
			c1.secret = plain
			waitNewToken(t, a.url, c1, tok, "secret rotated")

			// Deleted: the token endpoint refuses the client.
			mustToken(t, a.url, c1, reuseAPI.Audience, "read")
			mustDo(t, b.srv.Store().DeleteClient(ctx, c1.id))
			deadline := time.Now().Add(time.Second)
			for askToken(t, a.url, c1, reuseAPI.Audience, "read").status != http.StatusUnauthorized {
				if time.Now().After(deadline) {
					t.Fatal("deleted client still gets tokens after 1 s")
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
}

func mustToken(t *testing.T, base string, c limitsClient, audience, scope string) tokenAnswer {
	t.Helper()
	a := askToken(t, base, c, audience, scope)
	if a.status != 200 {
		t.Fatalf("token: %d %s", a.status, a.body)
	}
	return a
}

// waitNewToken polls until the reused token old is no longer answered,
// failing after the promised bound of one second. Until the change reaches
// base's replica, new credentials may still be unknown there: a 401 within
// the bound means "not yet", not a failure.
func waitNewToken(t *testing.T, base string, c limitsClient, old, what string) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		if a := askToken(t, base, c, reuseAPI.Audience, "read"); a.status == 200 && a.tok.AccessToken != old {
			return
		} else if a.status != 200 && a.status != http.StatusUnauthorized {
			t.Fatalf("%s: %d %s", what, a.status, a.body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still reused, or the new credentials refused, after 1 s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestSharedQuotaTwoReplicas: two replicas on one PostgreSQL share a
// client's hourly quota. Requests alternate between them, one every 10 ms;
// counts are shared every 50 ms here. The tokens issued reach the quota
// and overrun it by at most what both replicas issue in two flush
// intervals (docs/limits.md): here 2 × (100 ms / 20 ms) = 10.
func TestSharedQuotaTwoReplicas(t *testing.T) {
	dsn := testdb.New(t, "postgres")
	key := keyring.NewMasterKey()
	const quota, flush = 30, 50 * time.Millisecond
	limits := server.LimitsConfig{TokensPerHour: quota, FlushInterval: flush}
	a := startReplica(t, server.Config{DB: dsn, MasterKey: key, Limits: limits})
	b := startReplica(t, server.Config{DB: dsn, MasterKey: key, Limits: limits})
	c := setUpLimits(t, a.srv.Store(), nil, nil)
	issued, refusedInARow := 0, 0
	for i := 0; refusedInARow < 20 && i < 200; i++ {
		r := []replica{a, b}[i%2]
		switch ans := askToken(t, r.url, c, limitsAPI.Audience, ""); ans.status {
		case 200:
			issued++
			refusedInARow = 0
		case 429:
			refusedInARow++
		default:
			t.Fatalf("%d %s", ans.status, ans.body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("quota %d: %d tokens issued across two replicas", quota, issued)
	if issued < quota || issued > quota+10 {
		t.Errorf("issued %d, want %d to %d", issued, quota, quota+10)
	}
}

// tokenID is the "jti" of an access token.
func tokenID(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	mustDo(t, err)
	var c struct {
		ID string `json:"jti"`
	}
	mustDo(t, json.Unmarshal(payload, &c))
	return c.ID
}
