package e2e_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/bearer/dpop"
	"github.com/mintauth/mint/client"
	"github.com/mintauth/mint/examples/cargo-api/cargo"
	"github.com/mintauth/mint/internal/mint"
)

// TestDPoPFullLoopTLS is RFC 9449 end to end over real TLS on 127.0.0.1,
// with the real binaries: `mint serve` over HTTPS with --dpop-nonce, the
// partner's client registered with token_binding "dpop"; `mint gateway`
// over HTTPS with --dpop-nonce in front of an upstream that echoes what
// it got; the example cargo API behind the Go middleware, over TLS, and
// the same middleware in front of a counting handler, logging. The
// partner is the Go SDK with Config.DPoP, answering both nonce challenges
// on its own. The token is bound to the partner's key (cnf.jkt). Then, as
// an attacker holding the token, every way of using it without a fresh
// proof of that key is refused, at the gateway and at the middleware,
// with 401 and the error code in the WWW-Authenticate challenge; the
// upstream and the counting handler see none of them, and the gateway's
// and the middleware's logs name the check that refused each.
func TestDPoPFullLoopTLS(t *testing.T) {
	bin := buildPrograms(t)
	pki := newPKI(t)
	dir := t.TempDir()
	serverCert, serverKey := pki.writeServer(t, dir), filepath.Join(dir, "server.key")

	mintProc := startProgram(t, filepath.Join(bin, "mint"), []string{
		"MINT_BOOTSTRAP_CLIENT_ID=" + adminID, "MINT_BOOTSTRAP_CLIENT_SECRET=" + adminSecret,
	}, "mint serving", "serve", "--addr", "127.0.0.1:0", "--metrics-addr", "off", "--log-format", "json",
		"--db", filepath.Join(dir, "mint.db"), "--tls-cert", serverCert, "--tls-key", serverKey, "--dpop-nonce")
	issuer := "https://" + mintProc.addr("mint serving")
	trust := x509.NewCertPool()
	trust.AddCert(pki.server.Leaf)
	trusting := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: trust}}
	hc := &http.Client{Transport: trusting, Timeout: 30 * time.Second}

	m := &mintServer{URL: issuer}
	m.adminToken = m.token(t, client.Config{TokenURL: issuer + "/oauth/token", ClientID: adminID, ClientSecret: adminSecret,
		Audience: mint.AdminAudience, HTTPClient: hc})
	m.createAPIOver(t, hc, "Dataloy", prodAudience, 3600, "read:cargo")
	var reg struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	m.adminOver(t, hc, "POST", "/admin/v1/clients", map[string]any{"name": "cargo partner", "token_binding": "dpop"}, &reg)
	m.adminOver(t, hc, "POST", "/admin/v1/grants", map[string]any{
		"client_id": reg.ClientID, "audience": prodAudience, "scopes": []string{"read:cargo"}}, nil)

	var md struct {
		Algs []string `json:"dpop_signing_alg_values_supported"`
	}
	getJSON(t, hc, issuer+"/.well-known/oauth-authorization-server", &md)
	if len(md.Algs) == 0 {
		t.Fatal("discovery names no dpop_signing_alg_values_supported")
	}

	upstream, hits := plainUpstream(t)
	gwProc := startProgram(t, filepath.Join(bin, "mint"), []string{"MINT_ISSUER=" + issuer, "SSL_CERT_FILE=" + serverCert},
		"mint gateway serving", "gateway", "--listen", "127.0.0.1:0", "--log-format", "json", "--upstream", upstream.URL,
		"--audience", prodAudience, "--rule", "GET / read:cargo", "--tls-cert", serverCert, "--tls-key", serverKey, "--dpop-nonce",
		"--log-level", "debug")
	gw := "https://" + gwProc.addr("mint gateway serving")

	keys, err := bearer.NewJWKS(context.Background(), bearer.JWKSConfig{Issuer: issuer, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewUnstartedServer(cargo.Handler(cargo.Config{Issuer: issuer, Audience: prodAudience, Keys: keys}))
	api.TLS = &tls.Config{Certificates: []tls.Certificate{pki.server}}
	api.StartTLS()
	t.Cleanup(api.Close)

	// The same middleware as the example's, in front of a handler that
	// counts what reaches it, logging each refusal's reason.
	var mwLog memLog
	var mwHits atomic.Int64
	mw := bearer.Middleware(&bearer.Verifier{Issuer: issuer, Audiences: []string{prodAudience}, Keys: keys},
		bearer.WithLogger(slog.New(slog.NewJSONHandler(&mwLog, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	logged := httptest.NewUnstartedServer(mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mwHits.Add(1)
		io.WriteString(w, "ok")
	})))
	logged.TLS = &tls.Config{Certificates: []tls.Certificate{pki.server}}
	logged.StartTLS()
	t.Cleanup(logged.Close)

	partner := client.Config{TokenURL: issuer + "/oauth/token", ClientID: reg.ClientID, ClientSecret: reg.ClientSecret,
		Audience: prodAudience, HTTPClient: &http.Client{Transport: trusting.Clone(), Timeout: 30 * time.Second}}
	ctx := context.Background()
	t.Run("refused/token endpoint: no DPoP key", func(t *testing.T) {
		_, err := partner.TokenSource(ctx).Token()
		if e := (*client.Error)(nil); !errors.As(err, &e) || e.Code != "invalid_dpop_proof" {
			t.Fatalf("token without DPoP: %v", err)
		}
	})

	key := newECKey(t)
	prover, err := dpop.NewProver(key, jose.ES256)
	if err != nil {
		t.Fatal(err)
	}
	partner.DPoP = prover
	sdk := partner.Client(ctx)
	var tok string
	t.Run("SDK through the gateway", func(t *testing.T) {
		resp, err := sdk.Get(gw + "/echo?x=1")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var seen http.Header
		if err := json.NewDecoder(resp.Body).Decode(&seen); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s, %v", resp.Status, err)
		}
		if seen.Get("X-Mint-Client-Id") != reg.ClientID || !strings.HasPrefix(seen.Get("Authorization"), "DPoP ") {
			t.Fatalf("upstream saw %v", seen)
		}
		tok = strings.TrimPrefix(seen.Get("Authorization"), "DPoP ")
	})
	if tok == "" {
		t.FailNow()
	}
	if got := jktOf(t, tok); got != prover.JKT() {
		t.Fatalf("cnf.jkt %q, want the partner key's %q", got, prover.JKT())
	}
	if prover.Nonce(issuer) == "" || prover.Nonce(gw) == "" {
		t.Fatalf("the SDK kept no nonce from mint (%q) or the gateway (%q)", prover.Nonce(issuer), prover.Nonce(gw))
	}
	t.Run("SDK to the example API (Go middleware over TLS)", func(t *testing.T) {
		if rows := getRows(t, sdk, api.URL+seedQuery); len(rows) == 0 {
			t.Fatal("no rows")
		}
	})
	t.Run("gateway's protected resource metadata over TLS", func(t *testing.T) {
		var rm bearer.ResourceMetadata
		getJSON(t, hc, gw+bearer.ProtectedResourcePath, &rm)
		if rm.Resource != prodAudience || len(rm.AuthorizationServers) != 1 || rm.AuthorizationServers[0] != issuer ||
			len(rm.DPoPSigningAlgs) == 0 || !rm.TLSCertificateBound {
			t.Fatalf("%+v", rm)
		}
	})

	// The attacker's proofs: the gateway wants its nonce, the middleware
	// none; a stale one is made with the partner's own key, so that only
	// its iat is wrong.
	stale, err := dpop.NewProver(key, jose.ES256)
	if err != nil {
		t.Fatal(err)
	}
	stale.Now = func() time.Time { return time.Now().Add(-5 * time.Minute) }
	thief, err := dpop.GenerateProver()
	if err != nil {
		t.Fatal(err)
	}
	other := newECKey(t)
	otherTok := m.token(t, client.Config{TokenURL: issuer + "/oauth/token", ClientID: reg.ClientID, ClientSecret: reg.ClientSecret,
		Audience: prodAudience, HTTPClient: hc, DPoP: mustProver(t, other)})
	for _, target := range []struct {
		name, url, elsewhere, nonce string
		log                         refusalLog    // where the reason of each refusal is logged; nil: not read
		hits                        *atomic.Int64 // what reached the handler behind; nil: not counted
	}{
		{"gateway", gw + "/echo", gw + "/download", prover.Nonce(gw), gwProc, hits},
		{"example API", api.URL + seedQuery, api.URL + "/ws/rest/Vessel", "", nil, nil},
		{"middleware", logged.URL + "/cargo?x=1", logged.URL + "/vessels", "", &mwLog, &mwHits},
	} {
		proof := func(p *dpop.Prover, method, u, token string) string {
			raw, err := p.Proof(method, u, token, target.nonce)
			if err != nil {
				t.Fatal(err)
			}
			return raw
		}
		u := target.url
		used := proof(prover, "GET", u, tok)
		if status, challenge := callOver(t, hc, "GET", u, "DPoP "+tok, used); status != 200 {
			t.Fatalf("%s: a fresh proof: %d %q", target.name, status, challenge)
		}
		var before int64
		if target.hits != nil {
			before = target.hits.Load()
		}
		for _, tt := range []struct {
			name, auth, proof, code string
			reason                  error
		}{
			{"no proof", "DPoP " + tok, "", "invalid_dpop_proof", dpop.ErrMissing},
			{"proof for another method", "DPoP " + tok, proof(prover, "POST", u, tok), "invalid_dpop_proof", dpop.ErrMethod},
			{"proof for another URL", "DPoP " + tok, proof(prover, "GET", target.elsewhere, tok), "invalid_dpop_proof", dpop.ErrURL},
			{"replayed proof", "DPoP " + tok, used, "invalid_dpop_proof", dpop.ErrReplay},
			{"stale iat", "DPoP " + tok, proof(stale, "GET", u, tok), "invalid_dpop_proof", dpop.ErrStale},
			{"wrong ath (the proof of another token)", "DPoP " + tok, proof(prover, "GET", u, otherTok), "invalid_dpop_proof", dpop.ErrTokenHash},
			{"proof signed by another key", "DPoP " + tok, proof(thief, "GET", u, tok), "invalid_dpop_proof", dpop.ErrKeyMismatch},
			{"bound token as Bearer", "Bearer " + tok, "", "invalid_token", bearer.ErrBoundAsBearer},
			{"bound token as Bearer with a good proof", "Bearer " + tok, proof(prover, "GET", u, tok), "invalid_token", bearer.ErrBoundAsBearer},
		} {
			t.Run("refused/"+target.name+": "+tt.name, func(t *testing.T) {
				var logged int
				if target.log != nil {
					logged = target.log.logLen()
				}
				status, challenge := callOver(t, hc, "GET", u, tt.auth, tt.proof)
				if status != 401 || !strings.Contains(challenge, `DPoP `) || !strings.Contains(challenge, `error="`+tt.code+`"`) {
					t.Fatalf("%d %q, want 401 with a DPoP challenge, error=%q", status, challenge, tt.code)
				}
				// The answer says invalid_dpop_proof whatever the reason;
				// the gateway's debug log says which check refused it.
				if target.log != nil && !target.log.waitLog(logged, "request refused", tt.reason.Error()) {
					t.Errorf("the %s logged no refusal for %q", target.name, tt.reason)
				}
			})
		}
		if target.hits != nil {
			if n := target.hits.Load() - before; n != 0 {
				t.Errorf("%s: %d refused requests reached the handler behind", target.name, n)
			}
		}
	}
	t.Run("control: the other token with its own key's proof passes the gateway", func(t *testing.T) {
		raw, err := mustProver(t, other).Proof("GET", gw+"/echo", otherTok, prover.Nonce(gw))
		if err != nil {
			t.Fatal(err)
		}
		if status, challenge := callOver(t, hc, "GET", gw+"/echo", "DPoP "+otherTok, raw); status != 200 {
			t.Fatalf("%d %q", status, challenge)
		}
	})
}

// mustProver is a Prover for key, signing ES256.
func mustProver(t *testing.T, key *ecdsa.PrivateKey) *dpop.Prover {
	t.Helper()
	p, err := dpop.NewProver(key, jose.ES256)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// callOver is call with hc.
func callOver(t *testing.T, hc *http.Client, method, url, auth, proof string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	req.Header.Set("Authorization", auth)
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, strings.Join(resp.Header.Values("WWW-Authenticate"), " | ")
}

// jktOf reads a token's cnf.jkt without checking its signature.
func jktOf(t *testing.T, tok string) string {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", tok)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Cnf map[string]string `json:"cnf"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims.Cnf["jkt"]
}

// refusalLog is a log the reasons of refusals are read from.
type refusalLog interface {
	logLen() int
	waitLog(since int, subs ...string) bool
}

// memLog is a log in memory, for a handler in the test.
type memLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *memLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *memLog) logLen() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Len()
}

// waitLog: the middleware logs before it answers, so there is nothing
// to wait for.
func (l *memLog) waitLog(since int, subs ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range strings.Split(l.buf.String()[since:], "\n") {
		if containsAll(line, subs) {
			return true
		}
	}
	return false
}

// logLen is how much of its log the program has written so far.
func (p *program) logLen() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.Len()
}

// waitLog waits up to 30 seconds for a line past offset since holding all
// of subs: the program's log arrives through a pipe, after its answer.
func (p *program) waitLog(since int, subs ...string) bool {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		p.mu.Lock()
		lines := strings.Split(p.log.String()[since:], "\n")
		p.mu.Unlock()
		for _, line := range lines {
			if containsAll(line, subs) {
				return true
			}
		}
	}
	return false
}

func containsAll(s string, subs []string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
