package server_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/server"
	"github.com/mintauth/mint/internal/testdb"
)

// TestMTLSListener: with an mTLS listener of its own (HTTPConfig.MTLSListener),
// mint's main listener never asks a TLS client for a certificate — even
// with a client CA configured — while the mTLS listener asks every client,
// serves the token, introspection and revocation endpoints with
// certificate client authentication (RFC 8705 §2, RFC 7662, RFC 7009),
// and nothing else; discovery's mtls_endpoint_aliases names it.
func TestMTLSListener(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, caFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "ca.pem")
	writePEM(t, certFile, keyFile, newCert(t, "127.0.0.1", x509.ExtKeyUsageServerAuth))
	ca := newTestCA(t)
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, mln := listen(t), listen(t)
	issuer, mtlsURL := "https://"+ln.Addr().String(), "https://"+mln.Addr().String()
	srv := newServer(t, server.Config{DB: testdb.New(t, "sqlite"), MasterKey: keyring.NewMasterKey(), Issuer: issuer,
		HTTP: server.HTTPConfig{TLSCertFile: certFile, TLSKeyFile: keyFile, TLSClientCAFile: caFile,
			MTLSListener: true, MTLSURL: mtlsURL}})
	startMint(t, srv, ln)
	serveMTLS(t, srv, mln)

	cargo := ca.issue(t, x509.Certificate{Subject: pkix.Name{CommonName: "cargo"}})
	other := ca.issue(t, x509.Certificate{Subject: pkix.Name{CommonName: "other"}})
	id := registerTLS(t, srv.Store(), mint.TLSAuth{Kind: mint.TLSAuthSubjectDN, Value: "CN=cargo"}, nil)

	t.Run("the main listener never asks for a certificate", func(t *testing.T) {
		for _, path := range []string{"/console/", "/oauth/token", "/.well-known/oauth-authorization-server"} {
			hc, asked := askedClient(&cargo)
			resp, err := hc.Get(issuer + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if asked.Load() {
				t.Errorf("GET %s: the server asked for a client certificate", path)
			}
		}
		// And so a token request there is not certificate-authenticated.
		if got := askTLSToken(t, httpsClient(&cargo), issuer+"/oauth/token", id, nil); got.status != 401 {
			t.Errorf("tls_client_auth on the main listener: %d %v, want 401", got.status, got.body)
		}
	})

	t.Run("the mTLS listener asks, and authenticates with the certificate", func(t *testing.T) {
		hc, asked := askedClient(&cargo)
		got := askTLSToken(t, hc, mtlsURL+"/oauth/token", id, nil)
		if !asked.Load() || got.status != 200 {
			t.Fatalf("asked %v; %d %v", asked.Load(), got.status, got.body)
		}
		tok := got.body["access_token"].(string)
		if x5t := cnfOf(t, tok)["x5t#S256"]; x5t != thumbprint(cargo) {
			t.Fatalf("cnf.x5t#S256 %v", x5t)
		}

		// Introspection with the certificate as client authentication.
		status, body := postForm(t, httpsClient(&cargo), mtlsURL+"/oauth/introspect", url.Values{"client_id": {id}, "token": {tok}})
		var ans struct {
			Active bool              `json:"active"`
			Cnf    map[string]string `json:"cnf"`
		}
		json.Unmarshal(body, &ans)
		if status != 200 || !ans.Active || ans.Cnf["x5t#S256"] != thumbprint(cargo) {
			t.Fatalf("introspection: %d %s", status, body)
		}
		// Another certificate, none, or no client CA chain: invalid_client.
		for _, tt := range []struct {
			name string
			cert *tls.Certificate
		}{{"another certificate", &other}, {"no certificate", nil}, {"self-signed with the DN", certPtr((*testCA)(nil).issue(t, x509.Certificate{Subject: pkix.Name{CommonName: "cargo"}}))}} {
			for _, path := range []string{"/oauth/introspect", "/oauth/revoke"} {
				status, body := postForm(t, httpsClient(tt.cert), mtlsURL+path, url.Values{"client_id": {id}, "token": {tok}})
				if status != 401 || !strings.Contains(string(body), `"invalid_client"`) {
					t.Errorf("%s at %s: %d %s, want 401 invalid_client", tt.name, path, status, body)
				}
			}
		}
		// Revocation with the certificate, then the token is inactive.
		if status, body := postForm(t, httpsClient(&cargo), mtlsURL+"/oauth/revoke", url.Values{"client_id": {id}, "token": {tok}}); status != 200 {
			t.Fatalf("revocation: %d %s", status, body)
		}
		_, body = postForm(t, httpsClient(&cargo), mtlsURL+"/oauth/introspect", url.Values{"client_id": {id}, "token": {tok}})
		if string(body) != `{"active":false}`+"\n" && string(body) != `{"active":false}` {
			t.Fatalf("introspection after revocation: %s", body)
		}
	})

	t.Run("the mTLS listener serves nothing else", func(t *testing.T) {
		for _, path := range []string{"/admin/v1/clients", "/console/", "/.well-known/jwks.json", "/"} {
			resp, err := httpsClient(&cargo).Get(mtlsURL + path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 404 || !strings.Contains(string(body), `"not_found"`) {
				t.Errorf("GET %s: %d %s, want a JSON 404", path, resp.StatusCode, body)
			}
		}
	})

	t.Run("discovery names the mTLS listener", func(t *testing.T) {
		resp, err := httpsClient(nil).Get(issuer + "/.well-known/oauth-authorization-server")
		if err != nil {
			t.Fatal(err)
		}
		var md struct {
			TokenEndpoint string            `json:"token_endpoint"`
			Aliases       map[string]string `json:"mtls_endpoint_aliases"`
			Bound         bool              `json:"tls_client_certificate_bound_access_tokens"`
			Introspection []string          `json:"introspection_endpoint_auth_methods_supported"`
			Revocation    []string          `json:"revocation_endpoint_auth_methods_supported"`
		}
		decodeMTLSJSON(t, resp, &md)
		want := map[string]string{"token_endpoint": mtlsURL + "/oauth/token",
			"introspection_endpoint": mtlsURL + "/oauth/introspect", "revocation_endpoint": mtlsURL + "/oauth/revoke"}
		for k, v := range want {
			if md.Aliases[k] != v {
				t.Errorf("mtls_endpoint_aliases[%s] = %q, want %q", k, md.Aliases[k], v)
			}
		}
		if !md.Bound || md.TokenEndpoint != issuer+"/oauth/token" ||
			!strings.Contains(strings.Join(md.Introspection, " "), "tls_client_auth") ||
			!strings.Contains(strings.Join(md.Revocation, " "), "self_signed_tls_client_auth") {
			t.Errorf("discovery: %+v", md)
		}
	})
}

// TestMTLSListenerNeedsTLS: an mTLS listener without a certificate is
// refused at start, not served as plain HTTP.
func TestMTLSListenerNeedsTLS(t *testing.T) {
	_, err := server.New(context.Background(), server.Config{DB: filepath.Join(t.TempDir(), "mint.db"),
		Issuer: "http://mint.test", HTTP: server.HTTPConfig{MTLSListener: true}})
	if err == nil || !strings.Contains(err.Error(), "mTLS") {
		t.Fatalf("server.New: %v", err)
	}
}

// serveMTLS serves srv's mTLS listener on ln until the test ends.
func serveMTLS(t *testing.T, srv *server.Server, ln net.Listener) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeMTLS(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("ServeMTLS: %v", err)
		}
	})
}

// askedClient is httpsClient(cert) that records whether the server asked
// for a client certificate (a TLS CertificateRequest) on any handshake.
func askedClient(cert *tls.Certificate) (*http.Client, *atomic.Bool) {
	asked := new(atomic.Bool)
	hc := httpsClient(nil)
	hc.Transport.(*http.Transport).TLSClientConfig.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		asked.Store(true)
		if cert == nil {
			return &tls.Certificate{}, nil
		}
		return cert, nil
	}
	return hc, asked
}

// postForm posts form to u with hc and returns the status and body.
func postForm(t *testing.T, hc *http.Client, u string, form url.Values) (int, []byte) {
	t.Helper()
	resp, err := hc.Post(u, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body
}

// TestIntrospectionCertBehindProxy: behind a TLS-terminating proxy,
// introspection and revocation take the client certificate from the
// proxy's header as the token endpoint does: from a trusted proxy only.
func TestIntrospectionCertBehindProxy(t *testing.T) {
	ca := newTestCA(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert := ca.issue(t, x509.Certificate{Subject: pkix.Name{CommonName: "cargo"}})
	header := ":" + base64.StdEncoding.EncodeToString(cert.Leaf.Raw) + ":"
	for _, tt := range []struct {
		name    string
		proxies []netip.Prefix
		status  int
	}{
		{"from the trusted proxy", []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, 200},
		{"forged, from an untrusted peer", []netip.Prefix{netip.MustParsePrefix("192.0.2.1/32")}, 401},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ln := listen(t)
			issuer := "http://" + ln.Addr().String()
			srv := newServer(t, server.Config{DB: testdb.New(t, "sqlite"), MasterKey: keyring.NewMasterKey(), Issuer: issuer,
				HTTP: server.HTTPConfig{TLSClientCAFile: caFile, ClientCertHeader: "Client-Cert", TrustedProxies: tt.proxies}})
			startMint(t, srv, ln)
			id := registerTLS(t, srv.Store(), mint.TLSAuth{Kind: mint.TLSAuthSubjectDN, Value: "CN=cargo"}, nil)
			for _, path := range []string{"/oauth/introspect", "/oauth/revoke"} {
				req, _ := http.NewRequest("POST", issuer+path, strings.NewReader(url.Values{"client_id": {id}, "token": {"not-a-token"}}.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Client-Cert", header)
				req.Header.Set("X-Forwarded-For", "192.0.2.1")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tt.status {
					t.Errorf("%s: %d %s, want %d", path, resp.StatusCode, body, tt.status)
				}
			}
		})
	}
}
