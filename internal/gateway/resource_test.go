package gateway_test

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/internal/gateway"
)

// TestResourceMetadataCertificateBound: the gateway's RFC 9728 document
// says tls_client_certificate_bound_access_tokens exactly when a
// certificate-bound token can pass it: it serves TLS and asks for client
// certificates, or believes a proxy's certificate header from some
// address (TestGatewayTLSCertificateBound and
// TestCertificateBoundBehindProxy show those are the cases).
func TestResourceMetadataCertificateBound(t *testing.T) {
	iss := newIssuer(t)
	up, _ := headerEcho(t)
	certFile, keyFile := writeServerCert(t)
	proxy := []netip.Prefix{netip.MustParsePrefix("192.0.2.1/32")}
	for _, tt := range []struct {
		name string
		tls  gateway.TLSConfig
		dpop gateway.DPoPConfig
		want bool
	}{
		{"TLS asking for certificates", gateway.TLSConfig{CertFile: certFile, KeyFile: keyFile}, gateway.DPoPConfig{}, true},
		{"TLS not asking", gateway.TLSConfig{CertFile: certFile, KeyFile: keyFile, NoClientCerts: true}, gateway.DPoPConfig{}, false},
		{"plain HTTP", gateway.TLSConfig{}, gateway.DPoPConfig{}, false},
		{"plain HTTP, a trusted proxy's header", gateway.TLSConfig{}, gateway.DPoPConfig{CertHeader: "Client-Cert", CertProxies: proxy}, true},
		{"plain HTTP, a header but no proxy believed", gateway.TLSConfig{}, gateway.DPoPConfig{CertHeader: "Client-Cert"}, false},
		{"DPoP required, TLS asking", gateway.TLSConfig{CertFile: certFile, KeyFile: keyFile}, gateway.DPoPConfig{Required: true}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base := serveTLSGateway(t, &gateway.Options{Upstream: up.URL, Issuer: iss.srv.URL, Audience: audience, AllowUnmatched: true,
				TLS: tt.tls, DPoP: tt.dpop})
			if tt.tls.CertFile == "" {
				base = "http://" + strings.TrimPrefix(base, "https://")
			}
			resp, err := tlsClient(nil).Get(base + bearer.ProtectedResourcePath)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var doc map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || resp.StatusCode != 200 {
				t.Fatalf("%s %v", resp.Status, err)
			}
			if got := doc["tls_client_certificate_bound_access_tokens"]; got != tt.want {
				t.Fatalf("tls_client_certificate_bound_access_tokens %v, want %v", got, tt.want)
			}
			if doc["dpop_bound_access_tokens_required"] != tt.dpop.Required || doc["resource"] != audience {
				t.Fatalf("other members: %v", doc)
			}
		})
	}
}
