package policy_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/policy"
	"github.com/mintauth/mint/internal/secret"
	"github.com/mintauth/mint/internal/storecache"
	"github.com/mintauth/mint/internal/testdb"
	"github.com/mintauth/mint/internal/token"
)

// The policy of the end-to-end API: write:orders needs the gold tier, a
// request from outside loopback is refused, every token gets the client's
// tier.
const ordersPolicy = `
request.granted.exists(s, s == "write:orders") && client.metadata.?tier.orValue("") != "gold"
  ? deny("write:orders needs the gold tier")
  : !cidr("127.0.0.0/8").containsIP(request.source)
    ? deny("outside the partner network")
    : claims({"tier": client.metadata.?tier.orValue("none")})`

// e2e is a token endpoint with policies over loopback HTTP, serving from
// a store cache in front of one backend, and a second store on the same
// database playing another replica's admin API.
type e2e struct {
	srv      *httptest.Server
	cached   *storecache.Store
	other    mint.Store
	appender *audit.Appender
	logs     *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newE2E(t *testing.T, backend string) *e2e {
	ctx := context.Background()
	dsn := testdb.New(t, backend)
	store := testdb.OpenDSN(t, backend, dsn)
	cached := storecache.New(store, storecache.Options{Changes: store.(storecache.Notifier)})
	ring, err := keyring.Open(ctx, store, keyring.Config{MasterKey: keyring.NewMasterKey()})
	if err != nil {
		t.Fatal(err)
	}
	e := &e2e{cached: cached, other: testdb.OpenDSN(t, backend, dsn), logs: &lockedBuffer{}}
	log := slog.New(slog.NewTextHandler(e.logs, nil))
	e.appender = &audit.Appender{Store: store.(mint.AuditStore), Log: log}
	endpoint := &token.Endpoint{Store: cached, Keys: ring, Issuer: "https://mint.test/", Log: log,
		Policies: &policy.Checker{Log: log, Audit: e.appender}}
	// As the server does: the client's address goes into the context.
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		endpoint.ServeHTTP(w, r.WithContext(audit.WithSource(r.Context(), r.RemoteAddr)))
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *e2e) client(t *testing.T, c mint.Client, grants ...mint.Grant) (id, plain string) {
	t.Helper()
	ctx := context.Background()
	plain, digest := secret.New()
	c.ID, c.Name, c.CreatedAt, c.UpdatedAt = mint.NewClientID(), "partner", time.Now(), time.Now()
	if err := e.other.CreateClient(ctx, c, mint.Secret{ID: mint.NewID("sec"), Digest: digest, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, g := range grants {
		g.ID, g.ClientID, g.CreatedAt, g.UpdatedAt = mint.NewID("grant"), c.ID, time.Now(), time.Now()
		if err := e.other.CreateGrant(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	return c.ID, plain
}

type answer struct {
	status int
	body   map[string]any
	claims map[string]any
}

func (e *e2e) token(t *testing.T, id, plain, audience, scope string) answer {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {plain},
		"audience": {audience}, "scope": {scope}}
	resp, err := http.PostForm(e.srv.URL+"/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode}
	if err := json.NewDecoder(resp.Body).Decode(&a.body); err != nil {
		t.Fatalf("token answer: %v", err)
	}
	if at, ok := a.body["access_token"].(string); ok {
		parts := strings.Split(at, ".")
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil || json.Unmarshal(payload, &a.claims) != nil {
			t.Fatalf("token payload: %v %s", err, payload)
		}
	}
	return a
}

// TestTokenEndpoint drives the token endpoint over HTTP on both backends:
// claims added, refusals answered as unauthorized_client with the policy's
// reason and audited, registered claims never replaced, a policy failing at
// run time refusing with a generic reason, and a metadata change made on
// another store heard by the cache in front of this one.
func TestTokenEndpoint(t *testing.T) {
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) { testTokenEndpoint(t, backend) })
	}
}

func testTokenEndpoint(t *testing.T, backend string) {
	ctx := context.Background()
	e := newE2E(t, backend)
	orders := mint.API{ID: mint.NewID("api"), Name: "Orders", Audience: "https://orders.test",
		Scopes: []string{"read:orders", "write:orders"}, Policy: ordersPolicy, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	broken := mint.API{ID: mint.NewID("api"), Name: "Broken", Audience: "https://broken.test",
		Policy: `client.metadata.plan == "pro"`, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	plainAPI := mint.API{ID: mint.NewID("api"), Name: "Plain", Audience: "https://plain.test", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	for _, a := range []mint.API{orders, broken, plainAPI} {
		if err := e.other.CreateAPI(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	grants := []mint.Grant{{Audience: orders.Audience, Scopes: orders.Scopes}, {Audience: broken.Audience}, {Audience: plainAPI.Audience}}
	goldID, goldSecret := e.client(t, mint.Client{Metadata: map[string]string{"tier": "gold"}}, grants...)
	silverID, silverSecret := e.client(t, mint.Client{Metadata: map[string]string{"tier": "silver"}}, grants...)
	// A client whose own policy tries to replace registered claims with
	// names computed at run time (a literal one is refused when saved).
	sneakyID, sneakySecret := e.client(t, mint.Client{Metadata: map[string]string{"tier": "gold"},
		Policy: `{"claims": {"s" + "ub": "admin", "AU" + "D": "x", "tier": "platinum", "org": "acme"}}`}, grants...)

	tests := []struct {
		name, id, secret, audience, scope string
		wantStatus                        int
		wantError, wantDescription        string
		wantClaims                        map[string]any
	}{
		{"GoldWrites", goldID, goldSecret, orders.Audience, "write:orders", 200, "", "", map[string]any{"tier": "gold"}},
		{"SilverReads", silverID, silverSecret, orders.Audience, "read:orders", 200, "", "", map[string]any{"tier": "silver"}},
		{"SilverWriteDenied", silverID, silverSecret, orders.Audience, "write:orders", 400, "unauthorized_client", "write:orders needs the gold tier", nil},
		{"SilverAllScopesDenied", silverID, silverSecret, orders.Audience, "", 400, "unauthorized_client", "write:orders needs the gold tier", nil},
		{"RuntimeErrorFailsClosed", goldID, goldSecret, broken.Audience, "", 400, "unauthorized_client", "the token could not be checked against the issuance policy", nil},
		{"NoPolicyNoClaims", silverID, silverSecret, plainAPI.Audience, "", 200, "", "", map[string]any{"tier": nil}},
		{"RegisteredClaimsKept", sneakyID, sneakySecret, orders.Audience, "read:orders", 200, "", "",
			map[string]any{"sub": sneakyID + "@clients", "aud": orders.Audience, "tier": "gold", "org": "acme", "AUD": nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := e.token(t, tc.id, tc.secret, tc.audience, tc.scope)
			if a.status != tc.wantStatus {
				t.Fatalf("status %d, want %d: %v", a.status, tc.wantStatus, a.body)
			}
			if tc.wantError != "" && (a.body["error"] != tc.wantError || a.body["error_description"] != tc.wantDescription) {
				t.Errorf("answer %v, want error %q described %q", a.body, tc.wantError, tc.wantDescription)
			}
			for k, want := range tc.wantClaims {
				if got := a.claims[k]; got != want {
					t.Errorf("claim %q = %v, want %v (claims %v)", k, got, want, a.claims)
				}
			}
		})
	}
	if logs := e.logs.String(); !strings.Contains(logs, "policy failed") || !strings.Contains(logs, "policy claims dropped") {
		t.Errorf("the run-time error and the dropped claims are not logged:\n%s", logs)
	}

	// Another replica's admin makes silver gold: the cache hears it.
	if _, err := e.other.UpdateClient(ctx, silverID, func(c mint.Client) (mint.Client, error) {
		c.Metadata = map[string]string{"tier": "gold"}
		return c, nil
	}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		a := e.token(t, silverID, silverSecret, orders.Audience, "write:orders")
		if a.status == 200 && a.claims["tier"] == "gold" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the metadata change was not heard within 20s: %v", a.body)
		}
		time.Sleep(50 * time.Millisecond)
	}

	e.appender.Flush(ctx)
	records, err := e.other.(mint.AuditStore).ListAudit(ctx, mint.AuditFilter{Kind: mint.AuditTokenDenied})
	if err != nil {
		t.Fatal(err)
	}
	// Three refusals above, and one per try while the change travelled.
	if len(records) < 3 {
		t.Fatalf("%d token.denied records, want at least 3", len(records))
	}
	found := false
	for _, r := range records {
		if r.ClientID == silverID && strings.HasPrefix(r.Source, "127.0.0.1:") && strings.Contains(string(r.Details), `"reason":"write:orders needs the gold tier"`) {
			found = true
		}
	}
	if !found {
		t.Errorf("no refusal record of the silver client's write:orders among %d", len(records))
	}
}
