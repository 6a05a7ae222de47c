package clientauth

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/mintauth/mint/oauth"
)

// A client_id longer than MaxClientIDBytes is invalid_request however it
// is sent, before any lookup; one of exactly that length is parsed.
func TestParseRefusesOverlongClientIDs(t *testing.T) {
	long, fits := strings.Repeat("a", MaxClientIDBytes+1), strings.Repeat("a", MaxClientIDBytes)
	basic := func(id string) []string {
		return []string{"Basic " + base64.StdEncoding.EncodeToString([]byte(id+":secret"))}
	}
	assertion := map[string]string{ParamAssertionType: AssertionType, ParamAssertion: "a.b.c"}
	cases := []struct {
		name string
		auth []string
		body map[string]string
	}{
		{"post", nil, map[string]string{ParamClientID: long, ParamClientSecret: "s"}},
		{"basic", basic(long), map[string]string{}},
		{"assertion with client_id", nil, map[string]string{ParamClientID: long, ParamAssertionType: AssertionType, ParamAssertion: "a.b.c"}},
	}
	for _, c := range cases {
		_, err := Parse(c.auth, c.body)
		if e, ok := err.(*oauth.Error); !ok || e.Code != "invalid_request" {
			t.Errorf("%s: %v, want invalid_request", c.name, err)
		}
	}
	if _, err := Parse(nil, map[string]string{ParamClientID: fits, ParamClientSecret: "s"}); err != nil {
		t.Errorf("a %d-byte client_id: %v", MaxClientIDBytes, err)
	}
	if _, err := Parse(basic(fits), map[string]string{}); err != nil {
		t.Errorf("a %d-byte client_id in Basic: %v", MaxClientIDBytes, err)
	}
	if _, err := Parse(nil, assertion); err != nil {
		t.Errorf("an assertion without client_id: %v", err)
	}
}
