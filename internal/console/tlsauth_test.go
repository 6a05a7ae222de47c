package console_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestClientTLSAuth: the client page shows the RFC 8705 registration and
// its form sets each kind, clears it, and refuses a bad value beside the
// field it names, echoed escaped; self-signed is refused until the client
// has keys.
func TestClientTLSAuth(t *testing.T) {
	m := startMint(t)
	id, _ := m.newClient(t, "cargo")
	u := newUser(t, m)
	u.mustSignIn()
	path := "/console/clients/" + id
	type reg struct {
		DN         string `json:"tls_client_auth_subject_dn"`
		DNS        string `json:"tls_client_auth_san_dns"`
		IP         string `json:"tls_client_auth_san_ip"`
		SelfSigned bool   `json:"self_signed_tls_client_auth"`
	}
	stored := func() reg {
		var r reg
		m.admin(t, "GET", "/admin/v1/clients/"+id, nil, &r)
		return r
	}
	if shown := between(u.get(path).Body, `id="client-tls-value">`, "</dd>"); shown != "none" {
		t.Errorf("a new client's registration shows as %q", shown)
	}
	save := func(kind, value string) page {
		t.Helper()
		return u.post(path+"/tls-auth", url.Values{"csrf": {u.csrf}, "tls_kind": {kind}, "tls_value": {value}})
	}
	for _, tc := range []struct {
		kind, value string
		want        reg
	}{
		{"tls_client_auth_subject_dn", `CN=cargo,O=Example\, Inc.,C=DE`, reg{DN: `CN=cargo,O=Example\, Inc.,C=DE`}},
		{"tls_client_auth_san_dns", " cargo.example.com ", reg{DNS: "cargo.example.com"}},
		{"tls_client_auth_san_ip", "2001:db8::1", reg{IP: "2001:db8::1"}},
		{"", "ignored", reg{}},
	} {
		if p := save(tc.kind, tc.value); p.StatusCode != http.StatusSeeOther {
			t.Fatalf("save %s: %d\n%s", tc.kind, p.StatusCode, p.Body)
		}
		if got := stored(); got != tc.want {
			t.Errorf("after saving %s %q: %+v, want %+v", tc.kind, tc.value, got, tc.want)
		}
		body := u.get(path).Body
		if !strings.Contains(body, `<option value="`+tc.kind+`" selected>`) {
			t.Errorf("the select does not hold %q", tc.kind)
		}
		if shown := html.UnescapeString(between(body, `id="client-tls-value">`, "</dd>")); tc.kind != "" && !strings.Contains(shown, strings.TrimSpace(tc.value)) {
			t.Errorf("the page shows %q, want %q", shown, tc.value)
		}
	}
	for _, tc := range []struct{ kind, value, field, msg string }{
		{"tls_client_auth_subject_dn", "<b>cargo</b>", "tls-value", "tls_client_auth_subject_dn"},
		{"tls_client_auth_san_ip", "10.0.0.300", "tls-value", "not an IP address"},
		{"tls_client_auth_san_uri", "", "tls-value", "Enter the value"},
		{"tls_client_auth_bogus", "x", "tls-kind", "Choose one of the kinds"},
		{"self_signed_tls_client_auth", "", "tls-kind", "needs the client's jwks"},
	} {
		p := save(tc.kind, tc.value)
		msg := html.UnescapeString(between(p.Body, `id="`+tc.field+`-error">`, "</p>"))
		if p.StatusCode != http.StatusBadRequest || !strings.Contains(msg, tc.msg) {
			t.Errorf("%s %q: %d, error beside %s %q, want %q", tc.kind, tc.value, p.StatusCode, tc.field, msg, tc.msg)
		}
		if strings.Contains(p.Body, "<b>cargo</b>") {
			t.Error("the refused value is echoed unescaped")
		}
	}
	if got := stored(); got != (reg{}) {
		t.Errorf("registration after refused forms: %+v, want none", got)
	}
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	jwks := map[string]any{"keys": []map[string]string{{"kty": "OKP", "crv": "Ed25519", "kid": "k1", "x": base64.RawURLEncoding.EncodeToString(pub)}}}
	m.admin(t, "PATCH", "/admin/v1/clients/"+id, map[string]any{"jwks": jwks}, nil)
	if p := save("self_signed_tls_client_auth", ""); p.StatusCode != http.StatusSeeOther {
		t.Fatalf("self-signed with keys: %d\n%s", p.StatusCode, p.Body)
	}
	if got := stored(); !got.SelfSigned {
		t.Errorf("self-signed not stored: %+v", got)
	}
}
