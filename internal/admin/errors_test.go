package admin

import (
	"strings"
	"testing"
)

// fixtures are resources the error cases point at; paths name them as
// {api}, {admin}, {client} and {grant}.
type fixtures struct {
	api, admin, client, grant string
}

func (h *harness) fixtures() fixtures {
	var api apiView
	h.json("POST", "/admin/v1/apis", `{"name":"Cargo","audience":"https://cargo","scopes":["read:cargo","write:cargo"]}`, 201, &api)
	var c clientWithSecret
	h.json("POST", "/admin/v1/clients", `{"name":"billing"}`, 201, &c)
	var g grantView
	h.json("POST", "/admin/v1/grants", `{"client_id":"`+c.ClientID+`","audience":"https://cargo","scopes":["read:cargo"]}`, 201, &g)
	return fixtures{api: api.ID, admin: h.admin.ID, client: c.ClientID, grant: g.ID}
}

func (f fixtures) expand(s string) string {
	return strings.NewReplacer("{api}", f.api, "{admin}", f.admin, "{client}", f.client, "{grant}", f.grant).Replace(s)
}

type errorCase struct {
	name         string
	method, path string
	body         string // sent as application/json unless contentType is set
	contentType  string // "-" sends none
	status       int
	allow        string // the Allow header a 405 must carry
}

const jsonCT = "application/json"

var apiErrors = []errorCase{
	{name: "create/no name", method: "POST", path: "/admin/v1/apis", body: `{"audience":"https://a"}`, status: 400},
	{name: "create/name too long", method: "POST", path: "/admin/v1/apis", body: `{"name":"` + strings.Repeat("é", 201) + `","audience":"https://a"}`, status: 400},
	{name: "create/name with control character", method: "POST", path: "/admin/v1/apis", body: `{"name":"a\u0007b","audience":"https://a"}`, status: 400},
	{name: "create/no audience", method: "POST", path: "/admin/v1/apis", body: `{"name":"A"}`, status: 400},
	{name: "create/audience with space", method: "POST", path: "/admin/v1/apis", body: `{"name":"A","audience":"https://a b"}`, status: 400},
	{name: "create/audience too long", method: "POST", path: "/admin/v1/apis", body: `{"name":"A","audience":"` + strings.Repeat("a", 501) + `"}`, status: 400},
	{name: "create/duplicate audience", method: "POST", path: "/admin/v1/apis", body: `{"name":"A","audience":"https://cargo"}`, status: 409},
	{name: "create/admin audience", method: "POST", path: "/admin/v1/apis", body: `{"name":"A","audience":"urn:mint:admin"}`, status: 409},
	{name: "create/scope with space", method: "POST", path: "/admin/v1/apis", body: `{"name":"A","audience":"a","scopes":["read cargo"]}`, status: 400},
	{name: "create/scope with quote", method: "POST", path: "/admin/v1/apis", body: `{"name":"A","audience":"a","scopes":["read\"cargo"]}`, status: 400},
	{name: "create/scope with backslash", method: "POST", path: "/admin/v1/apis", body: `{"name":"A","audience":"a","scopes":["read\\cargo"]}`, status: 400},
	{name: "create/scope not ASCII", method: "POST", path: "/admin/v1/apis", body: `{"name":"A","audience":"a","scopes":["lire:cargé"]}`, status: 400},
	{name: "create/empty scope", method: "POST", path: "/admin/v1/apis", body: `{"name":"A","audience":"a","scopes":[""]}`, status: 400},
	{name: "create/scope too long", method: "POST", path: "/admin/v1/apis", body: `{"name":"A","audience":"a","scopes":["` + strings.Repeat("s", 101) + `"]}`, status: 400},
	{name: "create/duplicate scope", method: "POST", path: "/admin/v1/apis", body: `{"name":"A","audience":"a","scopes":["read","read"]}`, status: 400},
	{name: "create/token_lifetime too short", method: "POST", path: "/admin/v1/apis", body: `{"name":"A","audience":"a","token_lifetime":59}`, status: 400},
	{name: "create/token_lifetime too long", method: "POST", path: "/admin/v1/apis", body: `{"name":"A","audience":"a","token_lifetime":31536001}`, status: 400},
	{name: "create/token_lifetime fraction", method: "POST", path: "/admin/v1/apis", body: `{"name":"A","audience":"a","token_lifetime":1.5}`, status: 400},
	{name: "create/token_lifetime huge", method: "POST", path: "/admin/v1/apis", body: `{"name":"A","audience":"a","token_lifetime":1e40}`, status: 400},
	{name: "create/token_lifetime string", method: "POST", path: "/admin/v1/apis", body: `{"name":"A","audience":"a","token_lifetime":"3600"}`, status: 400},
	{name: "create/scopes not array", method: "POST", path: "/admin/v1/apis", body: `{"name":"A","audience":"a","scopes":"read"}`, status: 400},
	{name: "create/scope not string", method: "POST", path: "/admin/v1/apis", body: `{"name":"A","audience":"a","scopes":[1]}`, status: 400},
	{name: "create/name not string", method: "POST", path: "/admin/v1/apis", body: `{"name":{},"audience":"a"}`, status: 400},
	{name: "create/unknown field", method: "POST", path: "/admin/v1/apis", body: `{"name":"A","audience":"a","identifier":"a"}`, status: 400},
	{name: "create/long unknown field", method: "POST", path: "/admin/v1/apis", body: `{"` + strings.Repeat("x", 300) + `":1}`, status: 400},
	{name: "create/not JSON", method: "POST", path: "/admin/v1/apis", body: `{"name":`, status: 400},
	{name: "create/empty body", method: "POST", path: "/admin/v1/apis", body: ``, status: 400},
	{name: "create/array body", method: "POST", path: "/admin/v1/apis", body: `[]`, status: 400},
	{name: "create/two objects", method: "POST", path: "/admin/v1/apis", body: `{"name":"A","audience":"a"} {}`, status: 400},
	{name: "create/text plain", method: "POST", path: "/admin/v1/apis", body: `{"name":"A","audience":"a"}`, contentType: "text/plain", status: 415},
	{name: "create/no content type", method: "POST", path: "/admin/v1/apis", body: `{"name":"A","audience":"a"}`, contentType: "-", status: 415},
	{name: "create/too large", method: "POST", path: "/admin/v1/apis", body: `{"name":"` + strings.Repeat("a", 1<<20) + `"}`, status: 413},
	{name: "get/unknown", method: "GET", path: "/admin/v1/apis/api_nope", status: 404},
	{name: "patch/audience", method: "PATCH", path: "/admin/v1/apis/{api}", body: `{"audience":"https://other"}`, status: 400},
	{name: "patch/unknown", method: "PATCH", path: "/admin/v1/apis/api_nope", body: `{"name":"B"}`, status: 404},
	{name: "patch/empty name", method: "PATCH", path: "/admin/v1/apis/{api}", body: `{"name":""}`, status: 400},
	{name: "patch/bad token_lifetime", method: "PATCH", path: "/admin/v1/apis/{api}", body: `{"token_lifetime":0}`, status: 400},
	{name: "patch/text plain", method: "PATCH", path: "/admin/v1/apis/{api}", body: `{"name":"B"}`, contentType: "text/plain", status: 415},
	{name: "patch/admin scopes", method: "PATCH", path: "/admin/v1/apis/{admin}", body: `{"scopes":["apis:read"]}`, status: 409},
	{name: "patch/admin audience", method: "PATCH", path: "/admin/v1/apis/{admin}", body: `{"audience":"urn:other"}`, status: 400},
	{name: "delete/unknown", method: "DELETE", path: "/admin/v1/apis/api_nope", status: 404},
	{name: "delete/admin", method: "DELETE", path: "/admin/v1/apis/{admin}", status: 409},
	{name: "collection/PUT", method: "PUT", path: "/admin/v1/apis", status: 405, allow: "POST, GET"},
	{name: "item/POST", method: "POST", path: "/admin/v1/apis/{api}", body: `{}`, status: 405, allow: "GET, PATCH, DELETE"},
}

var clientErrors = []errorCase{
	{name: "create/no name", method: "POST", path: "/admin/v1/clients", body: `{}`, status: 400},
	{name: "create/client_secret given", method: "POST", path: "/admin/v1/clients", body: `{"name":"A","client_secret":"mint_x"}`, status: 400},
	{name: "create/name with newline", method: "POST", path: "/admin/v1/clients", body: `{"name":"a\nb"}`, status: 400},
	{name: "get/unknown", method: "GET", path: "/admin/v1/clients/nope", status: 404},
	{name: "patch/unknown", method: "PATCH", path: "/admin/v1/clients/nope", body: `{"name":"B"}`, status: 404},
	{name: "patch/empty name", method: "PATCH", path: "/admin/v1/clients/{client}", body: `{"name":""}`, status: 400},
	{name: "patch/client_id", method: "PATCH", path: "/admin/v1/clients/{client}", body: `{"client_id":"other"}`, status: 400},
	{name: "delete/unknown", method: "DELETE", path: "/admin/v1/clients/nope", status: 404},
	{name: "rotate/unknown", method: "POST", path: "/admin/v1/clients/nope/rotate-secret", status: 404, contentType: "-"},
	{name: "rotate/negative ttl", method: "POST", path: "/admin/v1/clients/{client}/rotate-secret", body: `{"old_secret_ttl":-1}`, status: 400},
	{name: "rotate/ttl too long", method: "POST", path: "/admin/v1/clients/{client}/rotate-secret", body: `{"old_secret_ttl":2592001}`, status: 400},
	{name: "rotate/ttl string", method: "POST", path: "/admin/v1/clients/{client}/rotate-secret", body: `{"old_secret_ttl":"60"}`, status: 400},
	{name: "rotate/text plain body", method: "POST", path: "/admin/v1/clients/{client}/rotate-secret", body: `old_secret_ttl=60`, contentType: "text/plain", status: 415},
	{name: "rotate/array body", method: "POST", path: "/admin/v1/clients/{client}/rotate-secret", body: `[1]`, status: 400},
	{name: "rotate/GET", method: "GET", path: "/admin/v1/clients/{client}/rotate-secret", status: 405, allow: "POST"},
	{name: "item/PUT", method: "PUT", path: "/admin/v1/clients/{client}", body: `{}`, status: 405, allow: "GET, PATCH, DELETE"},
	{name: "create/jwks private key", method: "POST", path: "/admin/v1/clients", body: `{"name":"A","jwks":{"keys":[` + privateJWK + `]}}`, status: 400},
	{name: "create/jwks not a set", method: "POST", path: "/admin/v1/clients", body: `{"name":"A","jwks":[1]}`, status: 400},
	{name: "create/introspect_all string", method: "POST", path: "/admin/v1/clients", body: `{"name":"A","introspect_all":"yes"}`, status: 400},
	{name: "patch/jwks symmetric", method: "PATCH", path: "/admin/v1/clients/{client}", body: `{"jwks":{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}}`, status: 400},
	{name: "delete/revoke_tokens not boolean", method: "DELETE", path: "/admin/v1/clients/{client}?revoke_tokens=yes", status: 400},
	{name: "rotate/revoke_tokens string", method: "POST", path: "/admin/v1/clients/{client}/rotate-secret", body: `{"revoke_tokens":"true"}`, status: 400},
}

var grantErrors = []errorCase{
	{name: "create/no client_id", method: "POST", path: "/admin/v1/grants", body: `{"audience":"https://cargo"}`, status: 400},
	{name: "create/no audience", method: "POST", path: "/admin/v1/grants", body: `{"client_id":"{client}"}`, status: 400},
	{name: "create/unknown client", method: "POST", path: "/admin/v1/grants", body: `{"client_id":"nope","audience":"https://cargo"}`, status: 400},
	{name: "create/unknown audience", method: "POST", path: "/admin/v1/grants", body: `{"client_id":"{client}","audience":"https://nope"}`, status: 400},
	{name: "create/scope not on API", method: "POST", path: "/admin/v1/grants", body: `{"client_id":"{client}","audience":"urn:mint:admin","scopes":["apis:read","cargo:read"]}`, status: 400},
	{name: "create/duplicate", method: "POST", path: "/admin/v1/grants", body: `{"client_id":"{client}","audience":"https://cargo"}`, status: 409},
	{name: "get/unknown", method: "GET", path: "/admin/v1/grants/grant_nope", status: 404},
	{name: "patch/unknown", method: "PATCH", path: "/admin/v1/grants/grant_nope", body: `{"scopes":[]}`, status: 404},
	{name: "patch/client_id", method: "PATCH", path: "/admin/v1/grants/{grant}", body: `{"client_id":"other"}`, status: 400},
	{name: "patch/audience", method: "PATCH", path: "/admin/v1/grants/{grant}", body: `{"audience":"https://other"}`, status: 400},
	{name: "patch/scope not on API", method: "PATCH", path: "/admin/v1/grants/{grant}", body: `{"scopes":["read:cargo","delete:cargo"]}`, status: 400},
	{name: "patch/duplicate scope", method: "PATCH", path: "/admin/v1/grants/{grant}", body: `{"scopes":["read:cargo","read:cargo"]}`, status: 400},
	{name: "delete/unknown", method: "DELETE", path: "/admin/v1/grants/grant_nope", status: 404},
	{name: "collection/DELETE", method: "DELETE", path: "/admin/v1/grants", status: 405, allow: "POST, GET"},
}

var pathErrors = []errorCase{
	{name: "unknown resource", method: "GET", path: "/admin/v1/widgets", status: 404},
	{name: "version root", method: "GET", path: "/admin/v1/", status: 404},
	{name: "unknown version", method: "GET", path: "/admin/v2/apis", status: 404},
	{name: "trailing slash", method: "GET", path: "/admin/v1/apis/", status: 404},
	{name: "too deep", method: "GET", path: "/admin/v1/apis/{api}/grants", status: 404},
}

// TestErrors checks every refused request's status, headers and exact body.
func TestErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.fixtures()
	groups := []struct {
		name  string
		cases []errorCase
	}{{"apis", apiErrors}, {"clients", clientErrors}, {"grants", grantErrors}, {"paths", pathErrors}}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tt := range g.cases {
				t.Run(tt.name, func(t *testing.T) { h.checkError(t, f, tt) })
			}
		})
	}
}

func (h *harness) checkError(t *testing.T, f fixtures, tt errorCase) {
	c := call{method: tt.method, path: f.expand(tt.path), token: h.bearer,
		contentType: tt.contentType, body: f.expand(tt.body)}
	switch {
	case c.contentType == "-":
		c.contentType = ""
	case c.contentType == "" && (c.body != "" || tt.method == "POST" || tt.method == "PATCH"):
		c.contentType = jsonCT
	}
	a := h.do(c)
	if a.status != tt.status {
		t.Fatalf("status %d, want %d; body %s", a.status, tt.status, a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != jsonCT {
		t.Errorf("Content-Type %q, want %q", ct, jsonCT)
	}
	if cc := a.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	if got := a.header.Get("Allow"); got != tt.allow {
		t.Errorf("Allow %q, want %q", got, tt.allow)
	}
	golden(t, a.body)
}

// privateJWK is the Ed25519 private key of RFC 8037 §A.1: a client must
// register public keys only.
const privateJWK = `{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`
