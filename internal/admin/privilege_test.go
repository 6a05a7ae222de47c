package admin

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
)

// privilegeFixtures are what each privilege case acts on: a victim client
// holding some admin scopes, a plain client without an admin grant, and a
// grant of that plain client on an ordinary API.
type privilegeFixtures struct {
	victim, victimGrant, selfGrant, plain, plainGrant, cargo, admin, jwks string
}

func (f privilegeFixtures) expand(s string) string {
	return strings.NewReplacer("{victim}", f.victim, "{victim_grant}", f.victimGrant, "{self_grant}", f.selfGrant,
		"{plain}", f.plain, "{plain_grant}", f.plainGrant, "{cargo}", f.cargo, "{admin}", f.admin,
		"{jwks}", f.jwks).Replace(s)
}

// seedClient stores a client with a secret and, unless adminScopes is nil,
// a grant on the admin API with those scopes; it returns the grant's id.
func (h *harness) seedClient(id string, adminScopes []string) (grantID string) {
	h.t.Helper()
	ctx := context.Background()
	c := mint.Client{ID: id, Name: id, CreatedAt: h.now, UpdatedAt: h.now}
	s := mint.Secret{ID: mint.NewID("sec"), ClientID: id, Digest: secret.Digest("mint_" + id), CreatedAt: h.now}
	if err := h.store.CreateClient(ctx, c, s); err != nil {
		h.t.Fatal(err)
	}
	if adminScopes == nil {
		return ""
	}
	g := mint.Grant{ID: mint.NewID("grant"), ClientID: id, Audience: mint.AdminAudience, Scopes: adminScopes,
		CreatedAt: h.now, UpdatedAt: h.now}
	if err := h.store.CreateGrant(ctx, g); err != nil {
		h.t.Fatal(err)
	}
	return g.ID
}

func (h *harness) privilegeFixtures(victimScopes, selfScopes []string) privilegeFixtures {
	h.t.Helper()
	f := privilegeFixtures{victim: "victim", plain: "plain", admin: h.admin.ID, jwks: publicJWKS(h.t)}
	f.victimGrant = h.seedClient(f.victim, victimScopes)
	f.selfGrant = h.seedClient("self", selfScopes)
	h.seedClient(f.plain, nil)
	var api apiView
	h.json("POST", "/admin/v1/apis", `{"name":"Cargo","audience":"https://cargo","scopes":["read:cargo","write:cargo"]}`, 201, &api)
	f.cargo = api.ID
	var g grantView
	h.json("POST", "/admin/v1/grants", `{"client_id":"plain","audience":"https://cargo","scopes":["read:cargo"]}`, 201, &g)
	f.plainGrant = g.ID
	return f
}

// publicJWKS is a JWK Set with one fresh Ed25519 public key.
func publicJWKS(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: pub, KeyID: "k1", Algorithm: "EdDSA", Use: "sig"}}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// privilegeCase is one write that could raise or seize admin power: sent
// with the lacking scopes it is refused and changes nothing (snapshot reads
// the same before and after); sent with enough scopes it succeeds, so that
// the case fails if the rule refuses too much as well as too little. Each
// caller is a client whose admin grant is exactly its token's scopes; with
// self, the lacking caller (or, in a control, the allowed one) is the
// client "self", holding self.
type privilegeCase struct {
	name               string
	victim, self       []string // admin scopes of the victim and of the client "self" (nil: no grant)
	method, path, body string
	snapshot           string
	lacking, enough    []string
	refused, allowed   int
}

var every = mint.AdminScopes

// allBut is every admin scope but those named.
func allBut(drop ...string) []string {
	var out []string
	for _, s := range mint.AdminScopes {
		if !strings.Contains(" "+strings.Join(drop, " ")+" ", " "+s+" ") {
			out = append(out, s)
		}
	}
	return out
}

var privilegeCases = []privilegeCase{
	// Grants on the admin API.
	{name: "grant/widen own admin grant to every scope", self: []string{"grants:read", "grants:write"},
		method: "PATCH", path: "/admin/v1/grants/{self_grant}", body: `{"scopes":` + jsonList(every) + `}`,
		snapshot: "/admin/v1/grants/{self_grant}", lacking: []string{"grants:read", "grants:write"}, enough: every, refused: 403, allowed: 200},
	{name: "grant/widen another admin grant", victim: []string{"grants:read"},
		method: "PATCH", path: "/admin/v1/grants/{victim_grant}", body: `{"scopes":["grants:read","clients:write"]}`,
		snapshot: "/admin/v1/grants/{victim_grant}", lacking: []string{"grants:write", "grants:read"},
		enough: []string{"grants:write", "grants:read", "clients:write"}, refused: 403, allowed: 200},
	{name: "grant/narrow an admin grant holding more", victim: []string{"keys:write", "grants:read"},
		method: "PATCH", path: "/admin/v1/grants/{victim_grant}", body: `{"scopes":["grants:read"]}`,
		snapshot: "/admin/v1/grants/{victim_grant}", lacking: []string{"grants:write", "grants:read"},
		enough: []string{"grants:write", "grants:read", "keys:write"}, refused: 403, allowed: 200},
	{name: "grant/create on the admin API", method: "POST", path: "/admin/v1/grants",
		body:     `{"client_id":"plain","audience":"urn:mint:admin","scopes":["apis:write","keys:write"]}`,
		snapshot: "/admin/v1/grants?client_id=plain", lacking: []string{"grants:write", "apis:write"},
		enough: []string{"grants:write", "apis:write", "keys:write"}, refused: 403, allowed: 201},
	{name: "grant/delete an admin grant", victim: []string{"audit:read"},
		method: "DELETE", path: "/admin/v1/grants/{victim_grant}", snapshot: "/admin/v1/grants/{victim_grant}",
		lacking: []string{"grants:write"}, enough: []string{"grants:write", "audit:read"}, refused: 403, allowed: 204},
	// Clients that hold admin scopes.
	{name: "client/rotate secret", victim: []string{"clients:read"},
		method: "POST", path: "/admin/v1/clients/{victim}/rotate-secret", snapshot: "/admin/v1/clients/{victim}",
		lacking: []string{"clients:write"}, enough: []string{"clients:write", "clients:read"}, refused: 403, allowed: 200},
	{name: "client/rotate secret revoking its tokens", victim: every,
		method: "POST", path: "/admin/v1/clients/{victim}/rotate-secret", body: `{"revoke_tokens":true,"old_secret_ttl":3600}`,
		snapshot: "/admin/v1/clients/{victim}", lacking: allBut("keys:read"), enough: every, refused: 403, allowed: 200},
	{name: "client/register its keys", victim: []string{"apis:write"},
		method: "PATCH", path: "/admin/v1/clients/{victim}", body: `{"jwks":{jwks}}`, snapshot: "/admin/v1/clients/{victim}",
		lacking: []string{"clients:write"}, enough: []string{"clients:write", "apis:write"}, refused: 403, allowed: 200},
	{name: "client/rename", victim: []string{"audit:read"},
		method: "PATCH", path: "/admin/v1/clients/{victim}", body: `{"name":"mine now"}`, snapshot: "/admin/v1/clients/{victim}",
		lacking: []string{"clients:write"}, enough: []string{"clients:write", "audit:read"}, refused: 403, allowed: 200},
	{name: "client/introspect all and no quota", victim: []string{"grants:write"},
		method: "PATCH", path: "/admin/v1/clients/{victim}", body: `{"introspect_all":true,"tokens_per_hour":0}`,
		snapshot: "/admin/v1/clients/{victim}", lacking: []string{"clients:write"},
		enough: []string{"clients:write", "grants:write"}, refused: 403, allowed: 200},
	{name: "client/delete", victim: []string{"keys:write"},
		method: "DELETE", path: "/admin/v1/clients/{victim}", snapshot: "/admin/v1/clients/{victim}",
		lacking: []string{"clients:write"}, enough: []string{"clients:write", "keys:write"}, refused: 403, allowed: 204},
	// The admin API itself.
	{name: "admin API/token lifetime of a year", method: "PATCH", path: "/admin/v1/apis/{admin}",
		body: `{"token_lifetime":31536000}`, snapshot: "/admin/v1/apis/{admin}",
		lacking: allBut("audit:read"), enough: every, refused: 403, allowed: 200},
	{name: "admin API/issuance audit off", method: "PATCH", path: "/admin/v1/apis/{admin}",
		body: `{"audit_issuance":"off","token_reuse":true}`, snapshot: "/admin/v1/apis/{admin}",
		lacking: []string{"apis:write"}, enough: every, refused: 403, allowed: 200},
	{name: "admin API/rename", method: "PATCH", path: "/admin/v1/apis/{admin}", body: `{"name":"x"}`,
		snapshot: "/admin/v1/apis/{admin}", lacking: []string{"apis:write"}, enough: every, refused: 403, allowed: 200},
	{name: "admin API/delete", method: "DELETE", path: "/admin/v1/apis/{admin}", snapshot: "/admin/v1/apis/{admin}",
		lacking: []string{"apis:write"}, enough: every, refused: 403, allowed: 409},
	{name: "admin API/audience in another case", method: "POST", path: "/admin/v1/apis",
		body: `{"name":"look-alike","audience":"URN:Mint:Admin","scopes":["clients:write"]}`, snapshot: "/admin/v1/apis",
		lacking: []string{"apis:write"}, enough: every, refused: 409, allowed: 409},
	// Controls: without admin power at stake the route's scope is enough.
	{name: "control/rotate a client without admin grant", method: "POST", path: "/admin/v1/clients/{plain}/rotate-secret",
		enough: []string{"clients:write"}, allowed: 200},
	{name: "control/delete a client without admin grant", method: "DELETE", path: "/admin/v1/clients/{plain}",
		enough: []string{"clients:write"}, allowed: 204},
	{name: "control/register keys of a client without admin grant", method: "PATCH", path: "/admin/v1/clients/{plain}",
		body: `{"jwks":{jwks}}`, enough: []string{"clients:write"}, allowed: 200},
	{name: "control/widen a grant on another API", method: "PATCH", path: "/admin/v1/grants/{plain_grant}",
		body: `{"scopes":["read:cargo","write:cargo"]}`, enough: []string{"grants:write"}, allowed: 200},
	{name: "control/empty admin grant", method: "POST", path: "/admin/v1/grants",
		body: `{"client_id":"plain","audience":"urn:mint:admin","scopes":[]}`, enough: []string{"grants:write"}, allowed: 201},
	{name: "control/change another API", method: "PATCH", path: "/admin/v1/apis/{cargo}",
		body: `{"token_lifetime":31536000,"audit_issuance":"off"}`, enough: []string{"apis:write"}, allowed: 200},
	{name: "control/narrow own admin grant", self: []string{"grants:write", "grants:read"},
		method: "PATCH", path: "/admin/v1/grants/{self_grant}", body: `{"scopes":["grants:read"]}`,
		enough: []string{"grants:write", "grants:read"}, allowed: 200},
}

func jsonList(s []string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestPrivilegeRule: each write that could raise or seize admin power is
// refused to a caller lacking a scope at stake, leaving everything as it
// was, and allowed to a caller holding them all.
func TestPrivilegeRule(t *testing.T) {
	t.Parallel()
	for _, tc := range privilegeCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			f := h.privilegeFixtures(tc.victim, tc.self)
			send := func(caller string, scopes []string) answer {
				if caller != "self" {
					h.seedClient(caller, scopes)
				}
				c := call{method: tc.method, path: f.expand(tc.path), token: h.tokenFor(caller, scopes...)}
				if tc.body != "" {
					c.contentType, c.body = "application/json", f.expand(tc.body)
				}
				return h.do(c)
			}
			if tc.lacking != nil {
				before := h.do(call{method: "GET", path: f.expand(tc.snapshot), token: h.bearer})
				lacking := "caller-lacking"
				if tc.self != nil {
					lacking = "self"
				}
				a := send(lacking, tc.lacking)
				if a.status != tc.refused {
					t.Fatalf("with %v: status %d, want %d; body %s", tc.lacking, a.status, tc.refused, a.body)
				}
				if tc.refused == 403 {
					if !bytes.Contains(a.body, []byte(`"insufficient_scope"`)) || !bytes.Contains(a.body, []byte("every admin scope involved")) ||
						!strings.Contains(a.header.Get("WWW-Authenticate"), `error="insufficient_scope"`) {
						t.Errorf("refusal %s, WWW-Authenticate %q", a.body, a.header.Get("WWW-Authenticate"))
					}
					if bytes.Contains(a.body, []byte("mint_")) {
						t.Errorf("a refusal shows a secret: %s", a.body)
					}
				}
				after := h.do(call{method: "GET", path: f.expand(tc.snapshot), token: h.bearer})
				if before.status != after.status || !bytes.Equal(before.body, after.body) {
					t.Errorf("the refused request changed %s:\nbefore %d %s\nafter  %d %s", tc.snapshot,
						before.status, before.body, after.status, after.body)
				}
			}
			enough := "caller-enough"
			if tc.self != nil && tc.lacking == nil {
				enough = "self" // a control acting on its own grant
			}
			if a := send(enough, tc.enough); a.status != tc.allowed {
				t.Errorf("with %v: status %d, want %d; body %s", tc.enough, a.status, tc.allowed, a.body)
			}
		})
	}
}

// racingStore commits, once, a grant of every admin scope to the victim
// right after the store writes its new credential: what a second admin,
// who may give those scopes, could do between a caller's check and its
// write.
type racingStore struct {
	mint.Store
	once sync.Once
}

func (s *racingStore) grantVictim() {
	s.once.Do(func() {
		now := time.Now()
		g := mint.Grant{ID: mint.NewID("grant"), ClientID: "victim", Audience: mint.AdminAudience,
			Scopes: mint.AdminScopes, CreatedAt: now, UpdatedAt: now}
		if err := s.Store.CreateGrant(context.Background(), g); err != nil {
			panic(err)
		}
	})
}

func (s *racingStore) RotateSecret(ctx context.Context, sec mint.Secret, oldExpiresAt time.Time) error {
	err := s.Store.RotateSecret(ctx, sec, oldExpiresAt)
	s.grantVictim()
	return err
}

func (s *racingStore) UpdateClient(ctx context.Context, id string, update func(mint.Client) (mint.Client, error)) (mint.Client, error) {
	c, err := s.Store.UpdateClient(ctx, id, update)
	s.grantVictim()
	return c, err
}

// TestCredentialWriteRacingAGrant: a secret rotated or a key registered
// while the client gains admin scopes the caller lacks is withdrawn, not
// handed over.
func TestCredentialWriteRacingAGrant(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, method, path, body string }{
		{"rotate-secret", "POST", "/admin/v1/clients/victim/rotate-secret", `{"old_secret_ttl":3600}`},
		{"register keys", "PATCH", "/admin/v1/clients/victim", `{"jwks":{jwks}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarnessWith(t, func(s mint.Store) mint.Store { return &racingStore{Store: s} })
			h.seedClient("victim", nil)
			body := strings.ReplaceAll(tc.body, "{jwks}", publicJWKS(t))
			h.seedClient("caller", []string{"clients:write"})
			a := h.do(call{method: tc.method, path: tc.path, token: h.tokenFor("caller", "clients:write"), contentType: "application/json", body: body})
			if a.status != 403 || bytes.Contains(a.body, []byte("client_secret")) {
				t.Fatalf("status %d, body %s; want 403 and no secret", a.status, a.body)
			}
			ctx := context.Background()
			secrets, err := h.store.ListSecrets(ctx, "victim")
			if err != nil || len(secrets) != 1 {
				t.Errorf("victim's secrets %v, %v: want the seeded one only", secrets, err)
			}
			c, err := h.store.GetClient(ctx, "victim")
			if err != nil || len(c.JWKS) != 0 {
				t.Errorf("victim's keys %s, %v: want none", c.JWKS, err)
			}
		})
	}
}
