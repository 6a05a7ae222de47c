package bearer_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/bearer"
)

// selfSigned makes a client certificate, as RFC 8705 §2.2's
// self_signed_tls_client_auth clients use.
func selfSigned(t *testing.T, cn string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// TestCertificateBoundTokens: a token bound to a client certificate
// (cnf.x5t#S256) passes over a real TLS connection that presented that
// certificate, and nowhere else: another certificate, none, or a forged
// certificate header from an address that is not a trusted proxy.
func TestCertificateBoundTokens(t *testing.T) {
	key := newKey(t, jose.ES256)
	iss := newIssuer(t, key)
	c := newClock()
	v := newVerifier(t, iss, c)
	mine, other := selfSigned(t, "partner"), selfSigned(t, "thief")
	tok := key.sign(t, iss.claims(map[string]any{"cnf": map[string]string{"x5t#S256": bearer.CertThumbprint(mine.Leaf)}}))
	plain := key.sign(t, iss.claims(nil))

	h := protected(t, v)
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	srv.StartTLS()
	defer srv.Close()
	get := func(cert *tls.Certificate, header http.Header) (int, string) {
		tr := srv.Client().Transport.(*http.Transport).Clone()
		if cert != nil {
			tr.TLSClientConfig.Certificates = []tls.Certificate{*cert}
		}
		req, _ := http.NewRequest("GET", srv.URL+"/ws/rest/Cargo", nil)
		req.Header = header
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("WWW-Authenticate") + " " + string(body)
	}
	auth := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
	for _, tt := range []struct {
		name   string
		cert   *tls.Certificate
		header http.Header
		status int
	}{
		{"its certificate", &mine, auth(tok), 200},
		{"another certificate", &other, auth(tok), 401},
		{"no certificate", nil, auth(tok), 401},
		{"as DPoP", &mine, http.Header{"Authorization": {"DPoP " + tok}}, 401},
		{"an unbound token with a certificate", &other, auth(plain), 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if status, body := get(tt.cert, tt.header); status != tt.status {
				t.Fatalf("%d, want %d: %s", status, tt.status, body)
			}
		})
	}
}

// TestCertificateHeaderTrustedProxyOnly: behind a TLS-terminating proxy
// the certificate comes in a header, believed only from the proxy's
// addresses.
func TestCertificateHeaderTrustedProxyOnly(t *testing.T) {
	key := newKey(t, jose.ES256)
	iss := newIssuer(t, key)
	v := newVerifier(t, iss, newClock())
	mine := selfSigned(t, "partner")
	tok := key.sign(t, iss.claims(map[string]any{"cnf": map[string]string{"x5t#S256": bearer.CertThumbprint(mine.Leaf)}}))
	header := ":" + base64.StdEncoding.EncodeToString(mine.Leaf.Raw) + ":"
	loopback := netip.MustParsePrefix("127.0.0.0/8")
	elsewhere := netip.MustParsePrefix("10.0.0.0/8")
	for _, tt := range []struct {
		name    string
		trusted netip.Prefix
		value   []string
		status  int
	}{
		{"from the trusted proxy", loopback, []string{header}, 200},
		{"bare base64 from the trusted proxy", loopback, []string{strings.Trim(header, ":")}, 200},
		{"forged from an untrusted address", elsewhere, []string{header}, 401},
		{"two headers", loopback, []string{header, header}, 401},
		{"garbage", loopback, []string{":bm90IGEgY2VydA==:"}, 401},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(protected(t, v, bearer.WithClientCertHeader("Client-Cert", tt.trusted)))
			defer srv.Close()
			req, _ := http.NewRequest("GET", srv.URL+"/ws/rest/Cargo", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header["Client-Cert"] = tt.value
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Fatalf("%d, want %d (%s)", resp.StatusCode, tt.status, resp.Header.Get("WWW-Authenticate"))
			}
		})
	}
}

// TestForgedCertificateHeaderNeverReachesHandler: a certificate header
// from an address that is not a trusted proxy is removed before the
// handler runs, so that a handler reading it (to log the partner, say)
// never reads a stranger's; the proxy's own goes through untouched.
func TestForgedCertificateHeaderNeverReachesHandler(t *testing.T) {
	key := newKey(t, jose.ES256)
	iss := newIssuer(t, key)
	v := newVerifier(t, iss, newClock())
	tok := key.sign(t, iss.claims(nil))
	header := ":" + base64.StdEncoding.EncodeToString(selfSigned(t, "someone").Leaf.Raw) + ":"
	for _, tt := range []struct {
		name    string
		trusted netip.Prefix
		want    string
	}{
		{"from the trusted proxy", netip.MustParsePrefix("127.0.0.0/8"), header},
		{"forged from an untrusted address", netip.MustParsePrefix("10.0.0.0/8"), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			seen := make(chan string, 1)
			h := bearer.Middleware(v, bearer.WithClock(func() time.Time { return epoch }),
				bearer.WithClientCertHeader("Client-Cert", tt.trusted))(
				http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen <- r.Header.Get("Client-Cert") }))
			srv := httptest.NewServer(h)
			defer srv.Close()
			req, _ := http.NewRequest("GET", srv.URL+"/ws/rest/Cargo", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Client-Cert", header)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if got := <-seen; got != tt.want {
				t.Fatalf("handler read Client-Cert %q, want %q", got, tt.want)
			}
		})
	}
}
