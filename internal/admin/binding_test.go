package admin

import (
	"encoding/json"
	"testing"
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
		{"POST", "/admin/v1/apis", `{"name":"x","audience":"https://x","token_binding":"mtls"}`},
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
