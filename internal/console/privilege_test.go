package console_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	mathrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/internal/mint"
)

// privilegeSeed makes the random subsets reproducible; a failure names its
// subset too.
const privilegeSeed = 13

// TestAdminScopesNeverGrow is the property of docs/admin.md's model: for
// many subsets S of the admin scopes, a client holding exactly S tries
// every write that could raise admin power, through the admin API and
// through the console, against a real mint over loopback. Then every
// client whose credentials it obtained (itself, the clients it created,
// the secrets it rotated, the keys it registered) takes a new admin token:
// the union of the scopes those tokens carry is within S. The admin API's
// own settings stay as they were unless S is every admin scope.
func TestAdminScopesNeverGrow(t *testing.T) {
	t.Parallel()
	rng := mathrand.New(mathrand.NewPCG(privilegeSeed, privilegeSeed))
	subsets := [][]string{{}, {"grants:read", "grants:write"}, {"clients:write"}, {"clients:read", "clients:write", "grants:write"},
		{"apis:write"}, allScopesBut("keys:read"), mint.AdminScopes}
	n := 16
	if testing.Short() {
		n = 4
	}
	for range n {
		var s []string
		for _, scope := range mint.AdminScopes {
			if rng.IntN(2) == 0 {
				s = append(s, scope)
			}
		}
		subsets = append(subsets, s)
	}
	for i, held := range subsets {
		t.Run(fmt.Sprintf("%d %s", i, strings.Join(held, "+")), func(t *testing.T) {
			a := newAttack(t, held)
			a.throughAPI()
			a.throughConsole()
			a.check()
		})
	}
}

func allScopesBut(drop string) []string {
	return slices.DeleteFunc(slices.Clone(mint.AdminScopes), func(s string) bool { return s == drop })
}

// credential is what the attacker learnt of a client: a secret or a
// private key registered for it; via says how.
type credential struct {
	clientID, secret string
	key              ed25519.PrivateKey
	via              string
	// issuer and subject: key signs tokens of that issuer, which a trust
	// rule on the client accepts (docs/federation.md).
	issuer, subject string
}

// attack is one subset's run: a fresh mint, the ids of everything in it
// (the attacker is assumed to know them all) and what the attacker learnt.
type attack struct {
	t                        *testing.T
	m                        *testMint
	held                     []string
	self, selfGrant          string
	victim, victimGrant      string
	plain, adminAPI, cargoID string
	learnt                   []credential
	adminBefore              json.RawMessage
	// worked counts, by how they were learnt, the credentials that got
	// an admin token with some scope: a check that the attack ran.
	worked map[string]int
}

func newAttack(t *testing.T, held []string) *attack {
	m := startMint(t)
	a := &attack{t: t, m: m, held: held, worked: map[string]int{}}
	a.victim = a.setupClient("victim")
	a.victimGrant = a.setupGrant(a.victim, mint.AdminAudience, mint.AdminScopes)
	a.plain = a.setupClient("plain")
	var self struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	m.admin(t, "POST", "/admin/v1/clients", map[string]any{"name": "attacker"}, &self)
	a.self = self.ID
	a.selfGrant = a.setupGrant(a.self, mint.AdminAudience, held)
	a.learnt = append(a.learnt, credential{clientID: self.ID, secret: self.Secret})
	var apis []struct{ ID, Audience string }
	m.admin(t, "GET", "/admin/v1/apis", nil, &apis)
	for _, api := range apis {
		if api.Audience == mint.AdminAudience {
			a.adminAPI = api.ID
		}
	}
	var cargo struct{ ID string }
	m.admin(t, "POST", "/admin/v1/apis", map[string]any{"name": "Cargo", "audience": "https://cargo", "scopes": []string{"read:cargo"}}, &cargo)
	a.cargoID = cargo.ID
	a.adminBefore = a.adminAPISettings()
	return a
}

func (a *attack) setupClient(name string) string {
	var c struct {
		ID string `json:"client_id"`
	}
	if st := a.m.admin(a.t, "POST", "/admin/v1/clients", map[string]any{"name": name}, &c); st != http.StatusCreated {
		a.t.Fatalf("setup client: %d", st)
	}
	return c.ID
}

func (a *attack) setupGrant(clientID, audience string, scopes []string) string {
	var g struct{ ID string }
	if st := a.m.admin(a.t, "POST", "/admin/v1/grants", map[string]any{"client_id": clientID, "audience": audience, "scopes": nonNil(scopes)}, &g); st != http.StatusCreated {
		a.t.Fatalf("setup grant: %d", st)
	}
	return g.ID
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// adminAPISettings is the admin API as its GET shows it, without its
// update time.
func (a *attack) adminAPISettings() json.RawMessage {
	var api map[string]any
	a.m.admin(a.t, "GET", "/admin/v1/apis/"+a.adminAPI, nil, &api)
	delete(api, "updated_at")
	b, _ := json.Marshal(api)
	return b
}

// throughAPI tries every privilege-raising write on the admin API with
// the attacker's token.
func (a *attack) throughAPI() {
	tok := a.token(a.learnt[0])
	if tok == "" {
		return // no admin token at all: nothing to try with
	}
	every := mint.AdminScopes
	call := func(method, path string, body any) map[string]any {
		return a.apiCall(tok, method, path, body)
	}
	// Widen its own grant, and grants of others, to every scope.
	call("PATCH", "/admin/v1/grants/"+a.selfGrant, map[string]any{"scopes": every})
	call("POST", "/admin/v1/grants", map[string]any{"client_id": a.plain, "audience": mint.AdminAudience, "scopes": every})
	// A client of its own, given every scope, or its own scopes then widened.
	for _, scopes := range [][]string{every, a.held} {
		if c := call("POST", "/admin/v1/clients", map[string]any{"name": "mine"}); c != nil {
			a.learnSecret(c)
			if g := call("POST", "/admin/v1/grants", map[string]any{"client_id": c["client_id"], "audience": mint.AdminAudience, "scopes": nonNil(scopes)}); g != nil {
				call("PATCH", "/admin/v1/grants/"+g["id"].(string), map[string]any{"scopes": every})
			}
		}
	}
	// Take over the clients that hold admin scopes, and one that holds none.
	for _, id := range []string{a.victim, adminID, a.plain} {
		a.learnSecret(call("POST", "/admin/v1/clients/"+id+"/rotate-secret", map[string]any{"old_secret_ttl": 3600}))
		key := newKey(a.t)
		if call("PATCH", "/admin/v1/clients/"+id, map[string]any{"jwks": jwksOf(key)}) != nil {
			a.learnt = append(a.learnt, credential{clientID: id, key: key, via: "api key"})
		}
	}
	call("POST", "/admin/v1/grants", map[string]any{"client_id": a.plain, "audience": mint.AdminAudience, "scopes": every})
	// Replace the victim's grant by one of its own making.
	call("DELETE", "/admin/v1/grants/"+a.victimGrant, nil)
	call("POST", "/admin/v1/grants", map[string]any{"client_id": a.victim, "audience": mint.AdminAudience, "scopes": every})
	// The admin API's settings, and a look-alike of its audience.
	call("PATCH", "/admin/v1/apis/"+a.adminAPI, map[string]any{"token_lifetime": 31536000, "audit_issuance": "off", "token_reuse": true})
	call("POST", "/admin/v1/apis", map[string]any{"name": "look-alike", "audience": "URN:MINT:ADMIN", "scopes": every})
	call("DELETE", "/admin/v1/apis/"+a.adminAPI, nil)
}

// apiCall sends one admin API request; it returns the decoded answer of a
// 2xx, nil otherwise.
func (a *attack) apiCall(tok, method, path string, body any) map[string]any {
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, a.m.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 500 {
		a.t.Fatalf("%s %s: %d", method, path, resp.StatusCode)
	}
	if resp.StatusCode/100 != 2 {
		return nil
	}
	out := map[string]any{}
	json.NewDecoder(resp.Body).Decode(&out)
	return out
}

func (a *attack) learnSecret(c map[string]any) {
	if c == nil {
		return
	}
	if s, _ := c["client_secret"].(string); s != "" {
		a.learnt = append(a.learnt, credential{clientID: c["client_id"].(string), secret: s, via: "api secret"})
	}
}

// throughConsole tries the same writes through the console's forms,
// signed in as the attacker.
func (a *attack) throughConsole() {
	self := a.learnt[0]
	u := newUser(a.t, a.m)
	if p := u.signIn(self.clientID, self.secret); p.StatusCode != http.StatusSeeOther {
		return // the console refuses a client without an admin token
	}
	u.get("/console/clients/" + self.clientID)
	if u.csrf == "" {
		a.t.Fatal("no CSRF token on the console's pages")
	}
	post := func(path string, form url.Values) page {
		form.Set("csrf", u.csrf)
		form.Set("confirmed", "yes")
		p := u.post(path, form)
		if p.StatusCode >= 500 {
			a.t.Fatalf("console %s: %d", path, p.StatusCode)
		}
		return p
	}
	every := url.Values{"scope": mint.AdminScopes}
	post("/console/clients/"+self.clientID+"/grants/"+a.selfGrant, every)
	post("/console/clients/"+a.plain+"/grants", url.Values{"audience": {mint.AdminAudience}, "scopes": {strings.Join(mint.AdminScopes, " ")}})
	if p := post("/console/clients", url.Values{"name": {"mine via console"}}); p.StatusCode == http.StatusSeeOther {
		loc := p.Header.Get("Location")
		id := strings.TrimPrefix(loc, "/console/clients/")
		a.learnConsoleSecret(u, id, loc)
		post(loc+"/grants", url.Values{"audience": {mint.AdminAudience}, "scopes": {strings.Join(mint.AdminScopes, " ")}})
	}
	for _, id := range []string{a.victim, adminID, a.plain} {
		if p := post("/console/clients/"+id+"/rotate", url.Values{"old_secret_ttl": {"3600"}}); p.StatusCode == http.StatusSeeOther {
			a.learnConsoleSecret(u, id, p.Header.Get("Location"))
		}
		post("/console/clients/"+id, url.Values{"name": {"renamed"}})
	}
	a.trustThroughConsole(post)
	post("/console/clients/"+a.victim+"/grants/"+a.victimGrant+"/delete", url.Values{})
	post("/console/apis/"+a.adminAPI, url.Values{"name": {"mine"}, "scopes": {strings.Join(mint.AdminScopes, " ")},
		"token_lifetime": {"31536000"}, "signing_alg": {mint.AlgRS256}})
	post("/console/apis", url.Values{"name": {"look-alike"}, "audience": {"Urn:Mint:Admin"}, "scopes": {"clients:write"},
		"token_lifetime": {"3600"}, "signing_alg": {mint.AlgRS256}})
	post("/console/apis/"+a.adminAPI+"/delete", url.Values{})
	// Last, its own secret: the session's token stays valid.
	if p := post("/console/clients/"+self.clientID+"/rotate", url.Values{"old_secret_ttl": {"0"}}); p.StatusCode == http.StatusSeeOther {
		a.learnConsoleSecret(u, self.clientID, p.Header.Get("Location"))
	}
}

// trustThroughConsole adds, on every client that could raise admin power,
// a trust rule for an issuer the attacker runs on loopback (plain http is
// allowed there), so that tokens it signs authenticate as that client.
func (a *attack) trustThroughConsole(post func(string, url.Values) page) {
	key := newKey(a.t)
	jwks, _ := json.Marshal(jwksOf(key))
	issuer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwks)
	}))
	a.t.Cleanup(issuer.Close)
	for _, id := range []string{a.victim, adminID, a.plain} {
		sub := "attacker:" + id
		p := post("/console/clients/"+id+"/trust-rules", url.Values{"issuer": {issuer.URL}, "subject": {sub},
			"audience": {""}, "claims": {""}, "max_age": {"600"}, "jwks_uri": {issuer.URL + "/jwks"}})
		if p.StatusCode == http.StatusSeeOther {
			a.learnt = append(a.learnt, credential{clientID: id, key: key, issuer: issuer.URL, subject: sub, via: "console trust rule"})
		}
	}
}

// learnConsoleSecret reads the secret a client page shows once.
func (a *attack) learnConsoleSecret(u *user, id, location string) {
	p := u.get(location)
	if s := between(p.Body, `<code id="new-secret" class="secret">`, "</code>"); s != "" {
		a.learnt = append(a.learnt, credential{clientID: id, secret: s, via: "console secret"})
	}
}

// check takes a new admin token with every credential learnt and holds the
// union of their scopes within the subset held at the start.
func (a *attack) check() {
	var obtained []string
	for _, c := range a.learnt {
		got := a.scopes(c)
		if len(got) > 0 {
			a.worked[c.via]++
		}
		for _, s := range got {
			if !slices.Contains(obtained, s) {
				obtained = append(obtained, s)
			}
		}
	}
	for _, s := range obtained {
		if !slices.Contains(a.held, s) {
			a.t.Errorf("holding %v, the attacker obtained %v (credentials learnt: %d)", a.held, obtained, len(a.learnt))
			break
		}
	}
	if len(a.held) == len(mint.AdminScopes) {
		// Holding everything, every way of taking over a client works,
		// so the refusals seen with less are the rule's, not the test's.
		for _, via := range []string{"api secret", "api key", "console secret", "console trust rule"} {
			if a.worked[via] < 3 {
				a.t.Errorf("holding every scope, only %d credentials learnt by %s got a token", a.worked[via], via)
			}
		}
	} else {
		if after := a.adminAPISettings(); !bytes.Equal(after, a.adminBefore) {
			a.t.Errorf("holding %v, the attacker changed the admin API:\nbefore %s\nafter  %s", a.held, a.adminBefore, after)
		}
	}
	var apis []struct{ Audience string }
	a.m.admin(a.t, "GET", "/admin/v1/apis", nil, &apis)
	for _, api := range apis {
		if api.Audience != mint.AdminAudience && strings.EqualFold(api.Audience, mint.AdminAudience) {
			a.t.Errorf("an API with the admin audience in another case exists: %s", api.Audience)
		}
	}
}

// token is an admin access token for c, "" when refused.
func (a *attack) token(c credential) string {
	tok, _ := a.tokenAnswer(c)
	return tok
}

func (a *attack) scopes(c credential) []string {
	_, scope := a.tokenAnswer(c)
	return strings.Fields(scope)
}

func (a *attack) tokenAnswer(c credential) (token, scope string) {
	form := url.Values{"grant_type": {"client_credentials"}, "audience": {mint.AdminAudience}}
	switch {
	case c.issuer != "":
		// A token of the attacker's issuer, for the rule's audience: the
		// server's issuer URL, as the form left it empty.
		form.Set("client_id", c.clientID)
		form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
		form.Set("client_assertion", signedJWT(a.t, c.issuer, c.subject, a.m.URL, c.key))
	case c.key != nil:
		form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
		form.Set("client_assertion", assertion(a.t, c.clientID, a.m.URL+"/oauth/token", c.key))
	default:
		form.Set("client_id", c.clientID)
		form.Set("client_secret", c.secret)
	}
	resp, err := http.PostForm(a.m.URL+"/oauth/token", form)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
	}
	json.NewDecoder(resp.Body).Decode(&ans)
	switch resp.StatusCode {
	case http.StatusOK:
		return ans.AccessToken, ans.Scope
	case http.StatusBadRequest, http.StatusUnauthorized:
		return "", ""
	}
	// A throttled or failing token endpoint would make the check vacuous.
	a.t.Fatalf("token for %s: status %d", c.clientID, resp.StatusCode)
	return "", ""
}

func newKey(t *testing.T) ed25519.PrivateKey {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func jwksOf(key ed25519.PrivateKey) jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "attacker", Algorithm: "EdDSA", Use: "sig"}}}
}

// assertion is a private_key_jwt client assertion (RFC 7523 §3).
func assertion(t *testing.T, clientID, aud string, key ed25519.PrivateKey) string {
	return signedJWT(t, clientID, clientID, aud, key)
}

// signedJWT is a JWT of iss and sub for aud, living a minute, signed with
// key under the kid "attacker".
func signedJWT(t *testing.T, iss, sub, aud string, key ed25519.PrivateKey) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "attacker"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	payload, _ := json.Marshal(map[string]any{"iss": iss, "sub": sub, "aud": aud,
		"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "jti": mint.NewID("jti")})
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
