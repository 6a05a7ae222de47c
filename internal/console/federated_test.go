package console_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/testdb"
)

// newClient creates a client through the admin API and returns its id and
// secret.
func (m *testMint) newClient(t *testing.T, name string) (id, secret string) {
	t.Helper()
	var c struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	if status := m.admin(t, "POST", "/admin/v1/clients", map[string]any{"name": name}, &c); status != http.StatusCreated {
		t.Fatalf("create client: %d", status)
	}
	return c.ID, c.Secret
}

type ruleJSON struct {
	ID       string            `json:"id"`
	Issuer   string            `json:"issuer"`
	Subject  string            `json:"subject"`
	Audience string            `json:"audience"`
	Claims   map[string]string `json:"claims"`
	MaxAge   int64             `json:"max_age"`
	JWKSURI  string            `json:"jwks_uri"`
}

// rules reads a client's trust rules through the admin API.
func (m *testMint) rules(t *testing.T, clientID string) []ruleJSON {
	t.Helper()
	var list struct {
		Items []ruleJSON `json:"items"`
	}
	if status := m.admin(t, "GET", "/admin/v1/clients/"+clientID+"/federated-credentials", nil, &list); status != http.StatusOK {
		t.Fatalf("list rules: %d", status)
	}
	return list.Items
}

func ruleForm(csrf string, kv ...string) url.Values {
	f := url.Values{"csrf": {csrf}, "issuer": {"https://token.actions.example"},
		"subject": {"repo:acme/cargo:ref:refs/heads/main"}, "audience": {"https://mint.example"},
		"claims": {"repository_owner=acme\nenvironment=prod"}, "max_age": {"600"}, "jwks_uri": {""}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

// TestTrustRuleAddAndDelete: a rule added on the client page is stored as
// typed, listed on the page, and deleted once confirmed.
func TestTrustRuleAddAndDelete(t *testing.T) {
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) { testTrustRuleAddAndDelete(t, startMintOn(t, testdb.New(t, backend))) })
	}
}

func testTrustRuleAddAndDelete(t *testing.T, m *testMint) {
	id, _ := m.newClient(t, "ci deployer")
	u := newUser(t, m)
	u.mustSignIn()
	page := "/console/clients/" + id
	if p := u.get(page); p.StatusCode != http.StatusOK || !strings.Contains(p.Body, `id="no-trust-rules"`) {
		t.Fatalf("client page without rules: %d\n%s", p.StatusCode, p.Body)
	}
	p := u.post(page+"/trust-rules", ruleForm(u.csrf))
	if p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != page {
		t.Fatalf("add rule: %d → %q\n%s", p.StatusCode, p.Header.Get("Location"), p.Body)
	}
	rules := m.rules(t, id)
	if len(rules) != 1 {
		t.Fatalf("rules: %+v, want one", rules)
	}
	r := rules[0]
	if r.Issuer != "https://token.actions.example" || r.Subject != "repo:acme/cargo:ref:refs/heads/main" ||
		r.Audience != "https://mint.example" || r.MaxAge != 600 || r.JWKSURI != "" ||
		len(r.Claims) != 2 || r.Claims["repository_owner"] != "acme" || r.Claims["environment"] != "prod" {
		t.Errorf("stored rule = %+v", r)
	}
	shown := u.get(page)
	row := between(shown.Body, `<tr id="rule-`+r.ID+`">`, "</tr>")
	for _, want := range []string{"https://token.actions.example", "repo:acme/cargo:ref:refs/heads/main",
		"https://mint.example", "environment=prod", "repository_owner=acme", "10m0s", "from discovery"} {
		if !strings.Contains(row, want) {
			t.Errorf("the rule's row lacks %q:\n%s", want, row)
		}
	}

	del := page + "/trust-rules/" + r.ID + "/delete"
	if p := u.post(del, url.Values{"csrf": {u.csrf}}); p.StatusCode != http.StatusOK || !strings.Contains(p.Body, "Delete the trust rule for https://token.actions.example?") {
		t.Fatalf("delete without confirmation: %d, want the confirmation page\n%s", p.StatusCode, p.Body)
	}
	if n := len(m.rules(t, id)); n != 1 {
		t.Fatalf("an unconfirmed delete removed the rule (%d left)", n)
	}
	if p := u.post(del, url.Values{"csrf": {u.csrf}, "confirmed": {"yes"}}); p.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirmed delete: %d\n%s", p.StatusCode, p.Body)
	}
	if n := len(m.rules(t, id)); n != 0 {
		t.Errorf("rules after delete: %d, want 0", n)
	}
	if p := u.post(del, url.Values{"csrf": {u.csrf}, "confirmed": {"yes"}}); p.StatusCode != http.StatusNotFound {
		t.Errorf("deleting it again: %d, want 404", p.StatusCode)
	}
}

// TestTrustRuleFieldErrors: the admin API's checks refuse a bad rule and
// the console shows why beside the field at fault, nothing stored.
func TestTrustRuleFieldErrors(t *testing.T) {
	m := startMint(t)
	id, _ := m.newClient(t, "ci deployer")
	m.admin(t, "POST", "/admin/v1/apis", map[string]any{"name": "Cargo", "audience": "https://cargo.example"}, nil)
	u := newUser(t, m)
	u.mustSignIn()
	u.get("/console/clients/" + id)
	cases := []struct {
		name, field string
		kv          []string
		want        string
	}{
		{"no issuer", "issuer", []string{"issuer", ""}, "issuer is required"},
		{"plain http issuer", "issuer", []string{"issuer", "http://issuer.example"}, "https"},
		{"issuer not a URL", "issuer", []string{"issuer", "issuer.example"}, ""},
		{"no subject", "subject", []string{"subject", ""}, "subject is required"},
		{"subject is the issuer", "subject", []string{"subject", "https://token.actions.example"}, "subject must differ"},
		{"subject with a control character", "subject", []string{"subject", "repo:a\x01b"}, "control characters"},
		{"an API's audience", "audience", []string{"audience", "https://cargo.example"}, "must not be an API's audience"},
		{"the admin API's audience", "audience", []string{"audience", "urn:mint:admin"}, "must not be an API's audience"},
		{"a registered claim", "claims", []string{"claims", "iss=https://other.example"}, "claims must not set"},
		{"a line without =", "claims", []string{"claims", "repository_owner"}, "name=value"},
		{"a claim twice", "claims", []string{"claims", "env=a\nenv=b"}, "two conditions"},
		{"max_age not a number", "max_age", []string{"max_age", "an hour"}, "whole number"},
		{"max_age zero", "max_age", []string{"max_age", "0"}, "max_age must be"},
		{"jwks_uri not https", "jwks_uri", []string{"jwks_uri", "ftp://keys.example/jwks"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := u.post("/console/clients/"+id+"/trust-rules", ruleForm(u.csrf, tc.kv...))
			if p.StatusCode != http.StatusBadRequest {
				t.Fatalf("%d, want 400\n%s", p.StatusCode, p.Body)
			}
			msg := html.UnescapeString(between(p.Body, `id="rule-`+tc.field+`-error">`, "</p>"))
			if msg == "" || !strings.Contains(msg, tc.want) {
				t.Errorf("error beside %s = %q, want one saying %q", tc.field, msg, tc.want)
			}
			if !strings.Contains(p.Body, `id="rule-`+tc.field+`"`) || !strings.Contains(p.Body, `aria-invalid="true"`) {
				t.Error("the field at fault is not marked invalid")
			}
		})
	}
	if n := len(m.rules(t, id)); n != 0 {
		t.Errorf("rules: %d, want 0: a refused form stored one", n)
	}
}

// TestTrustRuleEscapesValues: what an operator (or whoever wrote the CI
// settings pasted into the form) types is shown as text, on the page and
// when the form is shown again with an error.
func TestTrustRuleEscapesValues(t *testing.T) {
	m := startMint(t)
	id, _ := m.newClient(t, "ci deployer")
	u := newUser(t, m)
	u.mustSignIn()
	page := "/console/clients/" + id
	u.get(page)
	const evil = `"><script>alert(1)</script><img src=x onerror=alert(2)>`
	p := u.post(page+"/trust-rules", ruleForm(u.csrf, "issuer", "https://issuer.example/"+url.PathEscape(`<b>x</b>`),
		"subject", "repo:"+evil, "claims", "team="+evil))
	if p.StatusCode != http.StatusSeeOther {
		t.Fatalf("add rule: %d\n%s", p.StatusCode, p.Body)
	}
	shown := u.get(page).Body
	// A refused form shows the values typed again (max_age is not a
	// number), as text too.
	rp := u.post(page+"/trust-rules", ruleForm(u.csrf, "issuer", "https://"+evil, "subject", evil,
		"claims", evil+"=x", "max_age", "never", "jwks_uri", "https://"+evil))
	if rp.StatusCode != http.StatusBadRequest {
		t.Fatalf("refused form: %d, want 400", rp.StatusCode)
	}
	refused := rp.Body
	for name, body := range map[string]string{"page": shown, "refused form": refused} {
		for _, raw := range []string{"<script>alert(1)", "<img src=x", `"><script`} {
			if strings.Contains(body, raw) {
				t.Errorf("%s holds %q unescaped", name, raw)
			}
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s does not show the value as text:\n%s", name, between(body, `id="trust-heading"`, `id="binding-heading"`))
		}
	}
}

// TestTrustRuleNeedsCSRF: adding, deleting and setting the binding without
// the session's CSRF token, or with another's, change nothing.
func TestTrustRuleNeedsCSRF(t *testing.T) {
	m := startMint(t)
	id, _ := m.newClient(t, "ci deployer")
	m.admin(t, "POST", "/admin/v1/clients/"+id+"/federated-credentials", map[string]any{
		"issuer": "https://issuer.example", "subject": "kept", "audience": "https://mint.example"}, nil)
	rule := m.rules(t, id)[0]
	u := newUser(t, m)
	u.mustSignIn()
	other := newUser(t, m)
	other.mustSignIn()
	for name, csrf := range map[string]string{"missing": "", "wrong": otherToken(u.csrf), "another session's": other.csrf} {
		t.Run(name, func(t *testing.T) {
			posts := map[string]url.Values{
				"/trust-rules":                        ruleForm(csrf),
				"/trust-rules/" + rule.ID + "/delete": {"csrf": {csrf}, "confirmed": {"yes"}},
				"/binding":                            {"csrf": {csrf}, "token_binding": {"dpop"}},
			}
			for path, form := range posts {
				if p := u.post("/console/clients/"+id+path, form); p.StatusCode != http.StatusForbidden {
					t.Errorf("POST %s: %d, want 403", path, p.StatusCode)
				}
			}
		})
	}
	t.Run("cross-site", func(t *testing.T) {
		p := u.post("/console/clients/"+id+"/trust-rules/"+rule.ID+"/delete", url.Values{"csrf": {u.csrf}, "confirmed": {"yes"}},
			"Sec-Fetch-Site", "cross-site", "Origin", "http://evil.example")
		if p.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site delete: %d, want 403", p.StatusCode)
		}
	})
	if rules := m.rules(t, id); len(rules) != 1 || rules[0].ID != rule.ID {
		t.Errorf("rules = %+v, want the one rule untouched", rules)
	}
	var c struct {
		TokenBinding string `json:"token_binding"`
	}
	m.admin(t, "GET", "/admin/v1/clients/"+id, nil, &c)
	if c.TokenBinding != "" {
		t.Errorf("token_binding = %q, want unchanged", c.TokenBinding)
	}
}

// TestTrustRulePrivilege: the admin API's scope checks hold through the
// console. An operator that may only read clients sees the rules and can
// neither add nor delete one; one that may write clients but holds fewer
// admin scopes than the bootstrap admin cannot add a rule to it, which
// would let a token of its choosing authenticate as that admin.
func TestTrustRulePrivilege(t *testing.T) {
	m := startMint(t)
	target, _ := m.newClient(t, "ci deployer")
	m.admin(t, "POST", "/admin/v1/clients/"+target+"/federated-credentials", map[string]any{
		"issuer": "https://issuer.example", "subject": "kept", "audience": "https://mint.example"}, nil)
	rule := m.rules(t, target)[0]
	operator := func(scopes ...string) *user {
		id, secret := m.newClient(t, "operator "+strings.Join(scopes, "+"))
		m.admin(t, "POST", "/admin/v1/grants", map[string]any{"client_id": id, "audience": "urn:mint:admin", "scopes": scopes}, nil)
		u := newUser(t, m)
		if p := u.signIn(id, secret); p.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in: %d\n%s", p.StatusCode, p.Body)
		}
		return u
	}

	reader := operator("clients:read", "grants:read", "apis:read")
	p := reader.get("/console/clients/" + target)
	if p.StatusCode != http.StatusOK || !strings.Contains(p.Body, "https://issuer.example") {
		t.Fatalf("client page with clients:read: %d\n%s", p.StatusCode, p.Body)
	}
	if p := reader.post("/console/clients/"+target+"/trust-rules", ruleForm(reader.csrf)); p.StatusCode != http.StatusBadRequest || !strings.Contains(p.Body, "clients:write") {
		t.Errorf("add without clients:write: %d\n%s", p.StatusCode, p.Body)
	}
	del := "/console/clients/" + target + "/trust-rules/" + rule.ID + "/delete"
	if p := reader.post(del, url.Values{"csrf": {reader.csrf}, "confirmed": {"yes"}}); p.StatusCode != http.StatusForbidden {
		t.Errorf("delete without clients:write: %d, want 403\n%s", p.StatusCode, p.Body)
	}
	if rules := m.rules(t, target); len(rules) != 1 {
		t.Errorf("rules of the target: %d, want the one untouched", len(rules))
	}

	writer := operator("clients:read", "clients:write", "grants:read", "apis:read")
	writer.get("/console/clients/" + adminID)
	if p := writer.post("/console/clients/"+adminID+"/trust-rules", ruleForm(writer.csrf)); p.StatusCode != http.StatusBadRequest {
		t.Errorf("add a rule to the bootstrap admin with fewer scopes: %d, want 400\n%s", p.StatusCode, p.Body)
	}
	if rules := m.rules(t, adminID); len(rules) != 0 {
		t.Errorf("the bootstrap admin has %d trust rules: an operator with fewer scopes added one", len(rules))
	}
}

// TestTrustRuleKeyLocationAndLimit: a form with only a key set URL makes
// the client's own key location, shown as such; past the admin API's
// limit of rules a client holds, the form says so and nothing is added.
func TestTrustRuleKeyLocationAndLimit(t *testing.T) {
	m := startMint(t)
	id, _ := m.newClient(t, "partner")
	u := newUser(t, m)
	u.mustSignIn()
	page := "/console/clients/" + id
	u.get(page)
	only := url.Values{"csrf": {u.csrf}, "issuer": {""}, "subject": {""}, "audience": {""}, "claims": {""},
		"max_age": {""}, "jwks_uri": {"https://keys.partner.example/jwks.json"}}
	if p := u.post(page+"/trust-rules", only); p.StatusCode != http.StatusSeeOther {
		t.Fatalf("key location: %d\n%s", p.StatusCode, p.Body)
	}
	rules := m.rules(t, id)
	if len(rules) != 1 || rules[0].Issuer != id || rules[0].JWKSURI != "https://keys.partner.example/jwks.json" {
		t.Fatalf("rules = %+v, want the client's key location", rules)
	}
	row := between(u.get(page).Body, `<tr id="rule-`+rules[0].ID+`">`, "</tr>")
	if !strings.Contains(row, "The client's own keys") || !strings.Contains(row, "Delete the key set URL https://keys.partner.example/jwks.json?") {
		t.Errorf("key location row:\n%s", row)
	}
	for i := 1; i < 20; i++ {
		m.admin(t, "POST", "/admin/v1/clients/"+id+"/federated-credentials", map[string]any{
			"issuer": "https://issuer.example", "subject": fmt.Sprint("s", i), "audience": "https://mint.example"}, nil)
	}
	if n := len(m.rules(t, id)); n != 20 {
		t.Fatalf("rules: %d, want 20", n)
	}
	p := u.post(page+"/trust-rules", ruleForm(u.csrf))
	if p.StatusCode != http.StatusBadRequest || !strings.Contains(p.Body, "at most 20") {
		t.Errorf("21st rule: %d\n%s", p.StatusCode, between(p.Body, `id="add-rule-heading"`, "</form>"))
	}
	if n := len(m.rules(t, id)); n != 20 {
		t.Errorf("rules: %d, want 20", n)
	}
}
