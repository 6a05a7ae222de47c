package client_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mintauth/mint/client"
)

// TestClientCertificate: an SDK given an HTTPClient with a TLS client
// certificate presents it to the token endpoint and, through Client, to
// the API, as RFC 8705 servers need, over real TLS.
func TestClientCertificate(t *testing.T) {
	cert := newClientCert(t)
	var mu sync.Mutex // the handlers run on the server's goroutines
	seen := map[string]bool{}
	saw := func(where string, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen[where] = len(r.TLS.PeerCertificates) == 1 && r.TLS.PeerCertificates[0].Equal(cert.Leaf)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		saw("token", r)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"tok","token_type":"Bearer","expires_in":3600}`)
	})
	mux.HandleFunc("GET /api", func(w http.ResponseWriter, r *http.Request) {
		saw("api", r)
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	srv.StartTLS()
	defer srv.Close()
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.Certificates = []tls.Certificate{cert}
	cfg := &client.Config{TokenURL: srv.URL + "/oauth/token", ClientID: "c", ClientSecret: "s",
		HTTPClient: &http.Client{Transport: tr}}
	resp, err := cfg.Client(context.Background()).Get(srv.URL + "/api")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	if resp.StatusCode != 200 || !seen["token"] || !seen["api"] {
		t.Fatalf("%s; certificate seen at %v", resp.Status, seen)
	}
}

func newClientCert(t *testing.T) tls.Certificate {
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
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// TestConfigCertificate: Config.Certificate is presented to the token
// endpoint and to the API, through Client and Transport, over real
// TLS, on a copy of HTTPClient's transport (which keeps its RootCAs and is
// left unchanged); without a secret the token request names the client
// and carries no secret in any style (RFC 8705 §2). A transport the SDK
// cannot add the certificate to is an error, not a request without it.
func TestConfigCertificate(t *testing.T) {
	cert := newClientCert(t)
	var mu sync.Mutex
	seen := map[string]bool{}
	var bodies []string
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen["token"] = len(r.TLS.PeerCertificates) == 1 && r.TLS.PeerCertificates[0].Equal(cert.Leaf)
		bodies = append(bodies, string(raw)+" auth="+r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"tok","token_type":"Bearer","expires_in":3600}`)
	})
	mux.HandleFunc("GET /api", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen["api"] = len(r.TLS.PeerCertificates) == 1 && r.TLS.PeerCertificates[0].Equal(cert.Leaf)
		mu.Unlock()
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	srv.StartTLS()
	defer srv.Close()
	trusting := srv.Client().Transport.(*http.Transport) // RootCAs: the test server's

	for _, style := range []client.Style{client.StyleJSON, client.StyleFormPost, client.StyleFormBasic} {
		for _, via := range []string{"Client", "Transport(its own)", "Transport(another)"} {
			t.Run(style.String()+" "+via, func(t *testing.T) {
				mu.Lock()
				clear(seen)
				bodies = nil
				mu.Unlock()
				cfg := &client.Config{TokenURL: srv.URL + "/oauth/token", ClientID: "cargo", Style: style,
					HTTPClient: &http.Client{Transport: trusting}, Certificate: &cert}
				hc := cfg.Client(context.Background())
				switch via {
				case "Transport(its own)": // HTTPClient's transport
					hc = &http.Client{Transport: cfg.Transport(trusting)}
				case "Transport(another)": // copied, with the certificate
					hc = &http.Client{Transport: cfg.Transport(trusting.Clone())}
				}
				resp, err := hc.Get(srv.URL + "/api")
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				mu.Lock()
				defer mu.Unlock()
				if resp.StatusCode != 200 || !seen["token"] || !seen["api"] {
					t.Fatalf("%s; certificate seen at %v", resp.Status, seen)
				}
				if len(bodies) != 1 || strings.Contains(bodies[0], "client_secret") || !strings.Contains(bodies[0], "cargo") ||
					!strings.HasSuffix(bodies[0], " auth=") {
					t.Fatalf("token request %q: want client_id only, no secret, no Authorization", bodies)
				}
			})
		}
	}
	if len(trusting.TLSClientConfig.Certificates) != 0 {
		t.Error("the caller's transport was changed")
	}

	t.Run("a transport of another kind", func(t *testing.T) {
		cfg := &client.Config{TokenURL: srv.URL + "/oauth/token", ClientID: "cargo", Certificate: &cert,
			HTTPClient: &http.Client{Transport: roundTripper(func(r *http.Request) (*http.Response, error) { return trusting.RoundTrip(r) })}}
		_, err := cfg.TokenSource(context.Background()).Token()
		if err == nil || !strings.Contains(err.Error(), "Certificate") {
			t.Fatalf("token: %v, want an error naming Config.Certificate", err)
		}
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
