package federation_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
	"github.com/mintauth/mint/internal/server"
	"github.com/mintauth/mint/internal/testdb"
	"github.com/mintauth/mint/internal/throttle"
)

const (
	mintIssuer    = "https://mint.example"
	cargo         = "https://cargo.example"
	githubIssuer  = "https://token.actions.githubusercontent.com"
	githubSubject = "repo:acme/deploy:ref:refs/heads/main"
	k8sSubject    = "system:serviceaccount:ci:builder"
	assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	bearerGrant   = "urn:ietf:params:oauth:grant-type:jwt-bearer"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type replica struct {
	srv *server.Server
	url string
}

// fixture is mint (one replica on SQLite, two on PostgreSQL) with a
// client "partner" granted the cargo API, trusting a GitHub Actions
// workflow and a Kubernetes service account, each issuer played by a
// real HTTP server on loopback.
type fixture struct {
	t      testing.TB
	clock  *clock
	a, b   replica // b makes the changes; a == b on SQLite
	gh     *issuer
	k8s    *issuer
	ghRule mint.FederatedCredential
}

func newFixture(t testing.TB, backend string) *fixture {
	t.Helper()
	f := &fixture{t: t, clock: &clock{t: time.Now().Truncate(time.Second)}}
	dsn := testdb.New(t, backend)
	key := keyring.NewMasterKey()
	f.b = f.start(server.Config{DB: dsn, MasterKey: key})
	f.a = f.b
	if backend == "postgres" {
		f.a = f.start(server.Config{DB: dsn, MasterKey: key})
	}
	f.gh = newIssuer(t, "RS256")
	f.k8s = newIssuer(t, "ES256")
	ctx := context.Background()
	s := f.b.srv.Store()
	now := f.clock.now()
	must(t, s.CreateAPI(ctx, mint.API{ID: "api_cargo", Name: "cargo", Audience: cargo, Scopes: []string{"read", "write"},
		TokenLifetime: time.Hour, CreatedAt: now, UpdatedAt: now}))
	for _, id := range []string{"partner", "other"} {
		must(t, s.CreateClient(ctx, mint.Client{ID: id, Name: id, CreatedAt: now, UpdatedAt: now},
			mint.Secret{ID: "sec_" + id, ClientID: id, Digest: secret.Digest("mint_" + id + "-secret"), CreatedAt: now}))
		must(t, s.CreateGrant(ctx, mint.Grant{ID: "grant_" + id, ClientID: id, Audience: cargo, Scopes: []string{"read"},
			CreatedAt: now, UpdatedAt: now}))
	}
	f.ghRule = mint.FederatedCredential{ID: "fed_gh", ClientID: "partner", Issuer: githubIssuer, Subject: githubSubject,
		Audience: mintIssuer, MaxAge: time.Hour, JWKSURI: f.gh.URL() + "/jwks", CreatedAt: now,
		Claims: map[string]string{"repository_owner": "acme", "job_workflow_ref": "acme/*/.github/workflows/deploy.yml@refs/heads/main"}}
	f.addRule(f.ghRule)
	f.addRule(mint.FederatedCredential{ID: "fed_k8s", ClientID: "partner", Issuer: f.k8s.URL(), Subject: k8sSubject,
		Audience: mintIssuer, MaxAge: time.Hour, CreatedAt: now})
	f.settle()
	return f
}

func (f *fixture) start(cfg server.Config) replica {
	f.t.Helper()
	cfg.Issuer, cfg.Now = mintIssuer, f.clock.now
	if cfg.AuthThrottle.PairLimit == 0 { // the refusal tables fail on purpose, many times
		cfg.AuthThrottle = throttle.Config{PairLimit: 1 << 30, SourceLimit: 1 << 30, FailureFloor: -1}
	}
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { srv.Close() })
	ts := httptest.NewServer(srv.Handler())
	f.t.Cleanup(ts.Close)
	return replica{srv: srv, url: ts.URL}
}

func (f *fixture) addRule(r mint.FederatedCredential) {
	f.t.Helper()
	must(f.t, f.b.srv.Store().(mint.FederatedStore).CreateFederatedCredential(context.Background(), r))
}

// settle waits until replica a finds, for every rule of partner and
// other, the rules b finds: notifications arrive asynchronously, and each
// empties the kind.
func (f *fixture) settle() {
	f.t.Helper()
	ctx := context.Background()
	var want []mint.FederatedCredential
	for _, id := range []string{"partner", "other"} {
		rules, err := f.b.srv.Store().(mint.FederatedStore).ListFederatedCredentials(ctx, id)
		must(f.t, err)
		want = append(want, rules...)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, r := range want {
		for {
			onB, err := f.b.srv.Store().(mint.FederatedStore).FindFederatedCredentials(ctx, r.Issuer, r.Subject)
			must(f.t, err)
			onA, err := f.a.srv.Store().(mint.FederatedStore).FindFederatedCredentials(ctx, r.Issuer, r.Subject)
			must(f.t, err)
			if len(onA) == len(onB) {
				break
			}
			if time.Now().After(deadline) {
				f.t.Fatalf("replica a never saw the rules of %s", r.ID)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// githubClaims are the claims of a GitHub Actions OIDC token of acme/deploy's
// deploy workflow on main, with mint's issuer as the audience asked for.
func (f *fixture) githubClaims() map[string]any {
	now := f.clock.now()
	return map[string]any{
		"iss": githubIssuer, "sub": githubSubject, "aud": mintIssuer,
		"jti": f.gh.jti(), "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"repository": "acme/deploy", "repository_owner": "acme", "repository_id": "74", "repository_owner_id": "65",
		"ref": "refs/heads/main", "ref_type": "branch", "environment": "prod", "event_name": "push",
		"workflow": "deploy", "job_workflow_ref": "acme/deploy/.github/workflows/deploy.yml@refs/heads/main",
		"runner_environment": "github-hosted", "actor": "octocat", "run_id": "1", "run_attempt": "1",
	}
}

// k8sClaims are the claims of a projected service-account token of
// ci/builder with mint's issuer as its audience.
func (f *fixture) k8sClaims() map[string]any {
	now := f.clock.now()
	return map[string]any{
		"iss": f.k8s.URL(), "sub": k8sSubject, "aud": []string{mintIssuer},
		"jti": f.k8s.jti(), "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"kubernetes.io": map[string]any{
			"namespace":      "ci",
			"serviceaccount": map[string]any{"name": "builder", "uid": "0c1b2a3d-0000-4000-8000-000000000001"},
			"pod":            map[string]any{"name": "builder-7d9f", "uid": "0c1b2a3d-0000-4000-8000-000000000002"},
		},
	}
}

type answer struct {
	status int
	body   map[string]any
}

func (a answer) str(k string) string { s, _ := a.body[k].(string); return s }

// post sends a token request to r as a form.
func post(t *testing.T, r replica, form url.Values) answer {
	t.Helper()
	resp, err := http.PostForm(r.url+"/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	return read(t, resp)
}

// postJSON sends a token request to r as JSON.
func postJSON(t *testing.T, r replica, body map[string]string) answer {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(r.url+"/oauth/token", "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return read(t, resp)
}

func read(t *testing.T, resp *http.Response) answer {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode}
	if err := json.Unmarshal(b, &a.body); err != nil {
		t.Fatalf("answer %d not JSON: %s", resp.StatusCode, b)
	}
	return a
}

// assertion is a token request authenticating with an external token.
func assertion(tok string, extra ...string) url.Values {
	v := url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {assertionType},
		"client_assertion": {tok}, "audience": {cargo}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v
}

// wantToken checks a is partner's ordinary token for cargo.
func wantToken(t *testing.T, a answer, what string) {
	t.Helper()
	if a.status != 200 {
		t.Fatalf("%s: %d %v, want a token", what, a.status, a.body)
	}
	claims := payload(t, a.str("access_token"))
	if claims["client_id"] != "partner" || claims["aud"] != cargo || claims["iss"] != mintIssuer || claims["scope"] != "read" {
		t.Fatalf("%s: token claims %v, want partner's token for cargo", what, claims)
	}
}

func wantRefused(t *testing.T, a answer, status int, code, description string) {
	t.Helper()
	if a.status != status || a.str("error") != code || !strings.Contains(a.str("error_description"), description) {
		t.Fatalf("answer %d %v, want %d %s mentioning %q", a.status, a.body, status, code, description)
	}
}

func payload(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	must(t, json.Unmarshal(b, &m))
	return m
}
