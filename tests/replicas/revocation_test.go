package replicas_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/mintauth/mint/internal/keyring"
)

// TestRevocationSticks drives issue 13's attacks on revocation against
// real `mint serve` processes sharing one PostgreSQL schema: an admin
// grant narrowed or deleted through replica A takes the power from a token
// used at replica B at once, and the bootstrap admin client, deleted and
// brought back by a restart with the same MINT_BOOTSTRAP_CLIENT_ID and a new
// secret, does not bring its old token back.
func TestRevocationSticks(t *testing.T) {
	dsn := freshSchema(t)
	masterKey := keyring.EncodeMasterKey(keyring.NewMasterKey())
	const firstSecret = "first-bootstrap-secret-0123456789abcdef"
	const secondSecret = "second-bootstrap-secret-0123456789abcdef"
	start := func(secret string, names ...string) []*replica {
		env := []string{"MINT_BOOTSTRAP_CLIENT_ID=" + adminID, "MINT_BOOTSTRAP_CLIENT_SECRET=" + secret,
			"MINT_MASTER_KEY=" + masterKey}
		reps := make([]*replica, len(names))
		errs := make([]error, len(names))
		var wg sync.WaitGroup
		for i, name := range names {
			wg.Go(func() { reps[i], errs[i] = startReplica(t, name, env, "--db", dsn, "--issuer", issuer) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		return reps
	}
	pair := start(firstSecret, "A", "B")
	a, b := pair[0], pair[1]
	admin := mustToken(t, a, adminID, firstSecret, "urn:mint:admin")

	// A delegate admin client, created through A, using its token at B.
	var delegate struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	call(t, http.StatusCreated, "POST", a.URL+"/admin/v1/clients", admin, map[string]any{"name": "delegate"}, &delegate)
	var grant struct {
		ID string `json:"id"`
	}
	call(t, http.StatusCreated, "POST", a.URL+"/admin/v1/grants", admin, map[string]any{
		"client_id": delegate.ClientID, "audience": "urn:mint:admin", "scopes": []string{"clients:read", "clients:write"},
	}, &grant)
	delegated := mustToken(t, b, delegate.ClientID, delegate.ClientSecret, "urn:mint:admin")
	call(t, http.StatusCreated, "POST", b.URL+"/admin/v1/clients", delegated, map[string]any{"name": "made by the delegate"}, nil)

	t.Run("GrantNarrowedOnAIsObeyedByB", func(t *testing.T) {
		call(t, http.StatusOK, "PATCH", a.URL+"/admin/v1/grants/"+grant.ID, admin, map[string]any{"scopes": []string{"clients:read"}}, nil)
		// No wait: the very next request at B must see the narrower grant.
		call(t, http.StatusForbidden, "POST", b.URL+"/admin/v1/clients", delegated, map[string]any{"name": "after the narrowing"}, nil)
		call(t, http.StatusOK, "GET", b.URL+"/admin/v1/clients", delegated, nil, nil)
	})
	t.Run("GrantDeletedOnAKillsTokenAtB", func(t *testing.T) {
		call(t, http.StatusNoContent, "DELETE", a.URL+"/admin/v1/grants/"+grant.ID, admin, nil, nil)
		call(t, http.StatusUnauthorized, "GET", b.URL+"/admin/v1/clients", delegated, nil, nil)
	})
	t.Run("BootstrapClientRecreatedByRestartKeepsOldTokenDead", func(t *testing.T) {
		call(t, http.StatusOK, "GET", b.URL+"/admin/v1/clients", admin, nil, nil)
		call(t, http.StatusNoContent, "DELETE", a.URL+"/admin/v1/clients/"+adminID+"?revoke_tokens=true", admin, nil, nil)
		call(t, http.StatusUnauthorized, "GET", b.URL+"/admin/v1/clients", admin, nil, nil)
		a.Stop(t)
		b.Stop(t)

		again := start(secondSecret, "A2")[0]
		call(t, http.StatusUnauthorized, "GET", again.URL+"/admin/v1/clients", admin, nil, nil)
		call(t, http.StatusUnauthorized, "POST", again.URL+"/admin/v1/clients", admin, map[string]any{"name": "revived"}, nil)
		// The new incarnation's first token works, even in the second it
		// was created, and introspection agrees the old one is dead.
		fresh := mustToken(t, again, adminID, secondSecret, "urn:mint:admin")
		call(t, http.StatusOK, "GET", again.URL+"/admin/v1/clients", fresh, nil, nil)
		var intro struct {
			Active *bool `json:"active"`
		}
		call(t, http.StatusOK, "POST", again.URL+"/oauth/introspect", "", map[string]string{
			"client_id": adminID, "client_secret": secondSecret, "token": admin,
		}, &intro)
		if intro.Active == nil || *intro.Active {
			t.Errorf("introspection of the deleted incarnation's token: active %v, want false", intro.Active)
		}
		// The old secret is gone with the old client.
		if status, _, err := requestToken(t.Context(), again, adminID, firstSecret, "urn:mint:admin"); err != nil || status != http.StatusUnauthorized {
			t.Errorf("token for the old bootstrap secret: status %d, error %v; want 401", status, err)
		}
	})
}
