package clientauth

import (
	"encoding/base64"
	"testing"

	"github.com/mintauth/mint/oauth"
)

// TestParseSPIFFEAssertion: the jwt-spiffe type gives the SPIFFE method;
// an unknown or mis-cased type, a half-sent SVID or another credential
// beside it is invalid_request.
func TestParseSPIFFEAssertion(t *testing.T) {
	c, err := Parse(nil, map[string]string{ParamAssertionType: SPIFFEAssertionType, ParamAssertion: "a.b.c", ParamClientID: "c1"})
	if err != nil || c.Method != SPIFFEJWT || c.ClientID != "c1" || c.Assertion != "a.b.c" {
		t.Fatalf("Parse = %+v, %v", c, err)
	}
	basic := []string{"Basic " + base64.StdEncoding.EncodeToString([]byte("c1:secret"))}
	cases := []struct {
		name string
		auth []string
		body map[string]string
	}{
		{"upper case type", nil, map[string]string{ParamAssertionType: "urn:ietf:params:oauth:client-assertion-type:JWT-SPIFFE", ParamAssertion: "a.b.c"}},
		{"type with a space", nil, map[string]string{ParamAssertionType: SPIFFEAssertionType + " ", ParamAssertion: "a.b.c"}},
		{"x509 type", nil, map[string]string{ParamAssertionType: "urn:ietf:params:oauth:client-assertion-type:x509-spiffe", ParamAssertion: "a.b.c"}},
		{"no assertion", nil, map[string]string{ParamAssertionType: SPIFFEAssertionType}},
		{"with a secret", nil, map[string]string{ParamAssertionType: SPIFFEAssertionType, ParamAssertion: "a.b.c", ParamClientSecret: "s"}},
		{"with Basic", basic, map[string]string{ParamAssertionType: SPIFFEAssertionType, ParamAssertion: "a.b.c"}},
	}
	for _, c := range cases {
		_, err := Parse(c.auth, c.body)
		if e, ok := err.(*oauth.Error); !ok || e.Code != "invalid_request" {
			t.Errorf("%s: %v, want invalid_request", c.name, err)
		}
	}
}
