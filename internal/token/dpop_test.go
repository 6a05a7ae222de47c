package token

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mintauth/mint/bearer/dpop"
	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
	"github.com/mintauth/mint/internal/testdb"
)

// dpopReplicas are two token endpoints over one database, each with its
// own HTTP server, as two replicas behind a load balancer: a proof used
// at one must be refused at the other.
type dpopReplicas struct {
	urls    [2]string
	ring    *keyring.Ring
	now     time.Time
	nonces  *dpop.Nonces
	client  testClient
	strict  testClient // a client whose policy requires DPoP
	useNonc bool
}

const dpopAudience = "https://api.dpop.test"

func newDPoPReplicas(t *testing.T, backend string, requireNonce bool) *dpopReplicas {
	t.Helper()
	ctx := context.Background()
	dsn := testdb.New(t, backend)
	master := keyring.NewMasterKey()
	r := &dpopReplicas{now: time.Now().Truncate(time.Second)}
	clock := func() time.Time { return r.now }
	if requireNonce {
		r.nonces = &dpop.Nonces{Key: []byte("0123456789abcdef0123456789abcdef"), Now: clock}
	}
	for i := range r.urls {
		store := testdb.OpenDSN(t, backend, dsn)
		ring, err := keyring.Open(ctx, store, keyring.Config{MasterKey: master, Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			r.ring = ring
			r.populate(t, store)
		}
		e := &Endpoint{Store: store, Keys: ring, Issuer: testIssuer, Now: clock,
			DPoP: NewDPoPChecker(store, r.nonces, clock)}
		srv := httptest.NewServer(e)
		t.Cleanup(srv.Close)
		r.urls[i] = srv.URL
	}
	return r
}

func (r *dpopReplicas) populate(t *testing.T, store mint.Store) {
	ctx := context.Background()
	if err := store.CreateAPI(ctx, mint.API{ID: "api_dpop", Name: "DPoP", Audience: dpopAudience,
		Scopes: []string{"read"}, TokenReuse: true, CreatedAt: r.now, UpdatedAt: r.now}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		to      *testClient
		binding string
	}{{&r.client, mint.BindingAny}, {&r.strict, mint.BindingDPoP}} {
		plain, digest := secret.New()
		*c.to = testClient{ID: mint.NewClientID(), Secret: plain}
		sec := mint.Secret{ID: mint.NewID("sec"), Digest: digest, CreatedAt: r.now}
		if err := store.CreateClient(ctx, mint.Client{ID: c.to.ID, Name: "dpop", TokenBinding: c.binding,
			CreatedAt: r.now, UpdatedAt: r.now}, sec); err != nil {
			t.Fatal(err)
		}
		if err := store.CreateGrant(ctx, mint.Grant{ID: mint.NewID("grant"), ClientID: c.to.ID,
			Audience: dpopAudience, Scopes: []string{"read"}, CreatedAt: r.now, UpdatedAt: r.now}); err != nil {
			t.Fatal(err)
		}
	}
}

// post asks replica i for a token for c with the DPoP header values given.
func (r *dpopReplicas) post(t *testing.T, i int, c testClient, proofs ...string) (*http.Response, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ID}, "client_secret": {c.Secret}}
	req, _ := http.NewRequest(http.MethodPost, r.urls[i]+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, p := range proofs {
		req.Header.Add("DPoP", p)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("answer %s: %v", body, err)
	}
	return resp, m
}

func (r *dpopReplicas) prover(t *testing.T) *dpop.Prover {
	p, err := dpop.GenerateProver()
	if err != nil {
		t.Fatal(err)
	}
	p.Now = func() time.Time { return r.now }
	return p
}

func proofFor(t *testing.T, p *dpop.Prover, method, u, nonce string) string {
	t.Helper()
	raw, err := p.Proof(method, u, "", nonce)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

const dpopTokenURL = "https://auth.mint.test/oauth/token"

func TestDPoPTokenEndpoint(t *testing.T) {
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) {
			r := newDPoPReplicas(t, backend, false)
			p := r.prover(t)
			good := proofFor(t, p, "POST", dpopTokenURL, "")

			resp, m := r.post(t, 0, r.client, good)
			if resp.StatusCode != 200 || m["token_type"] != "DPoP" {
				t.Fatalf("bound token: %d %v", resp.StatusCode, m)
			}
			if got := jktOf(t, r.ring, m["access_token"].(string)); got != p.JKT() {
				t.Fatalf("cnf.jkt = %q, want %q", got, p.JKT())
			}

			// The same proof at the other replica: a replay.
			resp, m = r.post(t, 1, r.client, good)
			wantError(t, resp, m, 400, "invalid_dpop_proof", "used already")

			// Without a proof, a client that may have bearer tokens gets
			// one, and token reuse never hands it the bound token.
			resp, m = r.post(t, 0, r.client)
			if resp.StatusCode != 200 || m["token_type"] != "Bearer" || jktOf(t, r.ring, m["access_token"].(string)) != "" {
				t.Fatalf("bearer token: %d %v", resp.StatusCode, m)
			}

			// The strict client gets no bearer token, and a bound one with a proof.
			resp, m = r.post(t, 1, r.strict)
			wantError(t, resp, m, 400, "invalid_dpop_proof", "must be DPoP-bound")
			resp, m = r.post(t, 1, r.strict, proofFor(t, p, "POST", dpopTokenURL, ""))
			if resp.StatusCode != 200 || m["token_type"] != "DPoP" {
				t.Fatalf("strict client with a proof: %d %v", resp.StatusCode, m)
			}
		})
	}
}

func TestDPoPTokenEndpointRefusals(t *testing.T) {
	r := newDPoPReplicas(t, "sqlite", false)
	p := r.prover(t)
	stale := r.prover(t)
	stale.Now = func() time.Time { return r.now.Add(-2 * time.Minute) }
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	withAth, _ := p.Proof("POST", dpopTokenURL, "some-token", "")
	tests := []struct {
		name   string
		proofs []string
		want   string
	}{
		{"two proofs", []string{proofFor(t, p, "POST", dpopTokenURL, ""), proofFor(t, p, "POST", dpopTokenURL, "")}, "more than one"},
		{"garbage", []string{"not.a.proof"}, "malformed"},
		{"other method", []string{proofFor(t, p, "GET", dpopTokenURL, "")}, "htm"},
		{"other URL", []string{proofFor(t, p, "POST", "https://auth.mint.test/oauth/introspect", "")}, "htu"},
		{"the server's own address", []string{proofFor(t, p, "POST", r.urls[0]+"/oauth/token", "")}, "htu"},
		{"stale", []string{proofFor(t, stale, "POST", dpopTokenURL, "")}, "too old"},
		{"ath at the token endpoint", []string{withAth}, "ath"},
		{"HS256", []string{hmacProof(t)}, "algorithm"},
		{"private key in jwk", []string{privateJWKProof(t, key)}, "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, m := r.post(t, 0, r.client, tt.proofs...)
			wantError(t, resp, m, 400, "invalid_dpop_proof", tt.want)
		})
	}
}

func TestDPoPTokenEndpointNonce(t *testing.T) {
	r := newDPoPReplicas(t, "sqlite", true)
	p := r.prover(t)
	resp, m := r.post(t, 0, r.client, proofFor(t, p, "POST", dpopTokenURL, ""))
	wantError(t, resp, m, 400, "use_dpop_nonce", "nonce")
	nonce := resp.Header.Get("DPoP-Nonce")
	if nonce == "" {
		t.Fatal("no DPoP-Nonce with use_dpop_nonce")
	}
	// The nonce one replica issued works at the other.
	resp, m = r.post(t, 1, r.client, proofFor(t, p, "POST", dpopTokenURL, nonce))
	if resp.StatusCode != 200 || m["token_type"] != "DPoP" || resp.Header.Get("DPoP-Nonce") == "" {
		t.Fatalf("with the nonce: %d %v %v", resp.StatusCode, m, resp.Header)
	}
	// A made-up nonce, and one from a period long gone.
	resp, m = r.post(t, 0, r.client, proofFor(t, p, "POST", dpopTokenURL, "bm90IGEgbm9uY2Ugb2YgbWludCBhdCBhbGwh"))
	wantError(t, resp, m, 400, "use_dpop_nonce", "")
	r.now = r.now.Add(3 * dpop.DefaultNoncePeriod)
	resp, m = r.post(t, 0, r.client, proofFor(t, p, "POST", dpopTokenURL, nonce))
	wantError(t, resp, m, 400, "use_dpop_nonce", "")
}

func wantError(t *testing.T, resp *http.Response, m map[string]any, status int, code, inDescription string) {
	t.Helper()
	if resp.StatusCode != status || m["error"] != code {
		t.Fatalf("got %d %v, want %d %s", resp.StatusCode, m, status, code)
	}
	if d, _ := m["error_description"].(string); !strings.Contains(d, inDescription) {
		t.Fatalf("error_description %q lacks %q", d, inDescription)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("Cache-Control = %q", resp.Header.Get("Cache-Control"))
	}
}

// jktOf reads cnf.jkt from a token mint signed.
func jktOf(t *testing.T, ring *keyring.Ring, raw string) string {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Cnf *struct {
			JKT string `json:"jkt"`
		} `json:"cnf"`
	}
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
		t.Fatal(err)
	}
	if c.Cnf == nil {
		return ""
	}
	return c.Cnf.JKT
}

// hmacProof is a proof "signed" with HS256 and an oct key in its jwk.
func hmacProof(t *testing.T) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"dpop+jwt","jwk":{"kty":"oct","k":"c2VjcmV0"}}`))
	c := base64.RawURLEncoding.EncodeToString([]byte(`{"jti":"x","htm":"POST","htu":"` + dpopTokenURL + `","iat":` + "1" + `}`))
	return h + "." + c + ".c2ln"
}

// privateJWKProof puts the private key in the header's jwk.
func privateJWKProof(t *testing.T, key *ecdsa.PrivateKey) string {
	opts := (&jose.SignerOptions{}).WithType("dpop+jwt").WithHeader("jwk", &jose.JSONWebKey{Key: key})
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(map[string]any{"jti": "x", "htm": "POST", "htu": dpopTokenURL, "iat": time.Now().Unix()})
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := jws.CompactSerialize()
	return raw
}
