package server_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/server"
	"github.com/mintauth/mint/internal/testdb"
)

// testCA is a CA made for one test, whose certificates tls_client_auth
// accepts when its PEM is the server's TLSClientCAFile.
type testCA struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func newTestCA(t *testing.T) testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mint test client CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return testCA{cert, key}
}

// issue makes a client certificate for subject with the SANs of tmpl,
// signed by ca, or self-signed when ca is nil.
func (ca *testCA) issue(t *testing.T, tmpl x509.Certificate) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	parent, signer := &tmpl, crypto.Signer(key)
	if ca != nil {
		parent, signer = ca.cert, ca.key
	}
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, parent, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// startMint serves srv on a fresh 127.0.0.1 listener until the test ends.
func startMint(t *testing.T, srv *server.Server, ln net.Listener) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, context.Canceled) {
			t.Errorf("Serve: %v", err)
		}
	})
}

func listen(t *testing.T) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// httpsClient connects with cert (nil: none), trusting any server
// certificate: the test's own.
func httpsClient(cert *tls.Certificate) *http.Client {
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	if cert != nil {
		tr.TLSClientConfig.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

type tlsTokenReply struct {
	status int
	body   map[string]any
}

// askTLSToken posts a client_credentials request naming clientID and no
// secret, with header set.
func askTLSToken(t *testing.T, hc *http.Client, tokenURL, clientID string, header http.Header) tlsTokenReply {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "audience": {limitsAPI.Audience}}
	req, _ := http.NewRequest("POST", tokenURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("status %d, body %q", resp.StatusCode, raw)
	}
	return tlsTokenReply{resp.StatusCode, body}
}

func thumbprint(c tls.Certificate) string {
	sum := sha256.Sum256(c.Leaf.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// registerTLS gives a new client of store the registration reg, and jwks.
func registerTLS(t *testing.T, s mint.Store, reg mint.TLSAuth, jwks []byte) string {
	t.Helper()
	c := setUpLimits(t, s, nil, nil)
	if _, err := s.UpdateClient(context.Background(), c.id, func(cl mint.Client) (mint.Client, error) {
		cl.TLSAuth, cl.JWKS = reg, jwks
		return cl, nil
	}); err != nil {
		t.Fatal(err)
	}
	return c.id
}

func jwksOf(t *testing.T, certs ...tls.Certificate) []byte {
	t.Helper()
	var set jose.JSONWebKeySet
	for i, c := range certs {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: c.Leaf.PublicKey, KeyID: fmt.Sprint("k", i), Algorithm: "ES256", Use: "sig"})
	}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTLSClientAuth: over real TLS on 127.0.0.1, on both backends, a
// client authenticates at the token endpoint with its certificate and no
// secret (RFC 8705 §2) and gets a token bound to that certificate, with
// the server asking for certificates only because a client CA is set
// (TLSClientCerts off); every other certificate, or none, is
// invalid_client; the middleware refuses the token over a connection
// with another certificate.
func TestTLSClientAuth(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) { testTLSClientAuth(t, backend) })
	}
}

func testTLSClientAuth(t *testing.T, backend string) {
	dir := t.TempDir()
	certFile, keyFile, caFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "ca.pem")
	writePEM(t, certFile, keyFile, newCert(t, "127.0.0.1", x509.ExtKeyUsageServerAuth))
	ca, rogue := newTestCA(t), newTestCA(t)
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	ln := listen(t)
	issuer := "https://" + ln.Addr().String()
	srv := newServer(t, server.Config{DB: testdb.New(t, backend), MasterKey: keyring.NewMasterKey(), Issuer: issuer,
		HTTP: server.HTTPConfig{TLSCertFile: certFile, TLSKeyFile: keyFile, TLSClientCAFile: caFile}})
	startMint(t, srv, ln)
	tokenURL := issuer + "/oauth/token"

	cargoName := pkix.Name{CommonName: "cargo", Organization: []string{"Example, Inc."}, Country: []string{"DE"}}
	cargo := ca.issue(t, x509.Certificate{Subject: cargoName})
	dnClient := registerTLS(t, srv.Store(), mint.TLSAuth{Kind: mint.TLSAuthSubjectDN, Value: `cn=cargo, o=Example\, Inc.,C=DE`}, nil)
	sanCert := ca.issue(t, x509.Certificate{Subject: pkix.Name{CommonName: "whatever"}, DNSNames: []string{"a.example", "Cargo.Example"}})
	sanClient := registerTLS(t, srv.Store(), mint.TLSAuth{Kind: mint.TLSAuthSANDNS, Value: "cargo.example"}, nil)
	ipCert := ca.issue(t, x509.Certificate{Subject: pkix.Name{CommonName: "ip"}, IPAddresses: []net.IP{net.ParseIP("2001:db8::7")}})
	ipClient := registerTLS(t, srv.Store(), mint.TLSAuth{Kind: mint.TLSAuthSANIP, Value: "2001:db8:0::7"}, nil)
	self := (*testCA)(nil).issue(t, x509.Certificate{Subject: pkix.Name{CommonName: "self"}})
	selfOther := (*testCA)(nil).issue(t, x509.Certificate{Subject: pkix.Name{CommonName: "self"}})
	selfClient := registerTLS(t, srv.Store(), mint.TLSAuth{Kind: mint.TLSAuthSelfSigned}, jwksOf(t, newCert(t, "unrelated", x509.ExtKeyUsageClientAuth), self))
	plainClient := setUpLimits(t, srv.Store(), nil, nil).id // registered nothing

	for _, tt := range []struct {
		name     string
		clientID string
		cert     *tls.Certificate
		ok       bool
	}{
		{"subject DN match", dnClient, &cargo, true},
		{"SAN dNSName match, case ignored", sanClient, &sanCert, true},
		{"SAN iPAddress match", ipClient, &ipCert, true},
		{"self-signed, key registered", selfClient, &self, true},
		{"wrong DN", dnClient, &sanCert, false},
		{"right DN from another CA", dnClient, certPtr(rogue.issue(t, x509.Certificate{Subject: cargoName})), false},
		{"right DN, self-signed", dnClient, certPtr((*testCA)(nil).issue(t, x509.Certificate{Subject: cargoName})), false},
		{"SAN absent", sanClient, &cargo, false},
		{"no certificate", dnClient, nil, false},
		{"self-signed, key not registered", selfClient, &selfOther, false},
		{"CA certificate to a self-signed client", selfClient, &cargo, false},
		{"client registered no TLS auth", plainClient, &cargo, false},
		{"unknown client", "cli_nobody", &cargo, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := askTLSToken(t, httpsClient(tt.cert), tokenURL, tt.clientID, nil)
			if !tt.ok {
				if got.status != 401 || got.body["error"] != "invalid_client" {
					t.Fatalf("%d %v, want 401 invalid_client", got.status, got.body)
				}
				return
			}
			if got.status != 200 || got.body["token_type"] != "Bearer" {
				t.Fatalf("%d %v", got.status, got.body)
			}
			if x5t := cnfOf(t, got.body["access_token"].(string))["x5t#S256"]; x5t != thumbprint(*tt.cert) {
				t.Fatalf("cnf.x5t#S256 %v, want the certificate's %s", x5t, thumbprint(*tt.cert))
			}
		})
	}

	// A TLS-authenticated client gets no DPoP-bound token instead.
	got := askTLSToken(t, httpsClient(&cargo), tokenURL, dnClient, http.Header{"Dpop": {"x.y.z"}})
	if got.status != 400 || got.body["error"] != "invalid_request" {
		t.Errorf("with a DPoP proof: %d %v", got.status, got.body)
	}

	// Discovery.
	resp, err := httpsClient(nil).Get(issuer + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	var md struct {
		Methods []string          `json:"token_endpoint_auth_methods_supported"`
		Aliases map[string]string `json:"mtls_endpoint_aliases"`
		Bound   bool              `json:"tls_client_certificate_bound_access_tokens"`
	}
	decodeMTLSJSON(t, resp, &md)
	if !md.Bound || md.Aliases["token_endpoint"] != tokenURL || !strings.Contains(strings.Join(md.Methods, " "), "self_signed_tls_client_auth") {
		t.Errorf("discovery: %+v", md)
	}

	// The bound token at the middleware.
	tok := askTLSToken(t, httpsClient(&cargo), tokenURL, dnClient, nil).body["access_token"].(string)
	v := &bearer.Verifier{Issuer: issuer, Audiences: []string{limitsAPI.Audience}, Keys: srv.Keys()}
	api := httptest.NewUnstartedServer(bearer.Middleware(v)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	api.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	api.StartTLS()
	defer api.Close()
	for _, tt := range []struct {
		name   string
		cert   *tls.Certificate
		status int
	}{{"its certificate", &cargo, 200}, {"another certificate with the same DN", certPtr(ca.issue(t, x509.Certificate{Subject: cargoName})), 401}, {"no certificate", nil, 401}} {
		req, _ := http.NewRequest("GET", api.URL+"/x", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := httpsClient(tt.cert).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s: %d, want %d", tt.name, resp.StatusCode, tt.status)
		}
	}
}

// TestTLSClientAuthBehindProxy: mint on plain HTTP behind a TLS-terminating
// proxy takes the client certificate from the configured header when the
// TCP peer is a trusted proxy, and ignores the header from any other
// peer, whatever X-Forwarded-For claims.
func TestTLSClientAuthBehindProxy(t *testing.T) {
	ca := newTestCA(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert := ca.issue(t, x509.Certificate{Subject: pkix.Name{CommonName: "cargo"}})
	header := http.Header{"Client-Cert": {":" + base64.StdEncoding.EncodeToString(cert.Leaf.Raw) + ":"}}
	for _, tt := range []struct {
		name    string
		proxies []netip.Prefix
		xff     string
		ok      bool
	}{
		{"from the trusted proxy", []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, "", true},
		{"from the trusted proxy, for a client elsewhere", []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, "203.0.113.9", true},
		{"forged, from an untrusted peer", []netip.Prefix{netip.MustParsePrefix("192.0.2.1/32")}, "", false},
		{"forged, from an untrusted peer naming the proxy", []netip.Prefix{netip.MustParsePrefix("192.0.2.1/32")}, "192.0.2.1", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ln := listen(t)
			issuer := "http://" + ln.Addr().String()
			srv := newServer(t, server.Config{DB: testdb.New(t, "sqlite"), MasterKey: keyring.NewMasterKey(), Issuer: issuer,
				HTTP: server.HTTPConfig{TLSClientCAFile: caFile, ClientCertHeader: "Client-Cert", TrustedProxies: tt.proxies}})
			startMint(t, srv, ln)
			id := registerTLS(t, srv.Store(), mint.TLSAuth{Kind: mint.TLSAuthSubjectDN, Value: "CN=cargo"}, nil)
			h := header.Clone()
			if tt.xff != "" {
				h.Set("X-Forwarded-For", tt.xff)
			}
			got := askTLSToken(t, &http.Client{Timeout: 30 * time.Second}, issuer+"/oauth/token", id, h)
			switch {
			case tt.ok && (got.status != 200 || cnfOf(t, got.body["access_token"].(string))["x5t#S256"] != thumbprint(cert)):
				t.Fatalf("%d %v", got.status, got.body)
			case !tt.ok && (got.status != 401 || got.body["error"] != "invalid_client"):
				t.Fatalf("%d %v, want 401 invalid_client", got.status, got.body)
			}
		})
	}
}

func certPtr(c tls.Certificate) *tls.Certificate { return &c }
