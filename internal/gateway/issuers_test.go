package gateway_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mintauth/mint/internal/gateway"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
	"github.com/mintauth/mint/internal/server"
	"github.com/mintauth/mint/oauth"
)

func TestParseIssuer(t *testing.T) {
	tests := []struct {
		in, want string // want "" for an error
	}{
		{"https://mint.example", "https://mint.example"},
		{"  https://tenant.eu.auth0.com/  ", "https://tenant.eu.auth0.com/"},
		{"https://tenant.eu.auth0.com/ typ=JWT alg=RS256", "https://tenant.eu.auth0.com/ typ=JWT alg=RS256"},
		{"https://t.example/ jwks=https://t.example/.well-known/jwks.json typ=JWT,at+jwt alg=RS256,PS256",
			"https://t.example/ jwks=https://t.example/.well-known/jwks.json typ=JWT,at+jwt alg=RS256,PS256"},
		{"", ""}, {"   ", ""}, {"mint.example", ""}, {"ftp://mint.example", ""}, {"https://", ""},
		{"https://t.example/ alg=HS256", ""}, {"https://t.example/ alg=none", ""}, {"https://t.example/ alg=", ""},
		{"https://t.example/ jwks=/jwks", ""}, {"https://t.example/ typ", ""}, {"https://t.example/ kid=x", ""},
	}
	for _, tt := range tests {
		spec, err := gateway.ParseIssuer(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseIssuer(%q) = %v, want an error", tt.in, spec)
			}
			continue
		}
		if err != nil || spec.String() != tt.want {
			t.Errorf("ParseIssuer(%q) = %q, %v; want %q", tt.in, spec, err, tt.want)
		}
	}
}

func TestFromFlagsIssuers(t *testing.T) {
	base := map[string]string{"MINT_GATEWAY_UPSTREAM": "http://127.0.0.1:9000", "MINT_GATEWAY_AUDIENCE": "api"}
	env := func(extra map[string]string) func(string) string {
		return func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return base[k]
		}
	}
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		issuer string // Options.Issuer
		specs  string // Options.Issuers, "; "-joined
	}{
		{"MINT_ISSUER", map[string]string{"MINT_ISSUER": "https://mint.example"}, nil, "https://mint.example", ""},
		{"MINT_GATEWAY_ISSUERS replaces MINT_ISSUER", map[string]string{"MINT_ISSUER": "https://mint.example",
			"MINT_GATEWAY_ISSUERS": "https://mint.example; https://t.eu.auth0.com/ typ=JWT"}, nil,
			"", "https://mint.example; https://t.eu.auth0.com/ typ=JWT"},
		{"--issuer replaces the environment", map[string]string{"MINT_ISSUER": "https://old.example",
			"MINT_GATEWAY_ISSUERS": "https://x.example"}, []string{"--issuer", "https://mint.example", "--issuer", "https://t.eu.auth0.com/ alg=RS256"},
			"", "https://mint.example; https://t.eu.auth0.com/ alg=RS256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
			o := gateway.FromFlags(fs, env(tt.env))
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			var specs []string
			for _, s := range o.Issuers {
				specs = append(specs, s.String())
			}
			if o.Issuer != tt.issuer || strings.Join(specs, "; ") != tt.specs {
				t.Errorf("Issuer %q, Issuers %q", o.Issuer, specs)
			}
		})
	}
	refused := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"bad MINT_GATEWAY_ISSUERS", map[string]string{"MINT_GATEWAY_ISSUERS": "https://a.example alg=HS256"}, nil, "MINT_GATEWAY_ISSUERS"},
		{"issuer twice", nil, []string{"--issuer", "https://a.example", "--issuer", "https://a.example typ=JWT"}, "named twice"},
		{"--jwks-url with two", nil, []string{"--issuer", "https://a.example", "--issuer", "https://b.example/", "--jwks-url", "https://a.example/jwks"}, "jwks="},
		{"no issuer", nil, nil, "--issuer"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
			o := gateway.FromFlags(fs, env(tt.env))
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if err := gateway.Run(t.Context(), o); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run: %v, want an error naming %q", err, tt.want)
			}
		})
	}
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	gateway.FromFlags(fs, env(nil))
	if err := fs.Parse([]string{"--issuer", "https://a.example alg=none"}); err == nil {
		t.Error("--issuer with alg=none accepted")
	}
	if err := gateway.Run(t.Context(), &gateway.Options{Upstream: "http://u", Audience: "a", Issuer: "https://a.example",
		Issuers: []gateway.IssuerSpec{{URL: "https://b.example"}}}); err == nil {
		t.Error("Options with Issuer and Issuers accepted")
	}
}

// realMint starts a mint server on loopback (temporary SQLite file) with an
// API for audience and a client granted "read:cargo" on it, and returns its
// issuer URL and a token of that client from its token endpoint.
func realMint(t *testing.T) (issuerURL, token string) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	issuerURL = "http://" + ts.Listener.Addr().String()
	srv, err := server.New(context.Background(), server.Config{
		DB: filepath.Join(t.TempDir(), "mint.db"), Issuer: issuerURL, Log: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	ctx, now, store := t.Context(), time.Now().UTC(), srv.Store()
	const id, sec = "cargo-client", "cargo-secret-0123456789abcdefghijkl"
	for _, err := range []error{
		store.CreateAPI(ctx, mint.API{ID: mint.NewID("api"), Name: "cargo", Audience: audience, Scopes: []string{"read:cargo"},
			TokenLifetime: time.Hour, CreatedAt: now, UpdatedAt: now}),
		store.CreateClient(ctx, mint.Client{ID: id, Name: "cargo", CreatedAt: now, UpdatedAt: now},
			mint.Secret{ID: mint.NewID("sec"), ClientID: id, Digest: secret.Digest(sec), CreatedAt: now}),
		store.CreateGrant(ctx, mint.Grant{ID: mint.NewID("grant"), ClientID: id, Audience: audience,
			Scopes: []string{"read:cargo"}, CreatedAt: now, UpdatedAt: now}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	ts.Config.Handler = srv.Handler()
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	body, _ := json.Marshal(map[string]string{"client_id": id, "client_secret": sec, "audience": audience, "grant_type": "client_credentials"})
	resp, err := http.Post(issuerURL+"/oauth/token", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token endpoint: %d %v", resp.StatusCode, err)
	}
	return issuerURL, tok.AccessToken
}

// auth0Tenant stands in for an Auth0 tenant on loopback: issuer with a
// trailing slash, OpenID Connect discovery, a JWKS of RS256 keys, tokens
// with typ "JWT" and Auth0's client-credentials claims (azp, gty, scope).
type auth0Tenant struct {
	srv      *httptest.Server
	requests atomic.Int32
	keys     map[string]*rsa.PrivateKey // by kid
}

func newAuth0Tenant(t *testing.T, kids ...string) *auth0Tenant {
	t.Helper()
	tn := &auth0Tenant{keys: map[string]*rsa.PrivateKey{}}
	var set jose.JSONWebKeySet
	for _, kid := range kids {
		priv, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		tn.keys[kid] = priv
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: priv.Public(), KeyID: kid, Algorithm: "RS256", Use: "sig"})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		oauth.WriteJSON(w, 200, map[string]string{"issuer": tn.issuer(), "jwks_uri": tn.srv.URL + "/.well-known/jwks.json"})
	})
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) { oauth.WriteJSON(w, 200, set) })
	tn.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tn.requests.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(tn.srv.Close)
	return tn
}

func (tn *auth0Tenant) issuer() string { return tn.srv.URL + "/" }

// sign signs claims with the key of kid as Auth0 does (RS256, typ JWT).
func (tn *auth0Tenant) sign(t *testing.T, kid string, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: tn.keys[kid], KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func (tn *auth0Tenant) claims(edits map[string]any) map[string]any {
	now := time.Now()
	c := map[string]any{
		"iss": tn.issuer(), "sub": "P5SYwJVOJrp9gOEY96iVsXK7DslGbTEH@clients", "aud": audience,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "azp": "P5SYwJVOJrp9gOEY96iVsXK7DslGbTEH",
		"gty": "client-credentials", "scope": "read:cargo",
	}
	for k, v := range edits {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

// kidOf reads the kid of a compact JWS.
func kidOf(t *testing.T, raw string) string {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.PS256, jose.EdDSA})
	if err != nil {
		t.Fatal(err)
	}
	return tok.Headers[0].KeyID
}

// TestGatewayTrustsMintAndAuth0 runs "mint gateway --issuer MINT --issuer
// 'TENANT/ typ=JWT alg=RS256'" over loopback in front of an echo upstream:
// a real mint server's token and an Auth0-shaped token both pass, with
// their issuer, client and scopes upstream; tokens the tenant's keys sign
// but that name mint (its own kid, or the kid of mint's key, which the
// tenant also publishes), and "iss" variants, are refused 401 without
// reaching the upstream or fetching anything.
func TestGatewayTrustsMintAndAuth0(t *testing.T) {
	mintURL, mintToken := realMint(t)
	mintKid := kidOf(t, mintToken)
	tn := newAuth0Tenant(t, "auth0-k1", mintKid)
	up, hits := headerEcho(t)
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	o := gateway.FromFlags(fs, func(string) string { return "" })
	if err := fs.Parse([]string{"--upstream", up.URL, "--audience", audience, "--default-deny=false",
		"--issuer", mintURL, "--issuer", tn.issuer() + " typ=JWT alg=RS256"}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- gateway.Serve(ctx, ln, o) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	url := "http://" + ln.Addr().String() + "/ws/rest/Cargo"

	for _, tt := range []struct {
		name, token, issuer, client string
	}{
		{"mint", mintToken, mintURL, "cargo-client"},
		{"auth0", tn.sign(t, "auth0-k1", tn.claims(nil)), tn.issuer(), "P5SYwJVOJrp9gOEY96iVsXK7DslGbTEH"},
		{"auth0, key under mint's kid", tn.sign(t, mintKid, tn.claims(nil)), tn.issuer(), "P5SYwJVOJrp9gOEY96iVsXK7DslGbTEH"},
	} {
		resp, body := do(t, "GET", url, map[string][]string{"Authorization": {"Bearer " + tt.token}, "X-Mint-Issuer": {"https://forged.example"}})
		var e echoed
		_ = json.Unmarshal([]byte(body), &e)
		if resp.StatusCode != 200 || e.Header.Get("X-Mint-Issuer") != tt.issuer || e.Header.Get("X-Mint-Client-Id") != tt.client ||
			e.Header.Get("X-Mint-Scopes") != "read:cargo" {
			t.Errorf("%s: status %d, upstream saw issuer %q client %q scopes %q", tt.name, resp.StatusCode,
				e.Header.Get("X-Mint-Issuer"), e.Header.Get("X-Mint-Client-Id"), e.Header.Get("X-Mint-Scopes"))
		}
	}

	hitsBefore, tenantBefore := *hits, tn.requests.Load()
	for _, tt := range []struct {
		name, token string
	}{
		{"tenant key, mint iss, mint kid", tn.sign(t, mintKid, tn.claims(map[string]any{"iss": mintURL}))},
		{"tenant key, mint iss, tenant kid", tn.sign(t, "auth0-k1", tn.claims(map[string]any{"iss": mintURL}))},
		{"mint iss with a slash", tn.sign(t, "auth0-k1", tn.claims(map[string]any{"iss": mintURL + "/"}))},
		{"tenant iss without its slash", tn.sign(t, "auth0-k1", tn.claims(map[string]any{"iss": strings.TrimSuffix(tn.issuer(), "/")}))},
		{"upper-case iss", tn.sign(t, "auth0-k1", tn.claims(map[string]any{"iss": strings.ToUpper(tn.issuer())}))},
		{"iss with a space", tn.sign(t, "auth0-k1", tn.claims(map[string]any{"iss": tn.issuer() + " "}))},
		{"look-alike iss", tn.sign(t, "auth0-k1", tn.claims(map[string]any{"iss": strings.Replace(tn.issuer(), "1", "\u0661", 1)}))},
		{"no iss", tn.sign(t, "auth0-k1", tn.claims(map[string]any{"iss": nil}))},
		{"array iss", tn.sign(t, "auth0-k1", tn.claims(map[string]any{"iss": []string{tn.issuer()}}))},
		{"untrusted iss", tn.sign(t, "auth0-k1", tn.claims(map[string]any{"iss": "https://evil.example/"}))},
	} {
		resp, body := do(t, "GET", url, map[string][]string{"Authorization": {"Bearer " + tt.token}})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("%s: %d %s, want 401 invalid_token", tt.name, resp.StatusCode, body)
		}
	}
	if *hits != hitsBefore {
		t.Errorf("forged tokens reached the upstream %d times", *hits-hitsBefore)
	}
	if n := tn.requests.Load() - tenantBefore; n != 0 {
		t.Errorf("forged tokens made the tenant serve %d documents", n)
	}
}

// FuzzParseIssuer: an --issuer value either is refused or parses into a
// spec that prints back to itself, with an http(s) issuer and no HMAC or
// "none" algorithm.
func FuzzParseIssuer(f *testing.F) {
	for _, s := range []string{"https://mint.example", "https://t.eu.auth0.com/ typ=JWT alg=RS256",
		"http://a jwks=http://b typ=at+jwt,JWT alg=ES256,EdDSA", "https://t/ alg=HS256", "x y=z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := gateway.ParseIssuer(s)
		if err != nil {
			return
		}
		again, err := gateway.ParseIssuer(spec.String())
		if err != nil || again.String() != spec.String() {
			t.Fatalf("%q parsed as %q, which parses as %q, %v", s, spec, again, err)
		}
		if u := strings.ToLower(spec.URL); !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			t.Fatalf("issuer %q accepted", spec.URL)
		}
		for _, a := range spec.Algorithms {
			if a == "none" || strings.HasPrefix(string(a), "HS") {
				t.Fatalf("alg %q accepted", a)
			}
		}
	})
}
