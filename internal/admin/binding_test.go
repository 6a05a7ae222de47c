package admin

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// TestTokenBinding: the policy is set on create and patch of APIs and
// clients, shown when set, and anything but "" or "dpop" is refused with
// the field named.
func TestTokenBinding(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var api apiView
	h.json("POST", "/admin/v1/apis", `{"name":"Bound","audience":"https://bound","token_binding":"dpop"}`, 201, &api)
	if api.TokenBinding != "dpop" {
		t.Fatalf("created API token_binding = %q", api.TokenBinding)
	}
	var patched apiView // a fresh value: an unset policy is absent
	h.json("PATCH", "/admin/v1/apis/"+api.ID, `{"token_binding":""}`, 200, &patched)
	if patched.TokenBinding != "" || patched.ID != api.ID {
		t.Fatalf("patched API = %+v", patched)
	}
	var c clientWithSecret
	h.json("POST", "/admin/v1/clients", `{"name":"partner","token_binding":"dpop"}`, 201, &c)
	var got clientView
	h.json("GET", "/admin/v1/clients/"+c.ClientID, nil, 200, &got)
	if got.TokenBinding != "dpop" {
		t.Fatalf("client token_binding = %q", got.TokenBinding)
	}
	var patchedClient clientView
	h.json("PATCH", "/admin/v1/clients/"+c.ClientID, `{"token_binding":""}`, 200, &patchedClient)
	if patchedClient.TokenBinding != "" || patchedClient.ClientID != c.ClientID {
		t.Fatalf("patched client = %+v", patchedClient)
	}
	for _, bad := range []struct{ method, path, body string }{
		{"POST", "/admin/v1/apis", `{"name":"x","audience":"https://x","token_binding":"DPoP"}`},
		{"POST", "/admin/v1/apis", `{"name":"x","audience":"https://x","token_binding":"tls"}`},
		{"PATCH", "/admin/v1/apis/" + api.ID, `{"token_binding":"bearer"}`},
		{"POST", "/admin/v1/clients", `{"name":"x","token_binding":" dpop"}`},
		{"PATCH", "/admin/v1/clients/" + c.ClientID, `{"token_binding":"dpop\u0000"}`},
	} {
		a := h.json(bad.method, bad.path, bad.body, 400, nil)
		var e map[string]string
		if err := json.Unmarshal(a.body, &e); err != nil || e["error"] != "invalid_request" || e["field"] != "token_binding" {
			t.Errorf("%s %s %s: %s", bad.method, bad.path, bad.body, a.body)
		}
	}
}

// TestBoundTokenRefused: the admin API checks no DPoP proof, so a token
// bound to a key (a DPoP or certificate cnf) is refused, never taken as a
// bearer token.
func TestBoundTokenRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, cnf := range []map[string]string{{"jkt": "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}, {"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}, {}} {
		now := time.Now()
		tok := h.sign(map[string]any{
			"iss": testIssuer, "sub": testAdminClient, "aud": mint.AdminAudience,
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": mint.NewID("jti"),
			"client_id": testAdminClient, "scope": strings.Join(mint.AdminScopes, " "), "cnf": cnf,
		})
		a := h.do(call{method: "GET", path: "/admin/v1/apis", token: tok})
		if a.status != 401 || !strings.Contains(string(a.body), "bound to a key") {
			t.Errorf("cnf %v: %d %s", cnf, a.status, a.body)
		}
	}
}

// TestAdminAPITakesNoBinding: the admin API takes bearer tokens only, so
// binding its tokens would lock every admin out; unbinding stays allowed.
func TestAdminAPITakesNoBinding(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, binding := range []string{"dpop", "mtls"} {
		a := h.json("PATCH", "/admin/v1/apis/"+h.admin.ID, `{"token_binding":"`+binding+`"}`, 409, nil)
		if !strings.Contains(string(a.body), "lock every admin out") || !strings.Contains(string(a.body), "token_binding") {
			t.Errorf("binding %s: %s", binding, a.body)
		}
	}
	h.json("PATCH", "/admin/v1/apis/"+h.admin.ID, `{"token_binding":""}`, 200, nil)
	var got apiView
	h.json("GET", "/admin/v1/apis/"+h.admin.ID, nil, 200, &got)
	if got.TokenBinding != "" {
		t.Fatalf("the admin API's binding is %q after refusals", got.TokenBinding)
	}
}
