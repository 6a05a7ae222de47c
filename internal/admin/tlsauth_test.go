package admin

import (
	"encoding/json"
	"testing"
)

// TestTLSAuthRegistration: a client registers one RFC 8705 §2 method by
// its RFC name, GET shows it, PATCH replaces or removes it, and two at
// once, a malformed DN or IP, or self-signed without keys are refused
// with the field named.
func TestTLSAuthRegistration(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var c clientWithSecret
	h.json("POST", "/admin/v1/clients", `{"name":"cargo","tls_client_auth_subject_dn":"CN=cargo,O=Example\\, Inc.,C=DE"}`, 201, &c)
	var got clientView
	h.json("GET", "/admin/v1/clients/"+c.ClientID, nil, 200, &got)
	if got.SubjectDN == nil || *got.SubjectDN != `CN=cargo,O=Example\, Inc.,C=DE` || got.SANDNS != nil {
		t.Fatalf("GET shows %+v", got.tlsAuthFields)
	}
	var patched clientView
	h.json("PATCH", "/admin/v1/clients/"+c.ClientID, `{"tls_client_auth_san_ip":"2001:db8::1"}`, 200, &patched)
	if patched.SANIP == nil || *patched.SANIP != "2001:db8::1" || patched.SubjectDN != nil {
		t.Fatalf("after PATCH: %+v", patched.tlsAuthFields)
	}
	var cleared clientView
	h.json("PATCH", "/admin/v1/clients/"+c.ClientID, `{"tls_client_auth_san_ip":""}`, 200, &cleared)
	if cleared.tlsAuthFields.given() {
		t.Fatalf("after clearing: %+v", cleared.tlsAuthFields)
	}
	for _, bad := range []struct{ method, path, body, field string }{
		{"POST", "/admin/v1/clients", `{"name":"x","tls_client_auth_san_dns":"a.example","tls_client_auth_san_uri":"spiffe://x"}`, "tls_client_auth"},
		{"POST", "/admin/v1/clients", `{"name":"x","tls_client_auth_subject_dn":"cargo"}`, "tls_client_auth_subject_dn"},
		{"POST", "/admin/v1/clients", `{"name":"x","tls_client_auth_subject_dn":"CN=#0403616263"}`, "tls_client_auth_subject_dn"},
		{"POST", "/admin/v1/clients", `{"name":"x","tls_client_auth_san_ip":"10.0.0.300"}`, "tls_client_auth_san_ip"},
		{"POST", "/admin/v1/clients", `{"name":"x","self_signed_tls_client_auth":true}`, "self_signed_tls_client_auth"},
		{"PATCH", "/admin/v1/clients/" + c.ClientID, `{"self_signed_tls_client_auth":true}`, "self_signed_tls_client_auth"},
	} {
		a := h.json(bad.method, bad.path, bad.body, 400, nil)
		var e map[string]string
		if err := json.Unmarshal(a.body, &e); err != nil || e["error"] != "invalid_request" || e["field"] != bad.field {
			t.Errorf("%s %s: %s", bad.method, bad.body, a.body)
		}
	}
}
