package admin

import (
	"bytes"
	"testing"
)

// TestStrictJSON: a name given twice (at any depth), a name that matches a
// field only in another case, and an unknown name are 400 invalid_request,
// on every route that takes a body; the same body written plainly passes.
func TestStrictJSON(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.fixtures()
	jwks := publicJWKS(t)
	for _, tc := range []struct {
		name, method, path, body string
	}{
		{"api name twice", "POST", "/admin/v1/apis", `{"name":"first","name":"second","audience":"https://x1"}`},
		{"api name twice, escaped", "POST", "/admin/v1/apis", `{"name":"first","n\u0061me":"second","audience":"https://x2"}`},
		{"api NAME", "POST", "/admin/v1/apis", `{"NAME":"x","audience":"https://x3"}`},
		{"api Audience", "POST", "/admin/v1/apis", `{"name":"x","Audience":"https://x4"}`},
		{"api unknown", "POST", "/admin/v1/apis", `{"name":"x","audience":"https://x5","owner":"me"}`},
		{"api patch lifetime twice", "PATCH", "/admin/v1/apis/{api}", `{"token_lifetime":60,"token_lifetime":31536000}`},
		{"api patch Token_Lifetime", "PATCH", "/admin/v1/apis/{api}", `{"Token_Lifetime":31536000}`},
		{"client name twice", "POST", "/admin/v1/clients", `{"name":"a","name":"b"}`},
		{"client jwks key member twice", "PATCH", "/admin/v1/clients/{client}", `{"jwks":{"keys":[],"keys":[{}]}}`},
		{"client jwks KEYS", "PATCH", "/admin/v1/clients/{client}", `{"jwks":{"KEYS":[]}}`},
		{"client Introspect_All", "PATCH", "/admin/v1/clients/{client}", `{"Introspect_All":true}`},
		{"rotate ttl twice", "POST", "/admin/v1/clients/{client}/rotate-secret", `{"old_secret_ttl":0,"old_secret_ttl":60}`},
		{"grant scopes twice", "PATCH", "/admin/v1/grants/{grant}", `{"scopes":["read:cargo"],"scopes":["write:cargo"]}`},
		{"grant SCOPES", "PATCH", "/admin/v1/grants/{grant}", `{"SCOPES":["write:cargo"]}`},
		{"grant create client_id twice", "POST", "/admin/v1/grants", `{"client_id":"x","client_id":"{client}","audience":"https://cargo"}`},
		{"nested name twice", "POST", "/admin/v1/apis", `{"name":"x","audience":"https://x6","scopes":[{"a":1,"a":2}]}`},
		{"keys rotate algorithm twice", "POST", "/admin/v1/keys/rotate", `{"algorithm":"RS256","algorithm":"ES256"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := h.json(tc.method, f.expand(tc.path), f.expand(tc.body), 400, nil)
			if !bytes.Contains(a.body, []byte(`"error":"invalid_request"`)) {
				t.Errorf("body %s", a.body)
			}
		})
	}
	// The same requests written plainly are accepted, so the refusals
	// above are about the names alone.
	h.json("POST", "/admin/v1/apis", `{"name":"second","audience":"https://x1"}`, 201, nil)
	h.json("PATCH", f.expand("/admin/v1/clients/{client}"), `{"jwks":`+jwks+`,"introspect_all":true}`, 200, nil)
	h.json("PATCH", f.expand("/admin/v1/clients/{client}"), `{"jwks":{"keys":[]}}`, 200, nil)
	h.json("PATCH", f.expand("/admin/v1/grants/{grant}"), `{"scopes":["write:cargo"]}`, 200, nil)
	var apis []apiView
	h.json("GET", "/admin/v1/apis", nil, 200, &apis)
	if len(apis) != 3 {
		t.Errorf("%d APIs, want the admin API, Cargo and x1: a refused body created one", len(apis))
	}
}
