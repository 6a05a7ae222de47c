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
	"math/big"
	"net/http"
	"net/http/httptest"
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
