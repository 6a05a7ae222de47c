package server_test

import (
	"context"
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
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/client"
	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/server"
	"github.com/mintauth/mint/internal/testdb"
)

// TestCertificateBoundLoop: mint serving TLS with TLSClientCerts binds the
// token of a client that presents a certificate to it (cnf.x5t#S256,
// token_type Bearer, RFC 8705 §3), says so in discovery and
// introspection; the middleware takes the token over a connection with
// that certificate and refuses it over one with another.
func TestCertificateBoundLoop(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	serverCert := newCert(t, "127.0.0.1", x509.ExtKeyUsageServerAuth)
	writePEM(t, certFile, keyFile, serverCert)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "https://" + ln.Addr().String()
	srv := newServer(t, server.Config{DB: testdb.New(t, "sqlite"), MasterKey: keyring.NewMasterKey(), Issuer: issuer,
		HTTP: server.HTTPConfig{TLSCertFile: certFile, TLSKeyFile: keyFile, TLSClientCerts: true}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, context.Canceled) {
			t.Errorf("Serve: %v", err)
		}
	})
	c := setUpLimits(t, srv.Store(), nil, nil)
	mine, other := newCert(t, "partner", x509.ExtKeyUsageClientAuth), newCert(t, "thief", x509.ExtKeyUsageClientAuth)
	withCert := func(cert *tls.Certificate) *http.Client {
		tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} // the test's own server certificate
		if cert != nil {
			tr.TLSClientConfig.Certificates = []tls.Certificate{*cert}
		}
		return &http.Client{Transport: tr, Timeout: 30 * time.Second}
	}
	cfg := &client.Config{TokenURL: issuer + "/oauth/token", ClientID: c.id, ClientSecret: c.secret,
		Audience: limitsAPI.Audience, HTTPClient: withCert(&mine)}
	tok, err := cfg.TokenSource(context.Background()).Token()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(mine.Leaf.Raw)
	if x5t := cnfOf(t, tok.AccessToken)["x5t#S256"]; tok.Type() != "Bearer" || x5t != base64.RawURLEncoding.EncodeToString(sum[:]) {
		t.Fatalf("token_type %q, cnf.x5t#S256 %q", tok.Type(), x5t)
	}
	// Without a certificate the same client gets a bearer token.
	plain, err := (&client.Config{TokenURL: cfg.TokenURL, ClientID: c.id, ClientSecret: c.secret,
		Audience: limitsAPI.Audience, HTTPClient: withCert(nil)}).TokenSource(context.Background()).Token()
	if err != nil || cnfOf(t, plain.AccessToken) != nil {
		t.Fatalf("without a certificate: %v, cnf %v", err, cnfOf(t, plain.AccessToken))
	}
	// With the client's policy at mtls, no certificate is no token.
	if _, err := srv.Store().UpdateClient(context.Background(), c.id, func(cl mint.Client) (mint.Client, error) {
		cl.TokenBinding = mint.BindingMTLS
		return cl, nil
	}); err != nil {
		t.Fatal(err)
	}
	_, err = (&client.Config{TokenURL: cfg.TokenURL, ClientID: c.id, ClientSecret: c.secret,
		Audience: limitsAPI.Audience, HTTPClient: withCert(nil)}).TokenSource(context.Background()).Token()
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Code != "invalid_request" || !strings.Contains(ce.Description, "TLS client certificate") {
		t.Fatalf("mtls policy without a certificate: %v", err)
	}
	if again, err := cfg.TokenSource(context.Background()).Token(); err != nil || cnfOf(t, again.AccessToken)["x5t#S256"] == nil {
		t.Fatalf("mtls policy with a certificate: %v", err)
	}
	resp, err := withCert(nil).Get(issuer + "/.well-known/oauth-authorization-server")
	if err != nil {
		t.Fatal(err)
	}
	var md map[string]any
	decodeMTLSJSON(t, resp, &md)
	if md["tls_client_certificate_bound_access_tokens"] != true {
		t.Errorf("discovery: %v", md["tls_client_certificate_bound_access_tokens"])
	}

	v := &bearer.Verifier{Issuer: issuer, Audiences: []string{limitsAPI.Audience}, Keys: srv.Keys()}
	api := httptest.NewUnstartedServer(bearer.Middleware(v)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	api.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	api.StartTLS()
	defer api.Close()
	for _, tt := range []struct {
		name   string
		cert   *tls.Certificate
		status int
	}{{"its certificate", &mine, 200}, {"another certificate", &other, 401}, {"no certificate", nil, 401}} {
		req, _ := http.NewRequest("GET", api.URL+"/x", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := withCert(tt.cert).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s: %d, want %d (%s)", tt.name, resp.StatusCode, tt.status, resp.Header.Get("WWW-Authenticate"))
		}
	}
}

func cnfOf(t *testing.T, raw string) map[string]any {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.EdDSA})
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Cnf map[string]any `json:"cnf"`
	}
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
		t.Fatal(err)
	}
	return c.Cnf
}

func decodeMTLSJSON(t *testing.T, resp *http.Response, into any) {
	t.Helper()
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		t.Fatal(err)
	}
}

func newCert(t *testing.T, name string, usage x509.ExtKeyUsage) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{usage},
		KeyUsage: x509.KeyUsageDigitalSignature}
	if ip := net.ParseIP(name); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func writePEM(t *testing.T, certFile, keyFile string, c tls.Certificate) {
	t.Helper()
	keyDER, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
}
