package admin

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/mint"
)

const ghRule = `{"issuer":"https://token.actions.githubusercontent.com","subject":"repo:acme/deploy:ref:refs/heads/main",` +
	`"claims":{"repository_owner":"acme","job_workflow_ref":"acme/*/.github/workflows/deploy.yml@refs/heads/main"}}`

func TestFederatedCredentialsLifecycle(t *testing.T) {
	h := newHarness(t)
	h.seedClient("partner", nil)
	base := "/admin/v1/clients/partner/federated-credentials"
	var made federatedView
	a := h.json("POST", base, ghRule, 201, &made)
	if loc := a.header.Get("Location"); loc != base+"/"+made.ID || !strings.HasPrefix(made.ID, "fed_") {
		t.Fatalf("Location %q for id %q", loc, made.ID)
	}
	// Defaults: mint's issuer as the audience, one hour of max_age.
	if made.Audience != testIssuer || made.MaxAge != 3600 || made.ClientID != "partner" || made.JWKSURI != "" {
		t.Fatalf("created %+v", made)
	}
	var got federatedView
	h.json("GET", base+"/"+made.ID, nil, 200, &got)
	if fmt.Sprint(got) != fmt.Sprint(made) {
		t.Fatalf("GET %+v, created %+v", got, made)
	}
	var list struct{ Items []federatedView }
	h.json("GET", base, nil, 200, &list)
	if len(list.Items) != 1 || list.Items[0].ID != made.ID {
		t.Fatalf("list %+v", list)
	}
	// Another client's path does not reach the rule.
	h.seedClient("other", nil)
	h.json("GET", "/admin/v1/clients/other/federated-credentials/"+made.ID, nil, 404, nil)
	h.json("DELETE", "/admin/v1/clients/other/federated-credentials/"+made.ID, nil, 404, nil)
	h.json("DELETE", base+"/"+made.ID, nil, 204, nil)
	h.json("GET", base+"/"+made.ID, nil, 404, nil)
	h.json("GET", "/admin/v1/clients/nobody/federated-credentials", nil, 404, nil)
	h.json("POST", "/admin/v1/clients/nobody/federated-credentials", ghRule, 404, nil)

	kinds := auditKindsOf(t, h, "partner")
	want := []string{"admin.clients.federated-credentials.create", "admin.clients.federated-credentials.delete"}
	if fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Fatalf("audit kinds %v, want %v", kinds, want)
	}
}

// auditKindsOf lists the kinds of the admin records about clientID.
func auditKindsOf(t *testing.T, h *harness, clientID string) []string {
	t.Helper()
	recs, err := h.store.ListAudit(t.Context(), mint.AuditFilter{ClientID: clientID, Kind: "admin."})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, r := range recs {
		kinds = append(kinds, r.Kind)
		if !json.Valid(r.Details) || r.Subject == "" {
			t.Errorf("record %s: subject %q, details %s", r.Kind, r.Subject, r.Details)
		}
	}
	return kinds
}

func TestFederatedCredentialRefusals(t *testing.T) {
	h := newHarness(t)
	h.seedClient("partner", nil)
	h.json("POST", "/admin/v1/apis", `{"name":"Cargo","audience":"https://cargo","scopes":["read"]}`, 201, nil)
	cases := []struct{ name, body, field string }{
		{"no issuer", `{"subject":"s"}`, "issuer"},
		{"http issuer", `{"issuer":"http://issuer.example","subject":"s"}`, "issuer"},
		{"issuer with query", `{"issuer":"https://issuer.example/?a=b","subject":"s"}`, "issuer"},
		{"issuer not a URL", `{"issuer":"issuer.example","subject":"s"}`, "issuer"},
		{"issuer with user", `{"issuer":"https://u:p@issuer.example","subject":"s"}`, "issuer"},
		{"mint itself", `{"issuer":"` + testIssuer + `","subject":"s"}`, "issuer"},
		{"http jwks_uri", `{"issuer":"https://issuer.example","subject":"s","jwks_uri":"http://keys.example/jwks"}`, "jwks_uri"},
		{"no subject", `{"issuer":"https://issuer.example"}`, "subject"},
		{"subject is issuer", `{"issuer":"https://issuer.example","subject":"https://issuer.example"}`, "subject"},
		{"subject with newline", `{"issuer":"https://issuer.example","subject":"a\nb"}`, "subject"},
		{"admin audience", `{"issuer":"https://issuer.example","subject":"s","audience":"urn:mint:admin"}`, "audience"},
		{"an API's audience", `{"issuer":"https://issuer.example","subject":"s","audience":"https://cargo"}`, "audience"},
		{"claim on sub", `{"issuer":"https://issuer.example","subject":"s","claims":{"sub":"x"}}`, "claims"},
		{"claim on aud", `{"issuer":"https://issuer.example","subject":"s","claims":{"aud":"x"}}`, "claims"},
		{"empty claim value", `{"issuer":"https://issuer.example","subject":"s","claims":{"repo":""}}`, "claims"},
		{"double star", `{"issuer":"https://issuer.example","subject":"s","claims":{"repo":"acme/**"}}`, "claims"},
		{"claim not a string", `{"issuer":"https://issuer.example","subject":"s","claims":{"run":1}}`, ""},
		{"max_age 0", `{"issuer":"https://issuer.example","subject":"s","max_age":0}`, "max_age"},
		{"max_age past a day", `{"issuer":"https://issuer.example","subject":"s","max_age":86401}`, "max_age"},
		{"unknown field", `{"issuer":"https://issuer.example","subject":"s","subjects":["a"]}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := h.json("POST", "/admin/v1/clients/partner/federated-credentials", c.body, 400, nil)
			var e struct{ Error, Field string }
			if err := json.Unmarshal(a.body, &e); err != nil || e.Error != "invalid_request" || (c.field != "" && e.Field != c.field) {
				t.Fatalf("answer %s, want invalid_request on %q", a.body, c.field)
			}
		})
	}
	// http on loopback is allowed: tests and a partner on the same host.
	h.json("POST", "/admin/v1/clients/partner/federated-credentials", `{"issuer":"http://127.0.0.1:8443","subject":"s"}`, 201, nil)
	// The bound per client.
	for i := 1; i < mint.MaxFederatedCredentials; i++ {
		h.json("POST", "/admin/v1/clients/partner/federated-credentials", fmt.Sprintf(`{"issuer":"https://i%d.example","subject":"s"}`, i), 201, nil)
	}
	h.json("POST", "/admin/v1/clients/partner/federated-credentials", `{"issuer":"https://one-more.example","subject":"s"}`, 409, nil)
}

// A trust rule is a way to authenticate as the client: on a client that
// holds admin scopes, only an admin holding them too may add or remove one.
func TestFederatedCredentialsGuardAdminClients(t *testing.T) {
	h := newHarness(t)
	h.seedClient("victim", []string{"apis:write", "keys:write"})
	h.setAdminGrant([]string{"clients:read", "clients:write"})
	weak := h.token("clients:read", "clients:write")
	a := h.do(call{method: "POST", path: "/admin/v1/clients/victim/federated-credentials", token: weak,
		contentType: "application/json", body: `{"issuer":"https://attacker.example","subject":"me"}`})
	if a.status != 403 {
		t.Fatalf("adding a trust rule to an admin client without its scopes: %d %s", a.status, a.body)
	}
}

// A jwks_uri alone is where the client's own private_key_jwt keys are:
// stored with the client's id as issuer and subject.
func TestFederatedKeyLocation(t *testing.T) {
	h := newHarness(t)
	h.seedClient("signer", nil)
	base := "/admin/v1/clients/signer/federated-credentials"
	var made federatedView
	h.json("POST", base, `{"jwks_uri":"https://keys.partner.example/jwks.json"}`, 201, &made)
	if made.Issuer != "signer" || made.Subject != "signer" || made.JWKSURI != "https://keys.partner.example/jwks.json" || len(made.Claims) != 0 {
		t.Fatalf("key location stored as %+v", made)
	}
	for _, body := range []string{
		`{"jwks_uri":"http://keys.partner.example/jwks.json"}`,
		`{"jwks_uri":"https://keys.partner.example/jwks.json?x=1"}`,
		`{"jwks_uri":"keys.partner.example"}`,
	} {
		h.json("POST", base, body, 400, nil)
	}
	// With any other field it is an ordinary rule, whose issuer is required.
	h.json("POST", base, `{"jwks_uri":"https://keys.partner.example/jwks.json","max_age":60}`, 400, nil)
}
