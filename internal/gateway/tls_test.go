package gateway_test

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
	"encoding/pem"
	"flag"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mintauth/mint/internal/gateway"
)

// TestGatewayTLSCertificateBound: `mint gateway --tls-cert --tls-key`
// serves HTTPS over 127.0.0.1 and asks for client certificates; a token
// bound to one (cnf.x5t#S256) passes over a connection that presented it,
// and is refused (401, before the upstream) over one with another
// certificate or none, and with --tls-client-certs=false, when the
// gateway does not ask. A plain bearer token passes either way.
func TestGatewayTLSCertificateBound(t *testing.T) {
	iss := newIssuer(t)
	up, hits := headerEcho(t)
	certFile, keyFile := writeServerCert(t)
	mine, other := tlsClientCert(t), tlsClientCert(t)
	bound := certBoundToken(t, iss, mine.Leaf)
	plain := iss.token(t, "")
	for _, tt := range []struct {
		name   string
		noAsk  bool
		cert   *tls.Certificate
		token  string
		status int
	}{
		{"its certificate", false, &mine, bound, 200},
		{"another certificate", false, &other, bound, 401},
		{"no certificate", false, nil, bound, 401},
		{"a bearer token, no certificate", false, nil, plain, 200},
		{"its certificate, but the gateway does not ask", true, &mine, bound, 401},
		{"a bearer token, the gateway does not ask", true, &mine, plain, 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base := serveTLSGateway(t, &gateway.Options{Upstream: up.URL, Issuer: iss.srv.URL, Audience: audience, AllowUnmatched: true,
				TLS: gateway.TLSConfig{CertFile: certFile, KeyFile: keyFile, NoClientCerts: tt.noAsk}})
			req, _ := http.NewRequest("GET", base+"/x", nil)
			req.Header.Set("Authorization", "Bearer "+tt.token)
			before := *hits
			resp, err := tlsClient(tt.cert).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (WWW-Authenticate %q)", resp.StatusCode, tt.status, resp.Header.Get("WWW-Authenticate"))
			}
			if tt.status != 200 && *hits != before {
				t.Error("a refused request reached the upstream")
			}
		})
	}
}

// TestGatewayTLSFlags: the TLS flags and their environment.
func TestGatewayTLSFlags(t *testing.T) {
	for _, tt := range []struct {
		name    string
		env     map[string]string
		args    []string
		want    gateway.TLSConfig
		wantErr string
	}{
		{"none", nil, nil, gateway.TLSConfig{}, ""},
		{"flags", nil, []string{"--tls-cert", "c.pem", "--tls-key", "k.pem"}, gateway.TLSConfig{CertFile: "c.pem", KeyFile: "k.pem"}, ""},
		{"environment", map[string]string{"MINT_GATEWAY_TLS_CERT": "c.pem", "MINT_GATEWAY_TLS_KEY": "k.pem", "MINT_GATEWAY_TLS_CLIENT_CERTS": "false"},
			nil, gateway.TLSConfig{CertFile: "c.pem", KeyFile: "k.pem", NoClientCerts: true}, ""},
		{"flag over environment", map[string]string{"MINT_GATEWAY_TLS_CLIENT_CERTS": "false"}, []string{"--tls-client-certs"}, gateway.TLSConfig{}, ""},
		{"half a pair", nil, []string{"--tls-cert", "c.pem"}, gateway.TLSConfig{CertFile: "c.pem"}, "--tls-key"},
		{"bad environment", map[string]string{"MINT_GATEWAY_TLS_CLIENT_CERTS": "maybe"}, nil, gateway.TLSConfig{}, "MINT_GATEWAY_TLS_CLIENT_CERTS"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("gw", flag.ContinueOnError)
			env := map[string]string{"MINT_ISSUER": "https://mint.example"}
			for k, v := range tt.env {
				env[k] = v
			}
			o := gateway.FromFlags(fs, func(k string) string { return env[k] })
			if err := fs.Parse(append([]string{"--upstream", "http://127.0.0.1:1", "--audience", audience}, tt.args...)); err != nil {
				t.Fatal(err)
			}
			if o.TLS != tt.want {
				t.Errorf("TLS %+v, want %+v", o.TLS, tt.want)
			}
			if tt.wantErr == "" {
				return
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			// Refused by the checks, before anything is fetched or served.
			err = gateway.Serve(t.Context(), ln, o)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Serve: %v, want an error naming %s", err, tt.wantErr)
			}
		})
	}
}

// serveTLSGateway runs gateway.Serve on 127.0.0.1 until the test ends and
// returns its https base URL.
func serveTLSGateway(t *testing.T, o *gateway.Options) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- gateway.Serve(ctx, ln, o) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("Serve did not stop")
		}
	})
	return "https://" + ln.Addr().String()
}

// certBoundToken is a token of iss bound to cert (RFC 8705 §3.1).
func certBoundToken(t testing.TB, iss *issuer, cert *x509.Certificate) string {
	t.Helper()
	sum := sha256.Sum256(cert.Raw)
	raw, err := jwt.Signed(iss.signer).Claims(map[string]any{
		"iss": iss.srv.URL, "sub": "cargo-client", "aud": audience, "client_id": "cargo-client",
		"scope": "read:cargo", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
		"cnf": map[string]string{"x5t#S256": base64.RawURLEncoding.EncodeToString(sum[:])},
	}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// tlsClient presents cert (nil: none) and trusts any server certificate:
// the test's own.
func tlsClient(cert *tls.Certificate) *http.Client {
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	if cert != nil {
		tr.TLSClientConfig.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

func tlsClientCert(t testing.TB) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "partner"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// writeServerCert writes a self-signed 127.0.0.1 certificate and its key.
func writeServerCert(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	c := tlsClientCert(t)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
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
	return certFile, keyFile
}
