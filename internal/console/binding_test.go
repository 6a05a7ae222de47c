package console_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/testdb"
)

func apiEditForm(csrf, binding string) url.Values {
	f := url.Values{"csrf": {csrf}, "name": {"Cargo"}, "scopes": {"read:cargo"}, "token_lifetime": {"3600"},
		"signing_alg": {"ES256"}, "policy": {""}}
	if binding != "-" {
		f.Set("token_binding", binding)
	}
	return f
}

// TestAPITokenBinding: the API page shows the binding, saves each choice,
// refuses a value that is none with the error beside the field, and a
// form without the field leaves the binding as it is.
func TestAPITokenBinding(t *testing.T) {
	m := startMint(t)
	var api struct {
		ID           string `json:"id"`
		TokenBinding string `json:"token_binding"`
	}
	m.admin(t, "POST", "/admin/v1/apis", map[string]any{"name": "Cargo", "audience": "https://cargo.example", "scopes": []string{"read:cargo"}}, &api)
	u := newUser(t, m)
	u.mustSignIn()
	page := "/console/apis/" + api.ID
	binding := func() string {
		var got struct {
			TokenBinding string `json:"token_binding"`
		}
		m.admin(t, "GET", "/admin/v1/apis/"+api.ID, nil, &got)
		return got.TokenBinding
	}
	for _, tc := range []struct{ sent, want, shown string }{
		{"dpop", "dpop", "DPoP-bound tokens only"}, {"mtls", "mtls", "certificate-bound tokens only"},
		{"-", "mtls", "certificate-bound tokens only"}, {"", "", "any: bearer"},
	} {
		t.Run("sent "+tc.sent, func(t *testing.T) {
			u.get(page)
			if p := u.post(page, apiEditForm(u.csrf, tc.sent)); p.StatusCode != http.StatusSeeOther {
				t.Fatalf("save: %d\n%s", p.StatusCode, p.Body)
			}
			if got := binding(); got != tc.want {
				t.Errorf("token_binding = %q, want %q", got, tc.want)
			}
			p := u.get(page)
			if shown := between(p.Body, `id="api-binding-value">`, "</dd>"); !strings.Contains(shown, tc.shown) {
				t.Errorf("page shows %q, want %q", shown, tc.shown)
			}
			if !strings.Contains(p.Body, `<option value="`+tc.want+`" selected>`) {
				t.Errorf("the select does not hold %q", tc.want)
			}
		})
	}
	u.get(page)
	p := u.post(page, apiEditForm(u.csrf, "bearer"))
	msg := html.UnescapeString(between(p.Body, `id="edit-binding-error">`, "</p>"))
	if p.StatusCode != http.StatusBadRequest || !strings.Contains(msg, "token_binding must be") {
		t.Errorf("unknown binding: %d, error beside the field %q", p.StatusCode, msg)
	}
	if got := binding(); got != "" {
		t.Errorf("token_binding = %q after a refused form, want it unchanged", got)
	}
}

// TestAdminAPIBindingNotOffered: the built-in admin API's page shows its
// binding but offers no field to change it, and saving its form leaves the
// binding as it is: the admin API takes bearer tokens only.
func TestAdminAPIBindingNotOffered(t *testing.T) {
	m := startMint(t)
	var apis []struct{ ID, Audience string }
	m.admin(t, "GET", "/admin/v1/apis", nil, &apis)
	var adminAPI string
	for _, a := range apis {
		if a.Audience == "urn:mint:admin" {
			adminAPI = a.ID
		}
	}
	u := newUser(t, m)
	u.mustSignIn()
	p := u.get("/console/apis/" + adminAPI)
	if p.StatusCode != http.StatusOK || strings.Contains(p.Body, `name="token_binding"`) || !strings.Contains(p.Body, `id="api-binding-value"`) {
		t.Fatalf("admin API page: %d; a token_binding field offered, or the binding not shown", p.StatusCode)
	}
	var before struct{ Name string }
	m.admin(t, "GET", "/admin/v1/apis/"+adminAPI, nil, &before)
	f := url.Values{"csrf": {u.csrf}, "name": {before.Name}, "scopes": {between(p.Body, `id="edit-scopes" name="scopes" value="`, `"`)},
		"token_lifetime": {"3600"}, "signing_alg": {"RS256"}, "policy": {""}}
	if p := u.post("/console/apis/"+adminAPI, f); p.StatusCode != http.StatusSeeOther {
		t.Fatalf("save the admin API's form: %d\n%s", p.StatusCode, p.Body)
	}
	if tok, status := m.token(t, adminID, adminSecret, "urn:mint:admin"); status != http.StatusOK || tok == "" {
		t.Errorf("a bearer admin token after saving the admin API's form: %d", status)
	}
}

// TestClientTokenBinding: the client page's binding form saves each
// choice, and refuses others beside the field.
func TestClientTokenBinding(t *testing.T) {
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) { testClientTokenBinding(t, startMintOn(t, testdb.New(t, backend))) })
	}
}

func testClientTokenBinding(t *testing.T, m *testMint) {
	id, _ := m.newClient(t, "ci deployer")
	u := newUser(t, m)
	u.mustSignIn()
	page := "/console/clients/" + id
	binding := func() string {
		var c struct {
			TokenBinding string `json:"token_binding"`
		}
		m.admin(t, "GET", "/admin/v1/clients/"+id, nil, &c)
		return c.TokenBinding
	}
	if shown := between(u.get(page).Body, `id="client-binding-value">`, "</dd>"); !strings.Contains(shown, "any: bearer") {
		t.Errorf("a new client's binding shows as %q", shown)
	}
	for _, v := range []string{"dpop", "mtls", ""} {
		if p := u.post(page+"/binding", url.Values{"csrf": {u.csrf}, "token_binding": {v}}); p.StatusCode != http.StatusSeeOther {
			t.Fatalf("save %q: %d\n%s", v, p.StatusCode, p.Body)
		}
		if got := binding(); got != v {
			t.Errorf("token_binding = %q, want %q", got, v)
		}
		if !strings.Contains(u.get(page).Body, `<option value="`+v+`" selected>`) {
			t.Errorf("the select does not hold %q", v)
		}
	}
	for _, v := range []string{"DPoP", "bearer", "<b>x</b>"} {
		p := u.post(page+"/binding", url.Values{"csrf": {u.csrf}, "token_binding": {v}})
		msg := html.UnescapeString(between(p.Body, `id="client-binding-error">`, "</p>"))
		if p.StatusCode != http.StatusBadRequest || !strings.Contains(msg, "token_binding must be") {
			t.Errorf("%q: %d, error beside the field %q", v, p.StatusCode, msg)
		}
		if strings.Contains(p.Body, "<b>x</b>") {
			t.Error("the refused value is echoed unescaped")
		}
	}
	if got := binding(); got != "" {
		t.Errorf("token_binding = %q after refused forms, want it unchanged", got)
	}
}
