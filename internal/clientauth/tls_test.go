package clientauth

import (
	"crypto/x509"
	"errors"
	"strings"
	"testing"

	"github.com/mintauth/mint/oauth"
)

// TestParseWithCert: only a client_id with a certificate and nothing else
// is a TLS authentication attempt; with a secret, Basic or an assertion
// the certificate only binds, and without a certificate nothing changes.
func TestParseWithCert(t *testing.T) {
	chain := []*x509.Certificate{{Raw: []byte("leaf")}}
	basic := []string{"Basic Y2xpXzE6czM="} // cli_1:s3
	for _, tt := range []struct {
		name   string
		auth   []string
		body   map[string]string
		chain  []*x509.Certificate
		method Method
		code   string
	}{
		{"client_id and a certificate", nil, map[string]string{"client_id": "cli_1"}, chain, TLSClientAuth, ""},
		{"a secret too", nil, map[string]string{"client_id": "cli_1", "client_secret": "s3"}, chain, SecretPost, ""},
		{"Basic too", basic, map[string]string{"client_id": "cli_1"}, chain, SecretBasic, ""},
		{"an assertion too", nil, map[string]string{"client_id": "cli_1", "client_assertion_type": AssertionType, "client_assertion": "x.y.z"}, chain, PrivateKeyJWT, ""},
		{"no certificate", nil, map[string]string{"client_id": "cli_1"}, nil, "", "invalid_client"},
		{"no client_id", nil, map[string]string{}, chain, "", "invalid_client"},
		{"client_id too long", nil, map[string]string{"client_id": strings.Repeat("a", MaxClientIDBytes+1)}, chain, "", "invalid_request"},
	} {
		c, err := ParseWithCert(tt.auth, tt.body, tt.chain)
		var oe *oauth.Error
		switch {
		case tt.code != "" && (!errors.As(err, &oe) || oe.Code != tt.code):
			t.Errorf("%s: %v, want %s", tt.name, err, tt.code)
		case tt.code == "" && (err != nil || c.Method != tt.method):
			t.Errorf("%s: %v %q, want %q", tt.name, err, c.Method, tt.method)
		case tt.method == TLSClientAuth && (c.ClientID != "cli_1" || len(c.Chain) != 1):
			t.Errorf("%s: %+v", tt.name, c)
		}
	}
}
