package replicas_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mintauth/mint/internal/keyring"
)

const (
	issuer      = "http://mint.test" // a name: the test fetches each replica's JWKS directly
	adminID     = "replicas-admin"
	adminSecret = "replicas-admin-secret-0123456789abcdefghij"
	audience    = "https://cargo.example.com"

	// invalidationBound is how soon a change made through one replica must
	// be seen by the other (issue 4).
	invalidationBound = time.Second
)

// TestTwoReplicasOneDatabase starts two `mint serve` processes at the same
// time on one new PostgreSQL schema and checks that they act as one server.
// The steps share the replicas and run in order; the last kills replica A.
func TestTwoReplicasOneDatabase(t *testing.T) {
	dsn := freshSchema(t)
	a, b := startPair(t, dsn)

	t.Run("OneSigningKey", func(t *testing.T) { oneSigningKey(t, a, b) })

	admin := mustToken(t, a, adminID, adminSecret, "urn:mint:admin")
	clientID, secret := setUpClient(t, a, admin)

	t.Run("ClientMadeOnAGetsTokenFromB", func(t *testing.T) {
		mustToken(t, b, clientID, secret, audience)
	})
	t.Run("TokenFromAVerifiesWithBsJWKS", func(t *testing.T) {
		claims := verify(t, b, mustToken(t, a, clientID, secret, audience))
		sub := clientID + "@clients" // as Auth0 names clients
		if claims.Issuer != issuer || !claims.Audience.Contains(audience) || claims.Subject != sub {
			t.Errorf("claims = iss %q, aud %v, sub %q; want %q, %q, %q",
				claims.Issuer, claims.Audience, claims.Subject, issuer, audience, sub)
		}
	})
	t.Run("SecretRotatedOnAIsRefusedByB", func(t *testing.T) {
		mustToken(t, b, clientID, secret, audience)
		answersFromCache(t, dsn, b, clientID, secret)
		var rotated struct {
			ClientSecret string `json:"client_secret"`
		}
		call(t, http.StatusOK, "POST", a.URL+"/admin/v1/clients/"+clientID+"/rotate-secret", admin, nil, &rotated)
		d := refusedWithin(t, b, clientID, secret, audience, time.Now(), invalidationBound)
		t.Logf("old secret, served from B's cache before, refused by B %v after the rotation on A returned", d)
		mustToken(t, b, clientID, rotated.ClientSecret, audience)
		secret = rotated.ClientSecret
	})
	t.Run("ClientDeletedOnAIsRefusedByB", func(t *testing.T) {
		gone, goneSecret := setUpClient(t, a, admin)
		mustToken(t, b, gone, goneSecret, audience)
		answersFromCache(t, dsn, b, gone, goneSecret)
		call(t, http.StatusNoContent, "DELETE", a.URL+"/admin/v1/clients/"+gone, admin, nil, nil)
		d := refusedWithin(t, b, gone, goneSecret, audience, time.Now(), invalidationBound)
		t.Logf("deleted client, served from B's cache before, refused by B %v after the delete on A returned", d)
	})
	t.Run("KeyRotatedOnAIsUsedByB", func(t *testing.T) {
		keyRotatedOnAIsUsedByB(t, a, b, admin, clientID, secret)
	})
	t.Run("KillAUnderLoadBFailsNothing", func(t *testing.T) {
		killUnderLoad(t, a, b, clientID, secret)
	})
}

// startPair starts replicas A and B at the same time, so that they race to
// migrate the schema, create the signing key and bootstrap the admin.
func startPair(t *testing.T, dsn string) (a, b *replica) {
	t.Helper()
	// Replicas on PostgreSQL share one master key, given in the environment.
	env := []string{"MINT_BOOTSTRAP_CLIENT_ID=" + adminID, "MINT_BOOTSTRAP_CLIENT_SECRET=" + adminSecret,
		"MINT_MASTER_KEY=" + keyring.EncodeMasterKey(keyring.NewMasterKey())}
	names := []string{"A", "B"}
	reps := make([]*replica, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			reps[i], errs[i] = startReplica(t, name, env, "--db", dsn, "--issuer", issuer)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return reps[0], reps[1]
}

func jwks(t *testing.T, r *replica) jose.JSONWebKeySet {
	t.Helper()
	var set jose.JSONWebKeySet
	call(t, http.StatusOK, "GET", r.URL+"/.well-known/jwks.json", "", nil, &set)
	return set
}

func oneSigningKey(t *testing.T, a, b *replica) {
	setA, setB := jwks(t, a), jwks(t, b)
	if len(setA.Keys) != 1 || len(setB.Keys) != 1 || setA.Keys[0].KeyID != setB.Keys[0].KeyID {
		t.Fatalf("JWKS of A has %s, of B %s; want the same single key", kids(setA), kids(setB))
	}
}

func kids(set jose.JSONWebKeySet) []string {
	var out []string
	for _, k := range set.Keys {
		out = append(out, k.KeyID)
	}
	return out
}

// setUpClient creates, through r's admin API, a client with a grant on the
// test API (created the first time), and returns its credentials.
func setUpClient(t *testing.T, r *replica, admin string) (id, secret string) {
	t.Helper()
	status, err := do(t.Context(), "POST", r.URL+"/admin/v1/apis", admin, map[string]any{
		"name": "cargo", "audience": audience, "scopes": []string{"read:cargo", "write:cargo"},
	}, nil)
	if err != nil || (status != http.StatusCreated && status != http.StatusConflict) {
		t.Fatalf("create API: status %d, error %v", status, err)
	}
	var client struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	call(t, http.StatusCreated, "POST", r.URL+"/admin/v1/clients", admin, map[string]any{"name": "cargo partner"}, &client)
	call(t, http.StatusCreated, "POST", r.URL+"/admin/v1/grants", admin, map[string]any{
		"client_id": client.ClientID, "audience": audience, "scopes": []string{"read:cargo"},
	}, nil)
	return client.ClientID, client.ClientSecret
}

// verify checks raw against r's published keys, as an API would.
func verify(t *testing.T, r *replica, raw string) jwt.Claims {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatalf("parse token: %v", err)
	}
	kid := tok.Headers[0].KeyID
	set := jwks(t, r)
	keys := set.Key(kid)
	if len(keys) != 1 {
		t.Fatalf("kid %q is not in the JWKS of %s", kid, r.name)
	}
	var claims jwt.Claims
	if err := tok.Claims(keys[0].Key, &claims); err != nil {
		t.Fatalf("token does not verify against the JWKS of %s: %v", r.name, err)
	}
	if err := claims.ValidateWithLeeway(jwt.Expected{Time: time.Now()}, time.Minute); err != nil {
		t.Errorf("token times: %v", err)
	}
	return claims
}

// killUnderLoad sends token requests to both replicas from several
// goroutines, kills A with SIGKILL a second in, and requires every request
// sent to B to have succeeded.
func killUnderLoad(t *testing.T, a, b *replica, clientID, secret string) {
	const (
		workersPerReplica = 4
		load              = 3 * time.Second
		killAt            = time.Second
	)
	ctx, cancel := context.WithTimeout(t.Context(), load)
	defer cancel()
	type tally struct{ ok, failed atomic.Int64 }
	var onA, onB tally
	var firstFailure atomic.Value
	var wg sync.WaitGroup
	for _, target := range []struct {
		r *replica
		n *tally
	}{{a, &onA}, {b, &onB}} {
		for range workersPerReplica {
			wg.Go(func() {
				for ctx.Err() == nil {
					// A request in flight when the load ends is not B's
					// failure: it finishes on its own context.
					status, ans, err := requestToken(context.WithoutCancel(ctx), target.r, clientID, secret, audience)
					if err == nil && status == http.StatusOK && ans.AccessToken != "" {
						target.n.ok.Add(1)
						continue
					}
					target.n.failed.Add(1)
					if target.r == b {
						firstFailure.CompareAndSwap(nil, fmt.Sprintf("status %d, error %q, %v", status, ans.Error, err))
					}
					time.Sleep(10 * time.Millisecond) // a dead A refuses at once; do not spin
				}
			})
		}
	}
	time.Sleep(killAt)
	a.kill(t)
	wg.Wait()
	t.Logf("during %v of load, A was killed at %v: B served %d requests, failed %d; A served %d, failed %d",
		load, killAt, onB.ok.Load(), onB.failed.Load(), onA.ok.Load(), onA.failed.Load())
	if n := onB.failed.Load(); n > 0 {
		t.Errorf("%d requests to B failed (first: %v)\nB's log:\n%s", n, firstFailure.Load(), trimmed(b.Log()))
	}
	if onB.ok.Load() == 0 {
		t.Errorf("B served no request during the load")
	}
	// B still answers after A is gone.
	mustToken(t, b, clientID, secret, audience)
}

// keyRotatedOnAIsUsedByB: an immediate rotation (a key compromise) made
// through A is published and used by B at once, not at B's next periodic
// key maintenance (30 s): B hears the change through LISTEN/NOTIFY.
func keyRotatedOnAIsUsedByB(t *testing.T, a, b *replica, admin, clientID, secret string) {
	var keys []struct {
		KID   string `json:"kid"`
		State string `json:"state"`
	}
	call(t, http.StatusOK, "POST", a.URL+"/admin/v1/keys/rotate", admin, map[string]any{"algorithm": "RS256", "immediate": true}, &keys)
	var newKID string
	for _, k := range keys {
		if k.State == "active" {
			newKID = k.KID
		}
	}
	start := time.Now()
	for {
		tok, err := jwt.ParseSigned(mustToken(t, b, clientID, secret, audience), []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatal(err)
		}
		published := jwks(t, b)
		if tok.Headers[0].KeyID == newKID && len(published.Key(newKID)) == 1 {
			t.Logf("B signs with and publishes the key rotated in on A %v after the rotation returned", time.Since(start))
			return
		}
		if time.Since(start) > invalidationBound {
			t.Fatalf("B still signs with %s %v after A rotated to %s", tok.Headers[0].KeyID, time.Since(start), newKID)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
