package admin

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
)

// setAdminGrant gives the harness's admin client exactly scopes on the
// admin API, as PATCH /admin/v1/grants would, without a token.
func (h *harness) setAdminGrant(scopes []string) {
	h.t.Helper()
	_, err := h.store.UpdateGrant(context.Background(), "grant_testadmin", func(g mint.Grant) (mint.Grant, error) {
		g.Scopes = slices.Clone(scopes)
		return g, nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

// concretePath fills a route's {placeholders} with a name that exists
// nowhere: a route the caller may use answers 404 (or 400) there, one it
// may not answers 403 before looking.
func concretePath(pattern string) string {
	return regexp.MustCompile(`\{[a-z_]+\}`).ReplaceAllString(pattern, "missing")
}

// TestAdminTokenLosesRemovedScopes: for every route and the scope it needs,
// a token issued with every admin scope stops passing the route once that
// scope leaves its client's grant, with no new token and no wait, and
// passes it again once the scope is back. The token itself never changes:
// only the grant does.
func TestAdminTokenLosesRemovedScopes(t *testing.T) {
	h := newHarness(t)
	tok := h.token(mint.AdminScopes...)
	for _, rt := range (&API{}).routes() {
		if rt.scope == "" {
			continue
		}
		c := call{method: rt.method, path: concretePath(rt.path), token: tok, contentType: "application/json", body: "{}"}
		h.setAdminGrant(slices.DeleteFunc(slices.Clone(mint.AdminScopes), func(s string) bool { return s == rt.scope }))
		a := h.do(c)
		if a.status != 403 || !regexp.MustCompile(`insufficient_scope`).Match(a.body) {
			t.Errorf("%s %s with %s removed from the grant: %d %s, want 403 insufficient_scope", rt.method, rt.path, rt.scope, a.status, a.body)
		}
		h.setAdminGrant(mint.AdminScopes)
		if a := h.do(c); a.status == 401 || a.status == 403 {
			t.Errorf("%s %s with the grant back: %d %s", rt.method, rt.path, a.status, a.body)
		}
	}
}

// TestAdminTokenDiesWithItsGrant: a client whose admin grant is deleted
// holds no admin power at all, whatever its token says: every route,
// including those that need no scope, answers 401 invalid_token.
func TestAdminTokenDiesWithItsGrant(t *testing.T) {
	h := newHarness(t)
	tok := h.token(mint.AdminScopes...)
	if err := h.store.DeleteGrant(context.Background(), "grant_testadmin"); err != nil {
		t.Fatal(err)
	}
	paths := []string{"/admin/v1/nowhere"}
	for _, rt := range (&API{}).routes() {
		paths = append(paths, rt.method+" "+concretePath(rt.path))
	}
	for _, p := range paths {
		method, path := "GET", p
		if m, rest, ok := strings.Cut(p, " "); ok {
			method, path = m, rest
		}
		a := h.do(call{method: method, path: path, token: tok, contentType: "application/json", body: "{}"})
		if a.status != 401 || !regexp.MustCompile(`invalid_token`).Match(a.body) {
			t.Errorf("%s %s without a grant: %d %s, want 401 invalid_token", method, path, a.status, a.body)
		}
	}
}

// TestScopeRemovalRacingUse: requests run without pause while the grant
// loses clients:read. Whatever was in flight may finish either way, but
// no request sent after the removal returned gets through.
func TestScopeRemovalRacingUse(t *testing.T) {
	h := newHarness(t)
	tok := h.token(mint.AdminScopes...)
	var removed atomic.Bool
	var after atomic.Int64 // requests sent after the removal
	deadline := time.Now().Add(20 * time.Second)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && after.Load() < 200 {
				sentAfter := removed.Load()
				a := h.do(call{method: "GET", path: "/admin/v1/clients", token: tok})
				if sentAfter {
					after.Add(1)
					if a.status != 403 {
						t.Errorf("request sent after clients:read was removed: %d %s", a.status, a.body)
						return
					}
				}
			}
		}()
	}
	time.Sleep(50 * time.Millisecond) // let the workers get going: not needed for the verdict
	h.setAdminGrant([]string{"apis:read"})
	removed.Store(true)
	wg.Wait()
	if after.Load() == 0 {
		t.Fatal("no request was sent after the removal")
	}
}

// TestRecreatedClientTokensStayDead: an admin client is deleted through
// the API (with and without revoke_tokens) and a client is created again
// under its ID, as the bootstrap does on a restart with the same
// MINT_BOOTSTRAP_CLIENT_ID and a new secret, with a full admin grant. The
// old client's token stays refused; a token of the new one works.
func TestRecreatedClientTokensStayDead(t *testing.T) {
	for _, query := range []string{"", "?revoke_tokens=true", "?revoke_tokens=false"} {
		t.Run("delete"+query, func(t *testing.T) {
			h := newHarness(t)
			ctx := context.Background()
			const id = "bootstrap-admin"
			now := time.Now().UTC()
			create := func(at time.Time, sec string) {
				c := mint.Client{ID: id, Name: "mint admin", CreatedAt: at, UpdatedAt: at}
				s := mint.Secret{ID: mint.NewID("sec"), ClientID: id, Digest: secret.Digest(sec), CreatedAt: at}
				if err := h.store.CreateClient(ctx, c, s); err != nil {
					t.Fatal(err)
				}
				g := mint.Grant{ID: mint.NewID("grant"), ClientID: id, Audience: mint.AdminAudience,
					Scopes: mint.AdminScopes, CreatedAt: at, UpdatedAt: at}
				if err := h.store.CreateGrant(ctx, g); err != nil {
					t.Fatal(err)
				}
			}
			tokenAt := func(iat time.Time) string {
				return h.sign(map[string]any{
					"iss": testIssuer, "sub": id + "@clients", "aud": mint.AdminAudience,
					"iat": iat.Unix(), "exp": iat.Add(time.Hour).Unix(), "jti": mint.NewID("jti"),
					"client_id": id, "scope": "clients:read clients:write",
				})
			}
			create(now.Add(-time.Minute), "first-secret-first-secret-first-secret")
			old := tokenAt(now.Add(-30 * time.Second))
			if a := h.do(call{method: "GET", path: "/admin/v1/clients", token: old}); a.status != 200 {
				t.Fatalf("old token before the delete: %d %s", a.status, a.body)
			}
			h.json("DELETE", "/admin/v1/clients/"+id+query, nil, 204, nil)
			create(now.Add(-10*time.Second), "second-secret-second-secret-second")
			if a := h.do(call{method: "GET", path: "/admin/v1/clients", token: old}); a.status != 401 {
				t.Errorf("old token after its client was re-created: %d %s, want 401", a.status, a.body)
			}
			if a := h.do(call{method: "GET", path: "/admin/v1/clients", token: tokenAt(now)}); a.status != 200 {
				t.Errorf("the new client's token: %d %s, want 200", a.status, a.body)
			}
		})
	}
}
