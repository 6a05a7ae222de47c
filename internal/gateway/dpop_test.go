package gateway_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/bearer/dpop"
	"github.com/mintauth/mint/internal/gateway"
)

// boundToken is a token of iss bound to p's key.
func (iss *issuer) boundToken(t *testing.T, p *dpop.Prover) string {
	t.Helper()
	raw, err := jwt.Signed(iss.signer).Claims(map[string]any{
		"iss": iss.srv.URL, "sub": "cargo-client", "aud": audience, "client_id": "cargo-client",
		"scope": "read:cargo", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
		"cnf": map[string]string{"jkt": p.JKT()},
	}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestDPoPPublicOrigin: behind a proxy that terminates TLS, proofs name
// the public https URL; with PublicOrigin the gateway compares htu with
// it, not with the loopback address it sees, and a proof naming the
// loopback address is then refused.
func TestDPoPPublicOrigin(t *testing.T) {
	iss := newIssuer(t)
	up, hits := headerEcho(t)
	gw := startGatewayWith(t, iss, gateway.Config{DPoP: gateway.DPoPConfig{PublicOrigin: "https://api.example.com"}}, up.URL, "/")
	p, err := dpop.GenerateProver()
	if err != nil {
		t.Fatal(err)
	}
	tok := iss.boundToken(t, p)
	for _, tt := range []struct {
		htu    string
		status int
	}{
		{"https://api.example.com/ws/rest/Cargo", 200},
		{"HTTPS://API.EXAMPLE.COM:443/ws/rest/Cargo", 200},
		{gw.URL + "/ws/rest/Cargo", 401},
		{"https://api.example.com/ws/rest/Other", 401},
	} {
		proof, err := p.Proof("GET", tt.htu, tok, "")
		if err != nil {
			t.Fatal(err)
		}
		resp, body := do(t, "GET", gw.URL+"/ws/rest/Cargo?x=1", map[string][]string{"Authorization": {"DPoP " + tok}, "Dpop": {proof}})
		if resp.StatusCode != tt.status {
			t.Errorf("htu %s: %d %s, want %d", tt.htu, resp.StatusCode, body, tt.status)
		}
	}
	if *hits != 2 {
		t.Errorf("upstream hits %d, want 2", *hits)
	}
}

// TestDPoPMetadataServedWithoutToken: the RFC 9728 document is public;
// other methods at its path go through the rules like any request.
func TestDPoPMetadataServedWithoutToken(t *testing.T) {
	iss := newIssuer(t)
	up, hits := headerEcho(t)
	m := bearer.NewResourceMetadata(audience, []string{iss.srv.URL}, false)
	gw := startGatewayWith(t, iss, gateway.Config{DPoP: gateway.DPoPConfig{Metadata: &m}}, up.URL, "/")
	resp, body := do(t, "GET", gw.URL+bearer.ProtectedResourcePath, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `"resource":"`+audience+`"`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	resp, _ = do(t, "POST", gw.URL+bearer.ProtectedResourcePath, nil)
	if resp.StatusCode != 401 || *hits != 0 {
		t.Fatalf("POST without token: %d, upstream hits %d", resp.StatusCode, *hits)
	}
}

// TestCertificateBoundBehindProxy: a certificate-bound token (RFC 8705)
// passes with the certificate in the proxy's header from the trusted
// address, and is refused when the same header comes from anywhere else,
// or when it names another certificate.
func TestCertificateBoundBehindProxy(t *testing.T) {
	iss := newIssuer(t)
	up, hits := headerEcho(t)
	mine, other := clientCert(t), clientCert(t)
	sum := sha256.Sum256(mine.Raw)
	raw, err := jwt.Signed(iss.signer).Claims(map[string]any{
		"iss": iss.srv.URL, "sub": "cargo-client", "aud": audience, "client_id": "cargo-client",
		"scope": "read:cargo", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
		"cnf": map[string]string{"x5t#S256": base64.RawURLEncoding.EncodeToString(sum[:])},
	}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	header := func(c *x509.Certificate) string { return ":" + base64.StdEncoding.EncodeToString(c.Raw) + ":" }
	for _, tt := range []struct {
		name    string
		proxies []netip.Prefix
		cert    *x509.Certificate
		status  int
	}{
		{"trusted proxy, its certificate", []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, mine, 200},
		{"trusted proxy, another certificate", []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, other, 401},
		{"forged header from an untrusted address", []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}, mine, 401},
		{"no proxy configured", nil, mine, 401},
	} {
		t.Run(tt.name, func(t *testing.T) {
			gw := startGatewayWith(t, iss, gateway.Config{DPoP: gateway.DPoPConfig{CertHeader: "Client-Cert", CertProxies: tt.proxies}}, up.URL, "/")
			resp, body := do(t, "GET", gw.URL+"/x", map[string][]string{"Authorization": {"Bearer " + raw}, "Client-Cert": {header(tt.cert)}})
			if resp.StatusCode != tt.status {
				t.Fatalf("%d %s, want %d", resp.StatusCode, body, tt.status)
			}
		})
	}
	if *hits != 1 {
		t.Errorf("upstream hits %d, want 1", *hits)
	}
}

func clientCert(t *testing.T) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "partner"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// TestDPoPFloodOneClient: issue 19 at the gateway. One client sends fresh
// proofs past its share of the replay memory and gets 429 with
// Retry-After; another client's requests still reach the upstream.
func TestDPoPFloodOneClient(t *testing.T) {
	iss := newIssuer(t)
	up, hits := headerEcho(t)
	gw := startGatewayWith(t, iss, gateway.Config{DPoP: gateway.DPoPConfig{ReplayMemory: 100, ReplayShare: 5}}, up.URL, "/")
	call := func(p *dpop.Prover, tok string) (int, string) {
		proof, err := p.Proof("GET", gw.URL+"/ws/rest/Cargo", tok, "")
		if err != nil {
			t.Fatal(err)
		}
		resp, _ := do(t, "GET", gw.URL+"/ws/rest/Cargo", map[string][]string{"Authorization": {"DPoP " + tok}, "Dpop": {proof}})
		return resp.StatusCode, resp.Header.Get("Retry-After")
	}
	flooder, err := dpop.GenerateProver()
	if err != nil {
		t.Fatal(err)
	}
	tok := iss.boundToken(t, flooder)
	counts := map[int]int{}
	for range 30 {
		status, retry := call(flooder, tok)
		counts[status]++
		if status == 429 && retry == "" {
			t.Fatal("429 without Retry-After")
		}
	}
	if counts[200] != 5 || counts[429] != 25 {
		t.Fatalf("flooder's answers %v, want 5 × 200 and 25 × 429", counts)
	}
	other, err := dpop.GenerateProver()
	if err != nil {
		t.Fatal(err)
	}
	otherTok, err := jwt.Signed(iss.signer).Claims(map[string]any{
		"iss": iss.srv.URL, "sub": "billing-client", "aud": audience, "client_id": "billing-client",
		"scope": "read:cargo", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
		"cnf": map[string]string{"jkt": other.JKT()},
	}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if status, _ := call(other, otherTok); status != 200 {
			t.Fatalf("other client's request %d under the flood: %d", i, status)
		}
	}
	if *hits != 10 {
		t.Errorf("upstream hits %d, want 10", *hits)
	}
}
