package gateway_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/netip"
	"slices"
	"testing"

	"github.com/mintauth/mint/internal/gateway"
)

// TestForgedCertHeaderNeverReachesUpstream: an upstream behind the
// gateway sees the gateway as the TLS-terminating proxy in front of it,
// and a framework or a second verifier there (bearer.WithClientCertHeader
// trusting the gateway's address, nginx's $ssl_client_cert convention,
// IIS's X-ARR-ClientCert) believes a client-certificate header from it.
// A caller with any valid bearer token who adds a header naming another
// partner's certificate (certificates are public: every TLS handshake
// shows one) must not get that header through, in any spelling. Only the
// configured header, when it came from a configured certificate proxy,
// is passed on.
func TestForgedCertHeaderNeverReachesUpstream(t *testing.T) {
	iss := newIssuer(t)
	up, _ := headerEcho(t)
	victim := ":" + base64.StdEncoding.EncodeToString(clientCert(t).Raw) + ":"
	forged := []string{"Client-Cert", "Client-Cert-Chain", "X-Client-Cert", "X-SSL-Client-Cert",
		"SSL_CLIENT_CERT", "X-SSL-Cert", "X-ARR-ClientCert", "client_cert", "X-Forwarded-Client-Cert"}
	cases := []struct {
		name   string
		dpop   gateway.DPoPConfig
		passed string // the one header the upstream may see
	}{
		{"no certificate header configured", gateway.DPoPConfig{}, ""},
		{"header configured, caller not a proxy", gateway.DPoPConfig{CertHeader: "Client-Cert",
			CertProxies: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}, ""},
		{"header configured, from the proxy", gateway.DPoPConfig{CertHeader: "Client-Cert",
			CertProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, "Client-Cert"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gw := startGatewayWith(t, iss, gateway.Config{DPoP: tc.dpop}, up.URL, "/")
			h := map[string][]string{"Authorization": {"Bearer " + iss.token(t, "read:cargo")}}
			for _, name := range forged {
				h[name] = []string{victim}
			}
			resp, body := do(t, "GET", gw.URL+"/x", h)
			if resp.StatusCode != 200 {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			var got echoed
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for name, values := range got.Header {
				if slices.Contains(values, victim) {
					seen[name] = true
				}
			}
			for _, name := range forged {
				if seen[http.CanonicalHeaderKey(name)] && name != tc.passed {
					t.Errorf("the caller's %s reached the upstream", name)
				}
			}
			if tc.passed != "" && !seen[http.CanonicalHeaderKey(tc.passed)] {
				t.Errorf("the trusted proxy's %s did not reach the upstream", tc.passed)
			}
		})
	}
}
