package tokenstate_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	goldenfile "github.com/mintauth/mint/internal/golden"

	"github.com/mintauth/mint/internal/clientauth"
	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
	"github.com/mintauth/mint/internal/testdb"
	"github.com/mintauth/mint/internal/token"
	"github.com/mintauth/mint/internal/tokenstate"
)

const issuer = "https://auth.mint.test/"

var cargo = mint.API{ID: "api_cargo", Name: "Cargo", Audience: "https://cargo.test",
	Scopes: []string{"read:cargo", "write:cargo"}, TokenLifetime: time.Hour}

// harness is one mint replica: the token, introspection and revocation
// endpoints on loopback HTTP over a store of one backend.
type harness struct {
	t     *testing.T
	store mint.Store
	ring  *keyring.Ring
	now   time.Time
	srv   *httptest.Server
	uses  *clientauth.Recorder
	logs  *syncBuffer
}

// syncBuffer collects log lines written by server goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newHarness starts a replica on a new database of the backend.
func newHarness(t *testing.T, backend string) *harness {
	t.Helper()
	h := newReplica(t, testdb.Open(t, backend), keyring.NewMasterKey())
	h.must(h.store.CreateAPI(context.Background(), cargo))
	return h
}

// newReplica starts a replica on store, whose keys masterKey seals.
func newReplica(t *testing.T, store mint.Store, masterKey []byte) *harness {
	t.Helper()
	h := &harness{t: t, store: store, now: time.Now().Truncate(time.Second), logs: &syncBuffer{}}
	ring, err := keyring.Open(context.Background(), store, keyring.Config{MasterKey: masterKey, Now: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	h.ring = ring
	log := slog.New(slog.NewTextHandler(h.logs, nil))
	h.uses = &clientauth.Recorder{Store: store}
	auth := &clientauth.Authenticator{Store: store, Issuer: issuer, Uses: h.uses, Now: h.clock, Log: log}
	cfg := tokenstate.Config{Store: store, Keys: ring, Issuer: issuer, Auth: auth, Now: h.clock, Log: log}
	mux := http.NewServeMux()
	mux.Handle("/oauth/token", &token.Endpoint{Store: store, Keys: ring, Issuer: issuer, Auth: auth, Now: h.clock, Log: log})
	mux.Handle(tokenstate.IntrospectionPath, &tokenstate.Introspection{Config: cfg})
	mux.Handle(tokenstate.RevocationPath, &tokenstate.Revocation{Config: cfg})
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	return h
}

func (h *harness) clock() time.Time { return h.now }

func (h *harness) must(err error) {
	h.t.Helper()
	if err != nil {
		h.t.Fatal(err)
	}
}

// client is a registered client, with its secret in the clear and, for
// private_key_jwt, its private key.
type client struct {
	id, secret string
	key        crypto.Signer
	alg        jose.SignatureAlgorithm
	kid        string
}

// newClient registers a client with a grant on cargo; with a key, its
// public half is the client's JWKS.
func (h *harness) newClient(key crypto.Signer, alg jose.SignatureAlgorithm, introspectAll bool) client {
	h.t.Helper()
	plain, digest := secret.New()
	c := client{id: mint.NewClientID(), secret: plain, key: key, alg: alg}
	mc := mint.Client{ID: c.id, Name: "test", IntrospectAll: introspectAll, CreatedAt: h.now, UpdatedAt: h.now}
	if key != nil {
		c.kid = "key-" + string(alg)
		mc.JWKS = jwks(h.t, jose.JSONWebKey{Key: key.Public(), KeyID: c.kid, Algorithm: string(alg), Use: "sig"})
	}
	ctx := context.Background()
	h.must(h.store.CreateClient(ctx, mc, mint.Secret{ID: mint.NewID("sec"), ClientID: c.id, Digest: digest, CreatedAt: h.now}))
	h.must(h.store.CreateGrant(ctx, mint.Grant{ID: mint.NewID("grant"), ClientID: c.id, Audience: cargo.Audience,
		Scopes: cargo.Scopes, CreatedAt: h.now, UpdatedAt: h.now}))
	return c
}

func jwks(tb testing.TB, keys ...jose.JSONWebKey) []byte {
	tb.Helper()
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func rsaKey(tb testing.TB) crypto.Signer {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func ecKey(tb testing.TB) crypto.Signer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func edKey(tb testing.TB) crypto.Signer {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// assertion signs a client assertion of c with claims; the defaults are a
// valid one.
func (h *harness) assertion(c client, edit func(claims map[string]any)) string {
	h.t.Helper()
	claims := map[string]any{"iss": c.id, "sub": c.id, "aud": strings.TrimSuffix(issuer, "/") + "/oauth/token",
		"iat": h.now.Unix(), "exp": h.now.Add(5 * time.Minute).Unix(), "jti": mint.NewID("jti")}
	if edit != nil {
		edit(claims)
	}
	return signJWT(h.t, c.key, c.alg, c.kid, claims)
}

func signJWT(tb testing.TB, key any, alg jose.SignatureAlgorithm, kid string, claims map[string]any) string {
	tb.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		tb.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// unsignedJWT is an alg "none" JWT, which go-jose will not make.
func unsignedJWT(claims map[string]any) string {
	enc := base64.RawURLEncoding
	payload, _ := json.Marshal(claims)
	return enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc.EncodeToString(payload) + "."
}

// answer is one HTTP exchange.
type answer struct {
	status int
	header http.Header
	body   []byte
}

func (h *harness) post(path string, form url.Values, auth string) answer {
	h.t.Helper()
	return h.do(http.MethodPost, path, "application/x-www-form-urlencoded", form.Encode(), auth)
}

func (h *harness) do(method, path, contentType, body, auth string) answer {
	h.t.Helper()
	r, err := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	resp, err := h.srv.Client().Do(r)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: data}
}

// secretForm is c's client_secret_post credentials plus pairs.
func secretForm(c client, pairs ...string) url.Values {
	v := url.Values{"client_id": {c.id}, "client_secret": {c.secret}}
	return with(v, pairs...)
}

// assertionForm is a private_key_jwt form with assertion plus pairs.
func assertionForm(assertion string, pairs ...string) url.Values {
	v := url.Values{"client_assertion_type": {clientauth.AssertionType}, "client_assertion": {assertion}}
	return with(v, pairs...)
}

func with(v url.Values, pairs ...string) url.Values {
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Add(pairs[i], pairs[i+1])
	}
	return v
}

func basic(c client) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(c.id)+":"+url.QueryEscape(c.secret)))
}

// issue gets an access token for c with its secret.
func (h *harness) issue(c client) string {
	h.t.Helper()
	a := h.post("/oauth/token", secretForm(c, "grant_type", "client_credentials"), "")
	if a.status != http.StatusOK {
		h.t.Fatalf("token for %s: %d %s", c.id, a.status, a.body)
	}
	var resp struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(a.body, &resp); err != nil || resp.AccessToken == "" {
		h.t.Fatalf("token answer %s", a.body)
	}
	return resp.AccessToken
}

// introspect asks, as caller, about tok and returns the answer's members.
func (h *harness) introspect(caller client, tok string) map[string]any {
	h.t.Helper()
	a := h.post(tokenstate.IntrospectionPath, secretForm(caller, "token", tok), "")
	if a.status != http.StatusOK || a.header.Get("Cache-Control") != "no-store" {
		h.t.Fatalf("introspect: %d %v %s", a.status, a.header, a.body)
	}
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil {
		h.t.Fatalf("introspect answer %s: %v", a.body, err)
	}
	return m
}

// golden compares got with testdata/<name>.golden, or rewrites it with -update.
func golden(tb testing.TB, name string, got []byte) {
	tb.Helper()
	goldenfile.Assert(tb, filepath.Join("testdata", name+".golden"), got)
}

// forEachBackend runs test as one subtest per backend.
func forEachBackend(t *testing.T, test func(t *testing.T, backend string)) {
	for _, b := range testdb.Backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			test(t, b)
		})
	}
}
