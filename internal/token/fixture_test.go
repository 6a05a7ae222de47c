package token

import (
	"bytes"
	"context"
	"encoding/json"
	goldenfile "github.com/mintauth/mint/internal/golden"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
	"github.com/mintauth/mint/internal/sqlite"
)

const testIssuer = "https://auth.mint.test/"

// The APIs of the fixture, named after the seed pages.
var (
	apiTOCC = mint.API{ID: "api_tocc", Name: "TOCC", Audience: "https://api.eu.tocc.tech",
		Scopes: []string{"read:orders", "write:orders", "read:fleet"}}
	apiLinker = mint.API{ID: "api_linker", Name: "LinkerVision", Audience: "linkervision-api",
		TokenLifetime: 2 * time.Hour}
	apiSingle = mint.API{ID: "api_single", Name: "Single", Audience: "https://api.single.test",
		Scopes: []string{"read", "write"}, TokenLifetime: 3600 * time.Second}
	apiDataloy = mint.API{ID: "api_dataloy", Name: "Dataloy", Audience: "https://dataloy",
		Scopes: []string{"cargo:read"}, TokenLifetime: 86400 * time.Second}
	apiDataloyDev = mint.API{ID: "api_dataloy_dev", Name: "Dataloy dev", Audience: "https://dataloy.dev",
		Scopes: []string{"cargo:read"}, TokenLifetime: 600 * time.Second}
)

// testClient is a client of the fixture with its secret in the clear.
type testClient struct {
	ID, Secret string
}

// fixture is a token endpoint over real HTTP, a real SQLite store and a
// real key ring, with the clients and grants the tests use.
type fixture struct {
	store *sqlite.Store
	ring  *keyring.Ring
	now   time.Time
	srv   *httptest.Server
	logs  *lockedBuffer

	multi    testClient // grants on TOCC, Linker, Dataloy and Dataloy dev
	one      testClient // one grant: Single
	prodOnly testClient // one grant: Dataloy (prod)
	noGrants testClient // no grant at all
	expired  testClient // its only secret has expired
	rotated  testClient // Secret is the new one; OldSecret has expired
	escaped  testClient // id and secret need form-urlencoding in Basic

	rotatedOldSecret string
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "mint.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	f := &fixture{store: store, now: time.Now().Truncate(time.Second), logs: &lockedBuffer{}}
	clock := func() time.Time { return f.now }
	if f.ring, err = keyring.Open(ctx, store, keyring.Config{MasterKey: keyring.NewMasterKey(), Now: clock}); err != nil {
		tb.Fatal(err)
	}
	f.populate(tb)
	f.srv = httptest.NewServer(f.mux(clock))
	tb.Cleanup(f.srv.Close)
	return f
}

// mux mounts the endpoint as the server does, plus one with a default
// audience under /default.
func (f *fixture) mux(clock func() time.Time) *http.ServeMux {
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := &Endpoint{Store: f.store, Keys: f.ring, Issuer: testIssuer, Now: clock, Log: log}
	withDefault := *e
	withDefault.DefaultAudience = apiTOCC.Audience
	mux := http.NewServeMux()
	for _, path := range []string{"/oauth/token", "/api/getToken", "/users/token"} {
		mux.Handle(path, e)
	}
	mux.Handle("/default/oauth/token", &withDefault)
	return mux
}

func (f *fixture) populate(tb testing.TB) {
	tb.Helper()
	for _, api := range []mint.API{apiTOCC, apiLinker, apiSingle, apiDataloy, apiDataloyDev} {
		f.must(tb, f.store.CreateAPI(context.Background(), api))
	}
	f.multi = f.client(tb, mint.NewClientID(), time.Time{},
		mint.Grant{Audience: apiTOCC.Audience, Scopes: []string{"read:fleet", "read:orders", "write:orders", "delete:orders"}},
		mint.Grant{Audience: apiLinker.Audience},
		mint.Grant{Audience: apiDataloy.Audience, Scopes: []string{"cargo:read"}},
		mint.Grant{Audience: apiDataloyDev.Audience, Scopes: []string{"cargo:read"}})
	f.one = f.client(tb, mint.NewClientID(), time.Time{}, mint.Grant{Audience: apiSingle.Audience, Scopes: []string{"read"}})
	f.prodOnly = f.client(tb, mint.NewClientID(), time.Time{}, mint.Grant{Audience: apiDataloy.Audience, Scopes: []string{"cargo:read"}})
	f.noGrants = f.client(tb, mint.NewClientID(), time.Time{})
	f.expired = f.client(tb, mint.NewClientID(), f.now.Add(-time.Minute), mint.Grant{Audience: apiSingle.Audience})
	f.rotated = f.client(tb, mint.NewClientID(), time.Time{}, mint.Grant{Audience: apiSingle.Audience, Scopes: []string{"read", "write"}})
	f.rotatedOldSecret = f.rotated.Secret
	f.rotated.Secret = f.rotate(tb, f.rotated.ID)
	f.escaped = testClient{ID: "legacy:svc+1 é", Secret: "p@ss:w%rd+/= &x"}
	f.createClient(tb, f.escaped, time.Time{}, mint.Grant{Audience: apiSingle.Audience})
}

func (f *fixture) client(tb testing.TB, id string, expires time.Time, grants ...mint.Grant) testClient {
	plain, _ := secret.New()
	c := testClient{ID: id, Secret: plain}
	f.createClient(tb, c, expires, grants...)
	return c
}

func (f *fixture) createClient(tb testing.TB, c testClient, expires time.Time, grants ...mint.Grant) {
	tb.Helper()
	ctx := context.Background()
	sec := mint.Secret{ID: mint.NewID("sec"), Digest: secret.Digest(c.Secret), CreatedAt: f.now, ExpiresAt: expires}
	f.must(tb, f.store.CreateClient(ctx, mint.Client{ID: c.ID, Name: "test", CreatedAt: f.now, UpdatedAt: f.now}, sec))
	for _, g := range grants {
		g.ID, g.ClientID, g.CreatedAt, g.UpdatedAt = mint.NewID("grant"), c.ID, f.now, f.now
		f.must(tb, f.store.CreateGrant(ctx, g))
	}
}

// rotate gives the client a new secret and expires the old one.
func (f *fixture) rotate(tb testing.TB, clientID string) string {
	plain, digest := secret.New()
	sec := mint.Secret{ID: mint.NewID("sec"), ClientID: clientID, Digest: digest, CreatedAt: f.now}
	f.must(tb, f.store.RotateSecret(context.Background(), sec, f.now.Add(-time.Second)))
	return plain
}

func (f *fixture) must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// lockedBuffer collects log output from the server goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// httpCase is one request to the fixture server.
type httpCase struct {
	method      string // default POST
	path        string // default /oauth/token
	contentType string
	body        string
	bodyReader  func() io.Reader // instead of body, to send without a length
	auth        string           // the Authorization header, if any
}

func (f *fixture) do(tb testing.TB, c httpCase) (*http.Response, []byte) {
	tb.Helper()
	method, path := c.method, c.path
	if method == "" {
		method = http.MethodPost
	}
	if path == "" {
		path = "/oauth/token"
	}
	var body io.Reader = strings.NewReader(c.body)
	if c.bodyReader != nil {
		body = c.bodyReader()
	}
	r, err := http.NewRequest(method, f.srv.URL+path, body)
	if err != nil {
		tb.Fatal(err)
	}
	if c.contentType != "" {
		r.Header.Set("Content-Type", c.contentType)
	}
	if c.auth != "" {
		r.Header.Set("Authorization", c.auth)
	}
	resp, err := f.srv.Client().Do(r)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp, data
}

// golden compares got with testdata/<name>.golden, or rewrites it with -update.
func golden(tb testing.TB, name string, got []byte) {
	tb.Helper()
	goldenfile.Assert(tb, filepath.Join("testdata", name+".golden"), got)
}

// tokenClaims is what the tests read from a verified token.
type tokenClaims struct {
	Issuer    string `json:"iss"`
	Subject   string `json:"sub"`
	Audience  string `json:"aud"`
	IssuedAt  int64  `json:"iat"`
	Expiry    int64  `json:"exp"`
	ID        string `json:"jti"`
	ClientID  string `json:"client_id"`
	AZP       string `json:"azp"`
	GrantType string `json:"gty"`
	Scope     string `json:"scope"`
}

// verify checks the token's signature against the published keys and its
// header, and returns its claims and the names of all its claims.
func (f *fixture) verify(tb testing.TB, raw string) (tokenClaims, []string) {
	tb.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		tb.Fatalf("parse token: %v", err)
	}
	h := tok.Headers[0]
	if h.KeyID == "" || h.KeyID != f.ring.ActiveKeyID() {
		tb.Errorf("kid = %q, want the active key %q", h.KeyID, f.ring.ActiveKeyID())
	}
	if typ := h.ExtraHeaders[jose.HeaderType]; typ != "at+jwt" {
		tb.Errorf("typ = %v, want at+jwt", typ)
	}
	set := f.ring.PublicKeys()
	keys := set.Key(h.KeyID)
	if len(keys) != 1 {
		tb.Fatalf("kid %q: %d published keys", h.KeyID, len(keys))
	}
	var c tokenClaims
	var all map[string]json.RawMessage
	if err := tok.Claims(keys[0].Key, &c, &all); err != nil {
		tb.Fatalf("verify token: %v", err)
	}
	names := make([]string, 0, len(all))
	for name := range all {
		names = append(names, name)
	}
	slices.Sort(names)
	return c, names
}
