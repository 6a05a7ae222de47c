package e2e_test

import (
	"bufio"
	"bytes"
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
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/client"
	"github.com/mintauth/mint/examples/cargo-api/cargo"
	"github.com/mintauth/mint/internal/mint"
)

// TestMTLSFullLoop is RFC 8705 end to end over real TLS on 127.0.0.1, with
// the real binaries: `mint serve` with TLS, a client CA and an mTLS
// listener of its own; `mint gateway` serving TLS and asking for client
// certificates; the example cargo API behind the Go middleware, serving
// TLS; the partner is the Go SDK (Config.Certificate, no secret:
// tls_client_auth), and then the example cargo-client program. The token
// is bound to the partner's certificate (cnf.x5t#S256). Then, as an
// attacker holding the token, every way of using it without the
// certificate's key is refused before the upstream: another certificate
// of the same CA, none, the DPoP scheme, an API over plain HTTP, and a
// forged client-certificate header from an address that is not the
// trusted proxy, at the gateway and at mint's token endpoint.
func TestMTLSFullLoop(t *testing.T) {
	bin := buildPrograms(t)
	pki := newPKI(t)
	dir := t.TempDir()
	serverCert, serverKey, caFile := pki.writeServer(t, dir), filepath.Join(dir, "server.key"), filepath.Join(dir, "ca.pem")
	writeFile(t, caFile, pemCert(pki.ca.cert))

	// mint serve: TLS on its main listener (which never asks for a
	// certificate), tls_client_auth's CA, an mTLS listener; a client
	// certificate header believed only from 192.0.2.1, which no test
	// request comes from.
	mintProc := startProgram(t, filepath.Join(bin, "mint"), []string{
		"MINT_BOOTSTRAP_CLIENT_ID=" + adminID, "MINT_BOOTSTRAP_CLIENT_SECRET=" + adminSecret,
	}, "mint serving", "serve", "--addr", "127.0.0.1:0", "--metrics-addr", "off", "--log-format", "json",
		"--db", filepath.Join(dir, "mint.db"), "--tls-cert", serverCert, "--tls-key", serverKey,
		"--tls-client-ca", caFile, "--mtls-addr", "127.0.0.1:0",
		"--client-cert-header", "Client-Cert", "--trusted-proxy", "192.0.2.1")
	issuer := "https://" + mintProc.addr("mint serving")
	mtlsBase := "https://" + mintProc.addr("mTLS listener serving")
	trust := x509.NewCertPool()
	trust.AddCert(pki.server.Leaf)
	trusting := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: trust}}
	hc := &http.Client{Transport: trusting, Timeout: 30 * time.Second}

	// The partner, registered by its certificate's subject DN.
	m := &mintServer{URL: issuer}
	m.adminToken = m.token(t, client.Config{ClientID: adminID, ClientSecret: adminSecret, Audience: mint.AdminAudience, HTTPClient: hc})
	m.createAPIOver(t, hc, "Dataloy", prodAudience, 3600, "read:cargo")
	partnerID := m.createTLSClient(t, hc, "cargo partner", "CN=cargo partner,O=Example", grant{prodAudience, []string{"read:cargo"}})

	// Discovery names the mTLS listener; the SDK is pointed at it.
	var md struct {
		Aliases map[string]string `json:"mtls_endpoint_aliases"`
	}
	getJSON(t, hc, issuer+"/.well-known/oauth-authorization-server", &md)
	if md.Aliases["token_endpoint"] != mtlsBase+"/oauth/token" {
		t.Fatalf("mtls_endpoint_aliases %v, want the mTLS listener %s", md.Aliases, mtlsBase)
	}

	// The gateway (TLS, asking for certificates), in front of an upstream
	// that echoes what it got; it trusts mint's certificate to fetch the
	// JWKS through SSL_CERT_FILE.
	upstream, hits := plainUpstream(t)
	gwEnv := []string{"MINT_ISSUER=" + issuer, "SSL_CERT_FILE=" + serverCert}
	gwProc := startProgram(t, filepath.Join(bin, "mint"), gwEnv, "mint gateway serving",
		"gateway", "--listen", "127.0.0.1:0", "--log-format", "json", "--upstream", upstream.URL, "--audience", prodAudience,
		"--rule", "GET / read:cargo", "--tls-cert", serverCert, "--tls-key", serverKey)
	gw := "https://" + gwProc.addr("mint gateway serving")
	// The same behind a TLS-terminating "proxy" that only 192.0.2.1 is
	// trusted to be, and one that trusts 127.0.0.1 (the control).
	gwForged := "http://" + startProgram(t, filepath.Join(bin, "mint"), gwEnv, "mint gateway serving",
		"gateway", "--listen", "127.0.0.1:0", "--log-format", "json", "--upstream", upstream.URL, "--audience", prodAudience,
		"--rule", "GET / read:cargo", "--client-cert-header", "Client-Cert", "--client-cert-proxy", "192.0.2.1").addr("mint gateway serving")
	gwProxied := "http://" + startProgram(t, filepath.Join(bin, "mint"), gwEnv, "mint gateway serving",
		"gateway", "--listen", "127.0.0.1:0", "--log-format", "json", "--upstream", upstream.URL, "--audience", prodAudience,
		"--rule", "GET / read:cargo", "--client-cert-header", "Client-Cert", "--client-cert-proxy", "127.0.0.1").addr("mint gateway serving")

	// The example API behind the Go middleware, over TLS asking for
	// certificates, and the same API over plain HTTP.
	keys, err := bearer.NewJWKS(context.Background(), bearer.JWKSConfig{Issuer: issuer, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	cargoHandler := cargo.Handler(cargo.Config{Issuer: issuer, Audience: prodAudience, Keys: keys})
	api := httptest.NewUnstartedServer(cargoHandler)
	api.TLS = &tls.Config{ClientAuth: tls.RequestClientCert, Certificates: []tls.Certificate{pki.server}}
	api.StartTLS()
	t.Cleanup(api.Close)
	plainAPI := httptest.NewServer(cargoHandler)
	t.Cleanup(plainAPI.Close)

	partner := client.Config{TokenURL: md.Aliases["token_endpoint"], ClientID: partnerID, Audience: prodAudience,
		Certificate: &pki.partner, HTTPClient: &http.Client{Transport: trusting.Clone(), Timeout: 30 * time.Second}}
	ctx := context.Background()
	sdk := partner.Client(ctx)
	var tok string
	t.Run("SDK through the gateway", func(t *testing.T) {
		resp, err := sdk.Get(gw + "/echo")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var seen http.Header
		if err := json.NewDecoder(resp.Body).Decode(&seen); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s, %v", resp.Status, err)
		}
		if seen.Get("X-Mint-Client-Id") != partnerID || !strings.HasPrefix(seen.Get("Authorization"), "Bearer ") {
			t.Fatalf("upstream saw %v", seen)
		}
		tok = strings.TrimPrefix(seen.Get("Authorization"), "Bearer ")
	})
	if tok == "" {
		t.FailNow()
	}
	if got := x5tOf(t, tok); got != thumbprintOf(pki.partner.Leaf) {
		t.Fatalf("cnf.x5t#S256 %q, want the partner certificate's %q", got, thumbprintOf(pki.partner.Leaf))
	}
	t.Run("SDK to the example API (Go middleware over TLS)", func(t *testing.T) {
		if rows := getRows(t, sdk, api.URL+seedQuery); len(rows) == 0 {
			t.Fatal("no rows")
		}
	})
	t.Run("introspection with the certificate at the mTLS listener", func(t *testing.T) {
		var ans struct {
			Active bool              `json:"active"`
			Cnf    map[string]string `json:"cnf"`
		}
		status := postFormJSON(t, withCert(trusting, &pki.partner), md.Aliases["introspection_endpoint"],
			url.Values{"client_id": {partnerID}, "token": {tok}}, &ans)
		if status != 200 || !ans.Active || ans.Cnf["x5t#S256"] != thumbprintOf(pki.partner.Leaf) {
			t.Fatalf("%d %+v", status, ans)
		}
	})

	before := hits.Load()
	partnerHeader := ":" + base64.StdEncoding.EncodeToString(pki.partner.Leaf.Raw) + ":"
	for _, tt := range []struct {
		name, url, scheme string
		cert              *tls.Certificate
		header            string
	}{
		{"gateway: another certificate of the same CA", gw + "/echo", "Bearer", &pki.thief, ""},
		{"gateway: no certificate", gw + "/echo", "Bearer", nil, ""},
		{"gateway: the token under the DPoP scheme", gw + "/echo", "DPoP", &pki.partner, ""},
		{"gateway: forged certificate header from an untrusted address", gwForged + "/echo", "Bearer", nil, partnerHeader},
		{"middleware: another certificate of the same CA", api.URL + seedQuery, "Bearer", &pki.thief, ""},
		{"middleware: no certificate", api.URL + seedQuery, "Bearer", nil, ""},
		{"middleware over plain HTTP (Bearer elsewhere)", plainAPI.URL + seedQuery, "Bearer", nil, partnerHeader},
	} {
		t.Run("refused/"+tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", tt.url, nil)
			req.Header.Set("Authorization", tt.scheme+" "+tok)
			if tt.header != "" {
				req.Header.Set("Client-Cert", tt.header)
			}
			resp, err := withCert(trusting, tt.cert).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate")+string(body), "invalid_token") {
				t.Fatalf("%d %q %s, want 401 invalid_token", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
			}
		})
	}
	if n := hits.Load() - before; n != 0 {
		t.Errorf("%d refused requests reached the upstream", n)
	}
	t.Run("control: the same header from the trusted proxy passes", func(t *testing.T) {
		req, _ := http.NewRequest("GET", gwProxied+"/echo", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Client-Cert", partnerHeader)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s", resp.Status)
		}
	})
	t.Run("refused/token endpoint: forged certificate header from an untrusted address", func(t *testing.T) {
		req, _ := http.NewRequest("POST", issuer+"/oauth/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"},
			"client_id": {partnerID}, "audience": {prodAudience}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Client-Cert", partnerHeader)
		req.Header.Set("X-Forwarded-For", "192.0.2.1")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 || !strings.Contains(string(body), `"invalid_client"`) {
			t.Fatalf("%d %s, want 401 invalid_client", resp.StatusCode, body)
		}
	})
	t.Run("refused/token endpoint: another certificate of the same CA", func(t *testing.T) {
		thief := partner
		thief.Certificate = &pki.thief
		_, err := thief.TokenSource(ctx).Token()
		if e := (*client.Error)(nil); !errors.As(err, &e) || e.Code != "invalid_client" {
			t.Fatalf("token with the thief's certificate: %v", err)
		}
	})

	t.Run("the example partner program", func(t *testing.T) {
		certFile, keyFile := filepath.Join(dir, "partner.pem"), filepath.Join(dir, "partner.key")
		writeFile(t, certFile, pemCert(pki.partner.Leaf))
		writeFile(t, keyFile, pemKey(t, pki.partner.PrivateKey))
		for _, target := range []string{gw + "/echo", api.URL + seedQuery} {
			cmd := exec.Command(filepath.Join(bin, "cargo-client"), "-n", "3", "-api", target,
				"-cert", certFile, "-key", keyFile, "-ca", serverCert)
			cmd.Env = []string{"MINT_TOKEN_URL=" + md.Aliases["token_endpoint"], "PARTNER_CLIENT_ID=" + partnerID}
			out, err := cmd.CombinedOutput()
			want := "call 1: 200 OK\ncall 2: 200 OK\ncall 3: 200 OK\n3 calls, 1 token request\n"
			if err != nil || string(out) != want {
				t.Errorf("cargo-client against %s: %v\n%s", target, err, out)
			}
		}
	})

	t.Run("revocation with the certificate", func(t *testing.T) {
		status := postFormJSON(t, withCert(trusting, &pki.partner), md.Aliases["revocation_endpoint"],
			url.Values{"client_id": {partnerID}, "token": {tok}}, nil)
		var ans struct{ Active bool }
		postFormJSON(t, withCert(trusting, &pki.partner), md.Aliases["introspection_endpoint"],
			url.Values{"client_id": {partnerID}, "token": {tok}}, &ans)
		if status != 200 || ans.Active {
			t.Fatalf("revocation %d; active afterwards: %v", status, ans.Active)
		}
	})
}

// buildPrograms builds mint and the example programs, as a user would.
func buildPrograms(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin+string(filepath.Separator), "./cmd/mint", "./examples/...")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// program is a running binary whose JSON log is read for the addresses
// its "... serving" lines name.
type program struct {
	mu    sync.Mutex
	addrs map[string]string // msg → addr
	log   bytes.Buffer
}

func (p *program) addr(msg string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addrs[msg]
}

// startProgram runs path with args and env (and no other environment but
// PATH and HOME), waits up to a minute for the JSON log line whose msg is
// ready, and stops the program with SIGTERM when the test ends.
func startProgram(t *testing.T, path string, env []string, ready string, args ...string) *program {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &program{addrs: map[string]string{}}
	up, exited := make(chan struct{}), make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			json.Unmarshal(sc.Bytes(), &line)
			p.mu.Lock()
			p.log.Write(append(sc.Bytes(), '\n'))
			if line.Addr != "" {
				p.addrs[line.Msg] = line.Addr
			}
			p.mu.Unlock()
			if line.Msg == ready {
				close(up)
			}
		}
		io.Copy(io.Discard, stderr)
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Errorf("%s ignored SIGTERM", filepath.Base(path))
		}
	})
	select {
	case <-up:
		return p
	case err := <-exited:
		exited <- err
		p.mu.Lock()
		defer p.mu.Unlock()
		t.Fatalf("%s %s exited: %v\n%s", filepath.Base(path), args[0], err, p.log.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("%s %s did not start", filepath.Base(path), args[0])
	}
	return nil
}

// pki is the test's certificates: a server certificate for 127.0.0.1, a
// client CA, the partner's certificate from it and a thief's from it too.
type pki struct {
	ca struct {
		cert *x509.Certificate
		key  crypto.Signer
	}
	server, partner, thief tls.Certificate
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	p := &pki{}
	key := newECKey(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "e2e client CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	p.ca.cert, _ = x509.ParseCertificate(der)
	p.ca.key = key
	p.server = p.issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "127.0.0.1"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, false)
	p.partner = p.issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "cargo partner", Organization: []string{"Example"}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, true)
	p.thief = p.issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "thief", Organization: []string{"Example"}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, true)
	return p
}

// issue makes a certificate from tmpl: the CA's when byCA, else
// self-signed.
func (p *pki) issue(t *testing.T, tmpl *x509.Certificate, byCA bool) tls.Certificate {
	t.Helper()
	key := newECKey(t)
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	parent, signer := tmpl, crypto.Signer(key)
	if byCA {
		parent, signer = p.ca.cert, p.ca.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// writeServer writes the server certificate to dir/server.pem and its key
// to dir/server.key, and returns the certificate's path.
func (p *pki) writeServer(t *testing.T, dir string) string {
	t.Helper()
	certFile := filepath.Join(dir, "server.pem")
	writeFile(t, certFile, pemCert(p.server.Leaf))
	writeFile(t, filepath.Join(dir, "server.key"), pemKey(t, p.server.PrivateKey))
	return certFile
}

func newECKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func pemCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func pemKey(t *testing.T, key crypto.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// withCert is a client over a copy of tr that presents cert (nil: none).
func withCert(tr *http.Transport, cert *tls.Certificate) *http.Client {
	c := tr.Clone()
	if cert != nil {
		c.TLSClientConfig.Certificates = []tls.Certificate{*cert}
	}
	return &http.Client{Transport: c, Timeout: 30 * time.Second}
}

func thumbprintOf(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// x5tOf reads a token's cnf.x5t#S256 without checking its signature.
func x5tOf(t *testing.T, tok string) string {
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
	return claims.Cnf["x5t#S256"]
}

func getJSON(t *testing.T, hc *http.Client, u string, out any) {
	t.Helper()
	resp, err := hc.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s %v", u, resp.Status, err)
	}
}

// postFormJSON posts form and decodes a JSON answer into out (nil: none).
func postFormJSON(t *testing.T, hc *http.Client, u string, form url.Values, out any) int {
	t.Helper()
	resp, err := hc.Post(u, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("POST %s: %d %v in %s", u, resp.StatusCode, err, raw)
		}
	}
	return resp.StatusCode
}

// createAPIOver is createAPI with hc (mint serving TLS).
func (m *mintServer) createAPIOver(t *testing.T, hc *http.Client, name, audience string, lifetime int, scopes ...string) {
	t.Helper()
	m.adminOver(t, hc, "POST", "/admin/v1/apis", map[string]any{
		"name": name, "audience": audience, "scopes": scopes, "token_lifetime": lifetime,
	}, nil)
}

// createTLSClient makes a client registered for tls_client_auth by its
// certificate's subject DN, with grants, and returns its id.
func (m *mintServer) createTLSClient(t *testing.T, hc *http.Client, name, dn string, grants ...grant) string {
	t.Helper()
	var c struct {
		ClientID string `json:"client_id"`
	}
	m.adminOver(t, hc, "POST", "/admin/v1/clients", map[string]any{"name": name, "tls_client_auth_subject_dn": dn}, &c)
	for _, g := range grants {
		m.adminOver(t, hc, "POST", "/admin/v1/grants", map[string]any{
			"client_id": c.ClientID, "audience": g.audience, "scopes": g.scopes,
		}, nil)
	}
	return c.ClientID
}

// adminOver is admin with hc; out may be nil.
func (m *mintServer) adminOver(t *testing.T, hc *http.Client, method, path string, body, out any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, m.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+m.adminToken)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("%s %s: %s %s", method, path, resp.Status, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
}
