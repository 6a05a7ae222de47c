package replicas_test

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/mintauth/mint/internal/mint"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mintauth/mint/internal/keyring"
)

// heardBound is how long B may take to act on a change made through A in
// these tests: generous, since the machine is shared; the design figures
// (one poll, 250 ms, on SQLite; a notification on PostgreSQL) are in
// docs/scale-cache.md. Tests poll and stop as soon as B acts.
const heardBound = 10 * time.Second

// TestEveryWriteIsHeardByTheOtherProcess is the attacker's review of
// invalidation: for every write path, B serves a client from its cache
// (it has just issued its token), A changes the client, its secret, its
// grant, its API or the signing key — through its admin API or `mint
// apply` opening the database directly — and B must refuse what the change
// forbids, or use what it allows, within heardBound. A cache that missed
// the change would keep a deleted client, an old secret or a narrowed
// grant working for the cache's TTL (10 minutes). It runs on PostgreSQL
// (two replicas on one schema) and SQLite (two `mint serve` processes on
// one file, which hear each other through the change log).
func TestEveryWriteIsHeardByTheOtherProcess(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			var db string
			if backend == "sqlite" {
				db = filepath.Join(t.TempDir(), "mint.db")
			} else {
				db = freshSchema(t)
			}
			a, b := startInTurn(t, db)
			admin := mustToken(t, a, adminID, adminSecret, "urn:mint:admin")
			for _, w := range writePaths {
				t.Run(w.name, func(t *testing.T) {
					v := newVictim(t, a, admin, w.name, w.reuse)
					if w.warm != nil {
						w.warm(t, b, v)
					} else {
						mustScopedToken(t, b, v, v.secret, "read:cargo")
					}
					w.change(t, a, admin, db, v)
					d := waitUntil(t, "B acts on the change made through A", func() bool { return w.seen(t, b, v) })
					t.Logf("B acted on the change %v after A's write returned", d.Round(time.Millisecond))
				})
			}
		})
	}
}

// writePath is a change made through A and how to tell B has acted on it.
type writePath struct {
	name string
	// reuse makes the victim's API reuse tokens (token_reuse): B then
	// also keeps the token it issued, which the change must end.
	reuse bool
	// warm, when set, warms B's cache instead of one token for the victim.
	warm   func(t *testing.T, b *replica, v *victim)
	change func(t *testing.T, a *replica, admin, db string, v *victim)
	// seen reports whether B acts on the change; it fails the test on an
	// answer neither before nor after (a 5xx, a malformed error).
	seen func(t *testing.T, b *replica, v *victim) bool
}

var writePaths = []writePath{
	{
		name: "ClientDeleted",
		change: func(t *testing.T, a *replica, admin, _ string, v *victim) {
			call(t, http.StatusNoContent, "DELETE", a.URL+"/admin/v1/clients/"+v.id, admin, nil, nil)
		},
		seen: refuses(func(v *victim) (string, string) { return v.secret, "read:cargo" }),
	},
	{
		name: "SecretRotatedOldExpiresNow",
		change: func(t *testing.T, a *replica, admin, _ string, v *victim) {
			v.rotate(t, a, admin, map[string]any{"old_secret_ttl": 0})
		},
		seen: refuses(func(v *victim) (string, string) { return v.oldSecret, "read:cargo" }),
	},
	{
		name: "SecretRotatedNewOneWorks",
		change: func(t *testing.T, a *replica, admin, _ string, v *victim) {
			v.rotate(t, a, admin, map[string]any{"old_secret_ttl": 3600})
		},
		seen: issues(func(v *victim) (string, string) { return v.secret, "read:cargo" }),
	},
	{
		name: "TokensRevokedBefore",
		warm: func(t *testing.T, b *replica, v *victim) {
			v.token = mustScopedToken(t, b, v, v.secret, "read:cargo")
			if !active(t, b, v, v.secret, v.token) {
				t.Fatal("B says the token it just issued is not active")
			}
		},
		change: func(t *testing.T, a *replica, admin, _ string, v *victim) {
			v.rotate(t, a, admin, map[string]any{"old_secret_ttl": 3600, "revoke_tokens": true})
		},
		seen: func(t *testing.T, b *replica, v *victim) bool { return !active(t, b, v, v.secret, v.token) },
	},
	{
		// A token revoked through A (RFC 7009) must not be handed out
		// again by B's token reuse.
		name:  "TokenRevokedThenReused",
		reuse: true,
		warm: func(t *testing.T, b *replica, v *victim) {
			// B's reuse cache empties on every change it hears, and the
			// setup's own changes (the victim's API, client and grant) may
			// still be arriving on PostgreSQL: a few tries, then the
			// precondition must hold.
			for try := 0; ; try++ {
				v.token = mustScopedToken(t, b, v, v.secret, "read:cargo")
				if again := mustScopedToken(t, b, v, v.secret, "read:cargo"); again == v.token {
					return
				}
				if try == 5 {
					t.Fatal("B did not reuse the token it had just issued, six times: the case tests nothing")
				}
				time.Sleep(100 * time.Millisecond)
			}
		},
		change: func(t *testing.T, a *replica, _, _ string, v *victim) {
			form := url.Values{"token": {v.token}, "client_id": {v.id}, "client_secret": {v.secret}}
			if status := postForm(t, a.URL+"/oauth/revoke", form, nil); status != http.StatusOK {
				t.Fatalf("revocation at A: status %d", status)
			}
		},
		seen: func(t *testing.T, b *replica, v *victim) bool {
			return mustScopedToken(t, b, v, v.secret, "read:cargo") != v.token
		},
	},
	{
		name:  "GrantNarrowedUnderReuse",
		reuse: true,
		change: func(t *testing.T, a *replica, admin, _ string, v *victim) {
			call(t, http.StatusOK, "PATCH", a.URL+"/admin/v1/grants/"+v.grant, admin,
				map[string]any{"scopes": []string{"write:cargo"}}, nil)
		},
		seen: refuses(func(v *victim) (string, string) { return v.secret, "read:cargo" }),
	},
	{
		name: "GrantDeleted",
		change: func(t *testing.T, a *replica, admin, _ string, v *victim) {
			call(t, http.StatusNoContent, "DELETE", a.URL+"/admin/v1/grants/"+v.grant, admin, nil, nil)
		},
		seen: refuses(func(v *victim) (string, string) { return v.secret, "read:cargo" }),
	},
	{
		name: "GrantNarrowed",
		change: func(t *testing.T, a *replica, admin, _ string, v *victim) {
			call(t, http.StatusOK, "PATCH", a.URL+"/admin/v1/grants/"+v.grant, admin,
				map[string]any{"scopes": []string{"write:cargo"}}, nil)
		},
		seen: refuses(func(v *victim) (string, string) { return v.secret, "read:cargo" }),
	},
	{
		// B refused the client for lack of a grant and may have cached
		// that: it must drop it when one is made, or the partner stays
		// locked out for the cache's TTL.
		name: "GrantCreatedAfterARefusal",
		warm: func(t *testing.T, b *replica, v *victim) {
			call(t, http.StatusNoContent, "DELETE", v.a.URL+"/admin/v1/grants/"+v.grant, v.admin, nil, nil)
			waitUntil(t, "B refuses the client without a grant", func() bool {
				return refuses(func(v *victim) (string, string) { return v.secret, "read:cargo" })(t, b, v)
			})
		},
		change: func(t *testing.T, a *replica, admin, _ string, v *victim) {
			v.grant = createGrant(t, a, admin, v.id, v.audience)
		},
		seen: issues(func(v *victim) (string, string) { return v.secret, "read:cargo" }),
	},
	{
		name: "APIDeleted",
		change: func(t *testing.T, a *replica, admin, _ string, v *victim) {
			call(t, http.StatusNoContent, "DELETE", a.URL+"/admin/v1/apis/"+v.api, admin, nil, nil)
		},
		seen: refuses(func(v *victim) (string, string) { return v.secret, "read:cargo" }),
	},
	{
		name: "APIScopeRemoved",
		change: func(t *testing.T, a *replica, admin, _ string, v *victim) {
			call(t, http.StatusOK, "PATCH", a.URL+"/admin/v1/apis/"+v.api, admin,
				map[string]any{"scopes": []string{"write:cargo"}}, nil)
		},
		seen: refuses(func(v *victim) (string, string) { return v.secret, "read:cargo" }),
	},
	{
		name: "SigningKeyRotated",
		change: func(t *testing.T, a *replica, admin, _ string, v *victim) {
			var keys []struct {
				KID   string `json:"kid"`
				State string `json:"state"`
			}
			call(t, http.StatusOK, "POST", a.URL+"/admin/v1/keys/rotate", admin,
				map[string]any{"algorithm": "RS256", "immediate": true}, &keys)
			for _, k := range keys {
				if k.State == "active" {
					v.kid = k.KID
				}
			}
		},
		seen: func(t *testing.T, b *replica, v *victim) bool {
			raw := mustScopedToken(t, b, v, v.secret, "read:cargo")
			tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
			if err != nil {
				t.Fatal(err)
			}
			published := jwks(t, b)
			return tok.Headers[0].KeyID == v.kid && len(published.Key(v.kid)) == 1
		},
	},
	{
		// Last: the prune deletes every client the file does not declare,
		// the bootstrap admin among them.
		name: "AppliedWithPrune",
		change: func(t *testing.T, a *replica, admin, db string, v *victim) {
			applyOnlyAPI(t, db, v)
		},
		seen: refuses(func(v *victim) (string, string) { return v.secret, "read:cargo" }),
	},
}

// waitUntil polls ok until it holds, failing the test after heardBound.
func waitUntil(t *testing.T, what string, ok func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > heardBound {
			t.Fatalf("%s: not after %v", what, heardBound)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// victim is a client with a grant on an API of its own, made through A.
type victim struct {
	a          *replica
	admin      string
	id, secret string
	oldSecret  string
	grant, api string
	audience   string
	token, kid string
}

func newVictim(t *testing.T, a *replica, admin, name string, reuse bool) *victim {
	t.Helper()
	v := &victim{a: a, admin: admin, audience: fmt.Sprintf("https://%s.example.com", strings.ToLower(name))}
	var api struct {
		ID string `json:"id"`
	}
	call(t, http.StatusCreated, "POST", a.URL+"/admin/v1/apis", admin, map[string]any{
		"name": name, "audience": v.audience, "scopes": []string{"read:cargo", "write:cargo"}, "token_reuse": reuse,
	}, &api)
	v.api = api.ID
	var client struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	call(t, http.StatusCreated, "POST", a.URL+"/admin/v1/clients", admin, map[string]any{"name": name}, &client)
	v.id, v.secret = client.ClientID, client.ClientSecret
	v.grant = createGrant(t, a, admin, v.id, v.audience)
	return v
}

func createGrant(t *testing.T, a *replica, admin, clientID, audience string) string {
	t.Helper()
	var grant struct {
		ID string `json:"id"`
	}
	call(t, http.StatusCreated, "POST", a.URL+"/admin/v1/grants", admin, map[string]any{
		"client_id": clientID, "audience": audience, "scopes": []string{"read:cargo"},
	}, &grant)
	return grant.ID
}

// rotate rotates the victim's secret through A with body.
func (v *victim) rotate(t *testing.T, a *replica, admin string, body map[string]any) {
	t.Helper()
	var rotated struct {
		ClientSecret string `json:"client_secret"`
	}
	call(t, http.StatusOK, "POST", a.URL+"/admin/v1/clients/"+v.id+"/rotate-secret", admin, body, &rotated)
	v.oldSecret, v.secret = v.secret, rotated.ClientSecret
}

// scopedToken asks r for a token for the victim's audience and scope.
func scopedToken(t *testing.T, r *replica, v *victim, secret, scope string) (int, tokenAnswer) {
	t.Helper()
	var ans tokenAnswer
	status, err := do(t.Context(), "POST", r.URL+"/oauth/token", "", map[string]string{
		"grant_type": "client_credentials", "client_id": v.id, "client_secret": secret,
		"audience": v.audience, "scope": scope,
	}, &ans)
	if err != nil {
		t.Fatalf("token request to %s: %v", r.name, err)
	}
	return status, ans
}

func mustScopedToken(t *testing.T, r *replica, v *victim, secret, scope string) string {
	t.Helper()
	status, ans := scopedToken(t, r, v, secret, scope)
	if status != http.StatusOK || ans.AccessToken == "" {
		t.Fatalf("token from %s: status %d, answer %+v", r.name, status, ans)
	}
	return ans.AccessToken
}

// refuses reports whether B refuses the credentials and scope creds
// names with an OAuth error (4xx); a 200 is "not yet", anything else fails.
func refuses(creds func(*victim) (secret, scope string)) func(*testing.T, *replica, *victim) bool {
	return func(t *testing.T, b *replica, v *victim) bool {
		t.Helper()
		secret, scope := creds(v)
		status, ans := scopedToken(t, b, v, secret, scope)
		switch {
		case status == http.StatusOK:
			return false
		case status >= 400 && status < 500 && ans.Error != "":
			return true
		}
		t.Fatalf("B answered status %d, error %q: want 200 or an OAuth refusal", status, ans.Error)
		return false
	}
}

// issues reports whether B issues a token for the credentials creds names;
// a refusal is "not yet", anything but 200 or a 4xx OAuth error fails.
func issues(creds func(*victim) (secret, scope string)) func(*testing.T, *replica, *victim) bool {
	refused := refuses(creds)
	return func(t *testing.T, b *replica, v *victim) bool { t.Helper(); return !refused(t, b, v) }
}

// active asks r's introspection endpoint, as the victim, whether token is
// active.
func active(t *testing.T, r *replica, v *victim, secret, token string) bool {
	t.Helper()
	var ans struct {
		Active bool `json:"active"`
	}
	form := url.Values{"token": {token}, "client_id": {v.id}, "client_secret": {secret}}
	if status := postForm(t, r.URL+"/oauth/introspect", form, &ans); status != http.StatusOK {
		t.Fatalf("introspection at %s: status %d", r.name, status)
	}
	return ans.Active
}

// postForm posts form to url and decodes a JSON answer into into.
func postForm(t *testing.T, url string, form url.Values, into any) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "POST", url, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	if into != nil {
		if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
			t.Fatalf("POST %s: status %d, decoding the answer: %v", url, resp.StatusCode, err)
		}
	}
	return resp.StatusCode
}

// applyOnlyAPI runs `mint apply --prune` on the database directly, as an
// operator's pipeline would while both replicas run, with a file declaring
// the victim's API and the admin client only (apply refuses to prune the
// last admin grant): every other client is deleted, the victim's among
// them.
func applyOnlyAPI(t *testing.T, db string, v *victim) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "mint.yaml")
	admin := strings.Join(mint.AdminScopes, ", ")
	config := fmt.Sprintf("version: 1\napis:\n  - audience: %s\n    name: AppliedWithPrune\n    scopes: [read:cargo, write:cargo]\n"+
		"  - audience: %s\n    name: mint admin API\n    scopes: [%s]\n    token_lifetime: 3600\n"+
		"clients:\n  - id: %s\n    name: mint admin\n"+
		"grants:\n  - client: %s\n    audience: %s\n    scopes: [%s]\n",
		v.audience, mint.AdminAudience, admin, adminID, adminID, mint.AdminAudience, admin)
	if err := os.WriteFile(file, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, mintBin, "apply", "-f", file, "--prune", "--db", db)
	cmd.Env = append(os.Environ(), "MINT_MASTER_KEY="+masterKey)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mint apply: %v\n%s", err, trimmed(string(out)))
	}
}

// masterKey is the one both replicas and `mint apply` share.
var masterKey = keyring.EncodeMasterKey(keyring.NewMasterKey())

// startInTurn starts replicas A then B on db: on SQLite, two processes on
// one file, the second started once the first has set the file up.
func startInTurn(t *testing.T, db string) (a, b *replica) {
	t.Helper()
	env := []string{"MINT_BOOTSTRAP_CLIENT_ID=" + adminID, "MINT_BOOTSTRAP_CLIENT_SECRET=" + adminSecret,
		"MINT_MASTER_KEY=" + masterKey}
	var err error
	if a, err = startReplica(t, "A", env, "--db", db, "--issuer", issuer); err != nil {
		t.Fatal(err)
	}
	if b, err = startReplica(t, "B", env, "--db", db, "--issuer", issuer); err != nil {
		t.Fatal(err)
	}
	return a, b
}
