package gateway_test

import (
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"

	"github.com/mintauth/mint/internal/gateway"
)

// BenchmarkGatewayMTLS compares, in one run, a request through the
// gateway (rules, middleware, reverse proxy to an in-memory upstream)
// with a bearer token and with a token bound to the client certificate
// (cnf.x5t#S256) the request's TLS connection presented: the difference
// is the binding check, a SHA-256 of the certificate's DER and a
// constant-time compare. Both requests carry the same certificate; the
// TLS handshake, once per connection, is not counted.
func BenchmarkGatewayMTLS(b *testing.B) {
	iss := newIssuer(b)
	upstream, _ := url.Parse("http://upstream.internal")
	rule, err := gateway.ParseRule("GET / read:cargo")
	if err != nil {
		b.Fatal(err)
	}
	h, err := gateway.New(gateway.Config{Upstream: upstream, Verifier: iss.verifier(b), Rules: []gateway.Rule{rule},
		Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
		})})
	if err != nil {
		b.Fatal(err)
	}
	cert := tlsClientCert(b)
	for _, tt := range []struct {
		name, token string
	}{
		{"bearer", iss.token(b, "read:cargo")},
		{"mtls", certBoundToken(b, iss, cert.Leaf)},
	} {
		b.Run(tt.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, "https://api.example/ws/rest/Cargo", nil) // r.TLS set
			r.TLS.PeerCertificates = []*x509.Certificate{cert.Leaf}
			r.Header.Set("Authorization", "Bearer "+tt.token)
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
			// CPU time, less bent than wall time by the other processes
			// of a shared machine.
			b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// processCPU is the process's user and system CPU time, in nanoseconds.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
