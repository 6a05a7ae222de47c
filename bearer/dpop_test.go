package bearer_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/bearer/dpop"
)

// dpopAPI is an API behind the middleware over real HTTP, with a DPoP
// checker on the tests' clock.
type dpopAPI struct {
	srv    *httptest.Server
	key    *signingKey
	iss    *issuer
	prover *dpop.Prover
}

func newDPoPAPI(t *testing.T, checker *dpop.Checker, opts ...bearer.Option) *dpopAPI {
	t.Helper()
	key := newKey(t, jose.ES256)
	iss := newIssuer(t, key)
	c := newClock()
	if checker == nil {
		checker = &dpop.Checker{}
	}
	checker.Now = c.Now
	if checker.Replay == nil {
		checker.Replay = &dpop.Memory{Window: time.Hour, Max: 100, Now: c.Now}
	}
	opts = append([]bearer.Option{bearer.WithDPoP(checker)}, opts...)
	a := &dpopAPI{key: key, iss: iss}
	a.srv = httptest.NewServer(protected(t, newVerifier(t, iss, c), opts...))
	t.Cleanup(a.srv.Close)
	a.prover = newProver(t)
	return a
}

func newProver(t *testing.T) *dpop.Prover {
	p, err := dpop.GenerateProver()
	if err != nil {
		t.Fatal(err)
	}
	p.Now = func() time.Time { return epoch }
	return p
}

// boundToken is a token for the API bound to p's key.
func (a *dpopAPI) boundToken(t *testing.T, p *dpop.Prover, scope string) string {
	return a.key.sign(t, a.iss.claims(map[string]any{"cnf": map[string]string{"jkt": p.JKT()}, "scope": scope}))
}

type dpopCall struct {
	method, path string
	auth         string
	proofs       []string
}

func (a *dpopAPI) call(t *testing.T, c dpopCall) (*http.Response, string) {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodGet
	}
	req, _ := http.NewRequest(c.method, a.srv.URL+c.path, nil)
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	for _, p := range c.proofs {
		req.Header.Add("DPoP", p)
	}
	resp, err := a.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func proof(t *testing.T, p *dpop.Prover, method, url, token, nonce string) string {
	t.Helper()
	raw, err := p.Proof(method, url, token, nonce)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestDPoPRefusals: every way a stolen or replayed bound token might be
// used is refused with the RFC 9449 §7.1 challenge.
func TestDPoPRefusals(t *testing.T) {
	a := newDPoPAPI(t, nil)
	p := a.prover
	tok := a.boundToken(t, p, "read:cargo")
	url := a.srv.URL + "/ws/rest/Cargo"
	stale := newProver(t)
	stale.Now = func() time.Time { return epoch.Add(-5 * time.Minute) }
	thief := newProver(t)
	replayed := proof(t, p, "GET", url, tok, "")
	if resp, body := a.call(t, dpopCall{path: "/ws/rest/Cargo", auth: "DPoP " + tok, proofs: []string{replayed}}); resp.StatusCode != 200 {
		t.Fatalf("first use: %d %s", resp.StatusCode, body)
	}
	plain := a.key.sign(t, a.iss.claims(nil))
	tests := []struct {
		name      string
		call      dpopCall
		status    int
		challenge string
	}{
		{"good, query ignored", dpopCall{path: "/ws/rest/Cargo?x=1", auth: "DPoP " + tok, proofs: []string{proof(t, p, "GET", url, tok, "")}}, 200, ""},
		{"scheme in lower case", dpopCall{path: "/ws/rest/Cargo", auth: "dpop " + tok, proofs: []string{proof(t, p, "GET", url, tok, "")}}, 200, ""},
		{"bound token as Bearer", dpopCall{path: "/ws/rest/Cargo", auth: "Bearer " + tok}, 401, `DPoP error="invalid_token"`},
		{"bound token as Bearer, with a proof", dpopCall{path: "/ws/rest/Cargo", auth: "Bearer " + tok, proofs: []string{proof(t, p, "GET", url, tok, "")}}, 401, `DPoP error="invalid_token"`},
		{"missing proof", dpopCall{path: "/ws/rest/Cargo", auth: "DPoP " + tok}, 401, `DPoP error="invalid_dpop_proof"`},
		{"two proofs", dpopCall{path: "/ws/rest/Cargo", auth: "DPoP " + tok, proofs: []string{proof(t, p, "GET", url, tok, ""), proof(t, p, "GET", url, tok, "")}}, 401, `DPoP error="invalid_dpop_proof"`},
		{"other method", dpopCall{path: "/ws/rest/Cargo", auth: "DPoP " + tok, proofs: []string{proof(t, p, "POST", url, tok, "")}}, 401, `invalid_dpop_proof`},
		{"other URL", dpopCall{path: "/ws/rest/Cargo", auth: "DPoP " + tok, proofs: []string{proof(t, p, "GET", a.srv.URL+"/ws/rest/Other", tok, "")}}, 401, `invalid_dpop_proof`},
		{"replayed", dpopCall{path: "/ws/rest/Cargo", auth: "DPoP " + tok, proofs: []string{replayed}}, 401, `invalid_dpop_proof`},
		{"stale iat", dpopCall{path: "/ws/rest/Cargo", auth: "DPoP " + tok, proofs: []string{proof(t, stale, "GET", url, tok, "")}}, 401, `invalid_dpop_proof`},
		{"wrong ath", dpopCall{path: "/ws/rest/Cargo", auth: "DPoP " + tok, proofs: []string{proof(t, p, "GET", url, plain, "")}}, 401, `invalid_dpop_proof`},
		{"no ath", dpopCall{path: "/ws/rest/Cargo", auth: "DPoP " + tok, proofs: []string{proof(t, p, "GET", url, "", "")}}, 401, `invalid_dpop_proof`},
		{"wrong key", dpopCall{path: "/ws/rest/Cargo", auth: "DPoP " + tok, proofs: []string{proof(t, thief, "GET", url, tok, "")}}, 401, `invalid_dpop_proof`},
		{"unbound token with DPoP", dpopCall{path: "/ws/rest/Cargo", auth: "DPoP " + plain, proofs: []string{proof(t, p, "GET", url, plain, "")}}, 401, `DPoP error="invalid_token"`},
		{"unbound token as Bearer", dpopCall{path: "/ws/rest/Cargo", auth: "Bearer " + plain}, 200, ""},
		{"empty cnf as Bearer", dpopCall{path: "/ws/rest/Cargo", auth: "Bearer " + a.key.sign(t, a.iss.claims(map[string]any{"cnf": map[string]any{}}))}, 401, `DPoP error="invalid_token"`},
		{"certificate-bound as Bearer", dpopCall{path: "/ws/rest/Cargo", auth: "Bearer " + a.key.sign(t, a.iss.claims(map[string]any{"cnf": map[string]any{"x5t#S256": "abc"}}))}, 401, `Bearer error="invalid_token", error_description="The access token is bound to a client certificate`},
		{"no token", dpopCall{path: "/ws/rest/Cargo"}, 401, `DPoP algs="ES256`},
		{"garbage proof", dpopCall{path: "/ws/rest/Cargo", auth: "DPoP " + tok, proofs: []string{"e30.e30.e30"}}, 401, `invalid_dpop_proof`},
		{"scope missing", dpopCall{path: "/ws/rest/write/x", auth: "DPoP " + tok, proofs: []string{proof(t, p, "GET", a.srv.URL+"/ws/rest/write/x", tok, "")}}, 403, `DPoP error="insufficient_scope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := a.call(t, tt.call)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			got := strings.Join(resp.Header.Values("WWW-Authenticate"), " | ")
			if !strings.Contains(got, tt.challenge) {
				t.Fatalf("WWW-Authenticate %q lacks %q", got, tt.challenge)
			}
		})
	}
}

func TestDPoPNoTokenChallenges(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts []bearer.Option
		want []string
	}{
		{"bearer allowed", nil, []string{"Bearer", `DPoP algs="ES256 ES384 ES512 PS256 RS256 EdDSA"`}},
		{"DPoP required", []bearer.Option{bearer.WithDPoPRequired()}, []string{`DPoP algs="ES256 ES384 ES512 PS256 RS256 EdDSA"`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := newDPoPAPI(t, nil, tt.opts...)
			resp, _ := a.call(t, dpopCall{path: "/ws/rest/Cargo"})
			if got := resp.Header.Values("WWW-Authenticate"); strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("challenges %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDPoPRequiredRefusesBearer(t *testing.T) {
	a := newDPoPAPI(t, nil, bearer.WithDPoPRequired())
	resp, body := a.call(t, dpopCall{path: "/ws/rest/Cargo", auth: "Bearer " + a.key.sign(t, a.iss.claims(nil))})
	if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `DPoP error="invalid_token"`) {
		t.Fatalf("%d %v %s", resp.StatusCode, resp.Header, body)
	}
}

func TestDPoPNonceChallenge(t *testing.T) {
	nonces := &dpop.Nonces{Key: []byte("0123456789abcdef0123456789abcdef"), Now: func() time.Time { return epoch }}
	a := newDPoPAPI(t, &dpop.Checker{Nonces: nonces})
	tok := a.boundToken(t, a.prover, "read:cargo")
	url := a.srv.URL + "/ws/rest/Cargo"
	resp, _ := a.call(t, dpopCall{path: "/ws/rest/Cargo", auth: "DPoP " + tok, proofs: []string{proof(t, a.prover, "GET", url, tok, "")}})
	nonce := resp.Header.Get("DPoP-Nonce")
	if resp.StatusCode != 401 || nonce == "" || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `DPoP error="use_dpop_nonce"`) {
		t.Fatalf("without nonce: %d %v", resp.StatusCode, resp.Header)
	}
	resp, body := a.call(t, dpopCall{path: "/ws/rest/Cargo", auth: "DPoP " + tok, proofs: []string{proof(t, a.prover, "GET", url, tok, nonce)}})
	if resp.StatusCode != 200 {
		t.Fatalf("with nonce: %d %s", resp.StatusCode, body)
	}
}

func TestResourceMetadata(t *testing.T) {
	m := bearer.NewResourceMetadata("https://api.example", []string{"https://mint.example"}, true)
	srv := httptest.NewServer(m)
	defer srv.Close()
	resp, err := http.Get(srv.URL + bearer.ProtectedResourcePath)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`"resource":"https://api.example"`, `"authorization_servers":["https://mint.example"]`,
		`"bearer_methods_supported":["header"]`, `"dpop_bound_access_tokens_required":true`, `"dpop_signing_alg_values_supported":["ES256"`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metadata %s lacks %s", body, want)
		}
	}
	resp, _ = http.Post(srv.URL+bearer.ProtectedResourcePath, "text/plain", nil)
	if resp.StatusCode != 405 {
		t.Errorf("POST: %d", resp.StatusCode)
	}
}
