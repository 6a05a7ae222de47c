package console_test

import (
	"bytes"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/console"
)

func TestUnsignedGetRedirectsToSignIn(t *testing.T) {
	m := startMint(t)
	u := newUser(t, m)
	for _, path := range []string{"/console/", "/console/apis", "/console/apis/api_x", "/console/clients",
		"/console/clients/x", "/console/keys", "/console/snippets", "/console/audit", "/console/nowhere"} {
		t.Run(path, func(t *testing.T) {
			p := u.get(path)
			if p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != "/console/sign-in" {
				t.Errorf("GET %s = %d → %q, want 303 → /console/sign-in", path, p.StatusCode, p.Header.Get("Location"))
			}
		})
	}
	if p := u.get("/console"); p.StatusCode/100 != 3 || p.Header.Get("Location") != "/console/" {
		t.Errorf("GET /console = %d → %q, want a redirect to /console/", p.StatusCode, p.Header.Get("Location"))
	}
}

func TestUnsignedPostRefused(t *testing.T) {
	m := startMint(t)
	u := newUser(t, m)
	before := m.apiCount(t)
	for _, path := range []string{"/console/apis", "/console/sign-out", "/console/clients", "/console/clients/x/delete",
		"/console/keys/rotate", "/console/apis/x/delete", "/console/clients/x/trust-rules",
		"/console/clients/x/trust-rules/y/delete", "/console/clients/x/binding"} {
		t.Run(path, func(t *testing.T) {
			p := u.post(path, url.Values{"csrf": {"whatever"}, "name": {"x"}, "audience": {"https://unsigned"},
				"token_lifetime": {"3600"}, "confirmed": {"yes"}})
			if p.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s = %d, want 403", path, p.StatusCode)
			}
		})
	}
	if n := m.apiCount(t); n != before {
		t.Errorf("APIs: %d, want %d: an unsigned POST changed something", n, before)
	}
}

func TestSignIn(t *testing.T) {
	m := startMint(t)
	t.Run("refused", func(t *testing.T) {
		u := newUser(t, m)
		p := u.signIn(adminID, "wrong-secret-wrong-secret-wrong-secret")
		if p.StatusCode != http.StatusUnauthorized || !strings.Contains(p.Body, "This client id and secret were refused.") {
			t.Errorf("wrong secret: %d\n%s", p.StatusCode, p.Body)
		}
		if u.cookie("mint_console") != nil {
			t.Error("a session cookie was set for refused credentials")
		}
	})
	t.Run("not an admin client", func(t *testing.T) {
		var c struct {
			ID     string `json:"client_id"`
			Secret string `json:"client_secret"`
		}
		m.admin(t, "POST", "/admin/v1/clients", map[string]any{"name": "partner"}, &c)
		u := newUser(t, m)
		if p := u.signIn(c.ID, c.Secret); p.StatusCode != http.StatusUnauthorized || !strings.Contains(p.Body, "may not use the admin API") {
			t.Errorf("client without an admin grant: %d\n%s", p.StatusCode, p.Body)
		}
	})
	t.Run("accepted", func(t *testing.T) {
		u := newUser(t, m)
		p := u.signIn(adminID, adminSecret)
		if p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != "/console/apis" {
			t.Fatalf("sign in: %d → %q", p.StatusCode, p.Header.Get("Location"))
		}
		var session *http.Cookie
		for _, c := range p.Cookies() {
			if c.Name == "mint_console" {
				session = c
			}
		}
		if session == nil {
			t.Fatal("no mint_console cookie")
		}
		if !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/console" || session.Secure {
			t.Errorf("cookie = %+v, want HttpOnly, SameSite=Strict, Path=/console, not Secure over plain HTTP", session)
		}
		if session.MaxAge <= 0 || session.MaxAge > 3601 {
			t.Errorf("cookie Max-Age = %d, want at most an hour", session.MaxAge)
		}
		if strings.Contains(session.Value, adminSecret) || strings.Contains(session.Value, "eyJ") {
			t.Error("the cookie shows the secret or the token in the clear")
		}
		page := u.get("/console/apis")
		if page.StatusCode != http.StatusOK || !strings.Contains(page.Body, "urn:mint:admin") {
			t.Fatalf("APIs page: %d\n%s", page.StatusCode, page.Body)
		}
		for k, want := range map[string]string{
			"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'",
			"X-Content-Type-Options":  "nosniff", "Referrer-Policy": "same-origin", "Cache-Control": "no-store",
		} {
			if got := page.Header.Get(k); !strings.Contains(got, want) {
				t.Errorf("%s = %q, want %q", k, got, want)
			}
		}
		if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "form-action 'self'") {
			t.Errorf("CSP %q lacks frame-ancestors or form-action", csp)
		}
		if u.get("/console/sign-in").Header.Get("Location") != "/console/apis" {
			t.Error("the sign-in page does not send a signed-in user on")
		}
	})
}

// The sign-in form is protected too (login CSRF): its token must match the
// cookie set with the form.
func TestSignInNeedsTheFormsToken(t *testing.T) {
	m := startMint(t)
	u := newUser(t, m)
	u.get("/console/sign-in")
	form := url.Values{"client_id": {adminID}, "client_secret": {adminSecret}}
	for name, csrf := range map[string]string{"missing": "", "wrong": otherToken(u.csrf)} {
		t.Run(name, func(t *testing.T) {
			form.Set("csrf", csrf)
			if p := u.post("/console/sign-in", form); p.StatusCode != http.StatusForbidden {
				t.Errorf("sign-in with %s token: %d, want 403", name, p.StatusCode)
			}
		})
	}
	t.Run("cross-site", func(t *testing.T) {
		u.get("/console/sign-in")
		form.Set("csrf", u.csrf)
		if p := u.post("/console/sign-in", form, "Sec-Fetch-Site", "cross-site", "Origin", "http://evil.example"); p.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site sign-in: %d, want 403", p.StatusCode)
		}
	})
}

func createAPIForm(csrf, audience string) url.Values {
	return url.Values{"csrf": {csrf}, "name": {"Cargo"}, "audience": {audience}, "scopes": {"read:cargo write:cargo"},
		"token_lifetime": {"3600"}, "signing_alg": {"ES256"}}
}

func TestCSRFTokenRequired(t *testing.T) {
	m := startMint(t)
	u := newUser(t, m)
	u.mustSignIn()
	other := newUser(t, m)
	other.mustSignIn()
	before := m.apiCount(t)
	for name, csrf := range map[string]string{"missing": "", "wrong": strings.Repeat("A", 43), "another session's": other.csrf} {
		t.Run(name, func(t *testing.T) {
			if p := u.post("/console/apis", createAPIForm(csrf, "https://csrf.example")); p.StatusCode != http.StatusForbidden {
				t.Errorf("POST with %s CSRF token: %d, want 403", name, p.StatusCode)
			}
		})
	}
	if n := m.apiCount(t); n != before {
		t.Fatalf("APIs: %d, want %d", n, before)
	}
	p := u.post("/console/apis", createAPIForm(u.csrf, "https://csrf.example"))
	if p.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST with the session's token: %d\n%s", p.StatusCode, p.Body)
	}
	if n := m.apiCount(t); n != before+1 {
		t.Errorf("APIs: %d, want %d", n, before+1)
	}
}

func TestCrossSiteRefused(t *testing.T) {
	m := startMint(t)
	u := newUser(t, m)
	u.mustSignIn()
	before := m.apiCount(t)
	cases := map[string][]string{
		"Sec-Fetch-Site cross-site": {"Sec-Fetch-Site", "cross-site", "Origin", "http://evil.example"},
		"Sec-Fetch-Site same-site":  {"Sec-Fetch-Site", "same-site", "Origin", "http://a." + strings.TrimPrefix(m.URL, "http://")},
		"Origin of another site":    {"Sec-Fetch-Site", "", "Origin", "http://evil.example"},
	}
	for name, header := range cases {
		t.Run(name, func(t *testing.T) {
			p := u.post("/console/apis", createAPIForm(u.csrf, "https://cross.example"), header...)
			if p.StatusCode != http.StatusForbidden {
				t.Errorf("%s: %d, want 403", name, p.StatusCode)
			}
		})
	}
	if n := m.apiCount(t); n != before {
		t.Errorf("APIs: %d, want %d: a cross-site POST changed something", n, before)
	}
}

func TestSessionCookieRefused(t *testing.T) {
	m := startMint(t)
	tok, _ := m.token(t, adminID, adminSecret, "urn:mint:admin")
	csrf := strings.Repeat("c", 43)
	valid, err := console.SealSession(masterKey, tok, adminID, csrf, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	u := newUser(t, m)
	u.setCookie("mint_console", valid)
	if p := u.get("/console/apis"); p.StatusCode != http.StatusOK {
		t.Fatalf("a well sealed session: %d, want 200", p.StatusCode)
	}
	otherKey, _ := console.SealSession(bytes.Repeat([]byte{8}, 32), tok, adminID, csrf, time.Now().Add(time.Hour))
	expired, _ := console.SealSession(masterKey, tok, adminID, csrf, time.Now().Add(-time.Second))
	flash, _ := console.SealFlash(masterKey, csrf, time.Now().Add(time.Hour))
	tampered := []byte(valid)
	tampered[len(tampered)/2] ^= 'A' ^ 'B'
	for name, value := range map[string]string{
		"tampered": string(tampered), "sealed under another master key": otherKey, "expired": expired,
		"a flash cookie": flash, "garbage": "not-a-session", "the token in the clear": tok,
	} {
		t.Run(name, func(t *testing.T) {
			u := newUser(t, m)
			u.setCookie("mint_console", value)
			if p := u.get("/console/apis"); p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != "/console/sign-in" {
				t.Errorf("GET: %d → %q, want 303 → /console/sign-in", p.StatusCode, p.Header.Get("Location"))
			}
			u.setCookie("mint_console", value)
			if p := u.post("/console/apis", createAPIForm(csrf, "https://refused.example")); p.StatusCode != http.StatusForbidden {
				t.Errorf("POST: %d, want 403", p.StatusCode)
			}
		})
	}
}

// The admin API's scope checks apply to the console: an operator whose
// admin grant lacks clients:read sees the refusal, not the clients.
func TestAdminScopesApply(t *testing.T) {
	m := startMint(t)
	var c struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	m.admin(t, "POST", "/admin/v1/clients", map[string]any{"name": "auditor"}, &c)
	m.admin(t, "POST", "/admin/v1/grants", map[string]any{"client_id": c.ID, "audience": "urn:mint:admin", "scopes": []string{"apis:read"}}, nil)
	u := newUser(t, m)
	if p := u.signIn(c.ID, c.Secret); p.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d\n%s", p.StatusCode, p.Body)
	}
	if p := u.get("/console/apis"); p.StatusCode != http.StatusOK {
		t.Errorf("APIs page with apis:read: %d", p.StatusCode)
	}
	p := u.get("/console/clients")
	if p.StatusCode != http.StatusForbidden || !strings.Contains(p.Body, "clients:read") {
		t.Errorf("clients page without clients:read: %d\n%s", p.StatusCode, p.Body)
	}
	before := m.apiCount(t)
	u.get("/console/apis")
	if p := u.post("/console/apis", createAPIForm(u.csrf, "https://scoped.example")); p.StatusCode != http.StatusBadRequest || !strings.Contains(p.Body, "apis:write") {
		t.Errorf("create API without apis:write: %d\n%s", p.StatusCode, p.Body)
	}
	if m.apiCount(t) != before {
		t.Error("an API was created without apis:write")
	}
}

// A session whose admin token the admin API refuses (401) ends: the
// cookie is cleared and the user sent to sign in again.
func TestRefusedTokenEndsSession(t *testing.T) {
	m := startMint(t)
	sealed, _ := console.SealSession(masterKey, "not-a-jwt", adminID, strings.Repeat("c", 43), time.Now().Add(time.Hour))
	u := newUser(t, m)
	u.setCookie("mint_console", sealed)
	p := u.get("/console/apis")
	if p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != "/console/sign-in?expired=1" {
		t.Fatalf("refused token: %d → %q, want 303 → /console/sign-in?expired=1", p.StatusCode, p.Header.Get("Location"))
	}
	if u.cookie("mint_console") != nil {
		t.Error("the refused session's cookie is still set")
	}
	if p := u.get("/console/sign-in?expired=1"); !strings.Contains(p.Body, "Your session ended.") {
		t.Error("no notice that the session ended")
	}
}

func TestSecureCookieOverTLS(t *testing.T) {
	m := startMint(t)
	h := m.srv.Handler()
	get := httptest.NewRequest("GET", "/console/sign-in", nil)
	get.TLS = &tls.ConnectionState{}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, get)
	var csrf *http.Cookie
	for _, c := range rec.Result().Cookies() {
		csrf = c
	}
	if csrf == nil || !csrf.Secure {
		t.Fatalf("sign-in form cookie over TLS = %+v, want Secure", csrf)
	}
	form := url.Values{"csrf": {csrf.Value}, "client_id": {adminID}, "client_secret": {adminSecret}}
	post := httptest.NewRequest("POST", "/console/sign-in", strings.NewReader(form.Encode()))
	post.TLS = &tls.ConnectionState{}
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	post.AddCookie(csrf)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, post)
	found := false
	for _, c := range rec.Result().Cookies() {
		if c.Name == "mint_console" && c.Value != "" {
			found = true
			if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
				t.Errorf("session cookie over TLS = %+v, want Secure, HttpOnly, SameSite=Strict", c)
			}
		}
	}
	if !found {
		t.Fatalf("no session cookie: %d %s", rec.Code, rec.Body)
	}
}

func TestDeleteNeedsConfirmation(t *testing.T) {
	m := startMint(t)
	u := newUser(t, m)
	u.mustSignIn()
	var api struct {
		ID string `json:"id"`
	}
	m.admin(t, "POST", "/admin/v1/apis", map[string]any{"name": "Doomed", "audience": "https://doomed"}, &api)
	p := u.post("/console/apis/"+api.ID+"/delete", url.Values{"csrf": {u.csrf}})
	if p.StatusCode != http.StatusOK || !strings.Contains(p.Body, "Delete the API “Doomed”?") ||
		!strings.Contains(p.Body, `name="confirmed" value="yes"`) {
		t.Fatalf("delete without confirmation: %d, want the confirmation page\n%s", p.StatusCode, p.Body)
	}
	if status := m.admin(t, "GET", "/admin/v1/apis/"+api.ID, nil, nil); status != http.StatusOK {
		t.Fatalf("API after an unconfirmed delete: %d, want it still there", status)
	}
	p = u.post("/console/apis/"+api.ID+"/delete", url.Values{"csrf": {u.csrf}, "confirmed": {"yes"}})
	if p.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirmed delete: %d\n%s", p.StatusCode, p.Body)
	}
	if status := m.admin(t, "GET", "/admin/v1/apis/"+api.ID, nil, nil); status != http.StatusNotFound {
		t.Errorf("API after a confirmed delete: %d, want 404", status)
	}
	if notice := u.get("/console/apis"); !strings.Contains(notice.Body, "API “Doomed” deleted.") {
		t.Errorf("no notice after the delete:\n%s", notice.Body)
	}
}

// The admin API's refusals appear beside the field they name.
func TestFieldErrors(t *testing.T) {
	m := startMint(t)
	u := newUser(t, m)
	u.mustSignIn()
	if p := u.post("/console/apis", createAPIForm(u.csrf, "https://dup.example")); p.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", p.StatusCode)
	}
	cases := []struct {
		name  string
		form  url.Values
		id    string
		want  string
		value string
	}{
		{"duplicate audience", createAPIForm(u.csrf, "https://dup.example"), "api-audience-error", "an API with this audience exists", "https://dup.example"},
		{"lifetime not a number", func() url.Values {
			f := createAPIForm(u.csrf, "https://n.example")
			f.Set("token_lifetime", "soon")
			return f
		}(), "api-lifetime-error", "Enter a whole number of seconds.", "https://n.example"},
		{"lifetime too short", func() url.Values {
			f := createAPIForm(u.csrf, "https://short.example")
			f.Set("token_lifetime", "5")
			return f
		}(), "api-lifetime-error", "token_lifetime must be 60 to", "https://short.example"},
		{"bad scope", func() url.Values {
			f := createAPIForm(u.csrf, "https://scope.example")
			f.Set("scopes", `read "all"`)
			return f
		}(), "api-scopes-error", "must be printable ASCII", "https://scope.example"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := u.post("/console/apis", tc.form)
			if p.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", p.StatusCode)
			}
			if !strings.Contains(p.Body, `id="`+tc.id+`">`) || !strings.Contains(p.Body, tc.want) {
				t.Errorf("no %q at #%s:\n%s", tc.want, tc.id, p.Body)
			}
			if !strings.Contains(p.Body, `value="`+tc.value+`"`) {
				t.Errorf("the form lost the audience typed")
			}
		})
	}
}

func TestSignOut(t *testing.T) {
	m := startMint(t)
	u := newUser(t, m)
	u.mustSignIn()
	stolen := u.cookie("mint_console").Value // a copy taken before sign-out
	p := u.post("/console/sign-out", url.Values{"csrf": {u.csrf}})
	if p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != "/console/sign-in?signed-out=1" {
		t.Fatalf("sign out: %d → %q", p.StatusCode, p.Header.Get("Location"))
	}
	if u.cookie("mint_console") != nil {
		t.Error("the session cookie is still set")
	}
	if p := u.get("/console/apis"); p.StatusCode != http.StatusSeeOther {
		t.Errorf("after sign-out: %d, want a redirect to sign in", p.StatusCode)
	}
	if p := u.get("/console/sign-in?signed-out=1"); !strings.Contains(p.Body, "You are signed out.") {
		t.Error("no signed-out notice")
	}
	// The session's admin token was revoked: the copied cookie opens
	// nothing, though it is still sealed and unexpired.
	thief := newUser(t, m)
	thief.setCookie("mint_console", stolen)
	if p := thief.get("/console/apis"); p.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(p.Header.Get("Location"), "/console/sign-in") {
		t.Errorf("a session cookie copied before sign-out: %d → %q, want a redirect to sign in",
			p.StatusCode, p.Header.Get("Location"))
	}
}

func TestCreateClientShowsSecretOnce(t *testing.T) {
	m := startMint(t)
	u := newUser(t, m)
	u.mustSignIn()
	p := u.post("/console/clients", url.Values{"csrf": {u.csrf}, "name": {"cargo partner"}})
	if p.StatusCode != http.StatusSeeOther || !strings.HasPrefix(p.Header.Get("Location"), "/console/clients/") {
		t.Fatalf("create client: %d → %q\n%s", p.StatusCode, p.Header.Get("Location"), p.Body)
	}
	if strings.Contains(p.Header.Get("Location"), "mint_") {
		t.Fatal("the secret is in the URL")
	}
	id := strings.TrimPrefix(p.Header.Get("Location"), "/console/clients/")
	first := u.get(p.Header.Get("Location"))
	secret := between(first.Body, `<code id="new-secret" class="secret">`, "</code>")
	if secret == "" || !strings.Contains(first.Body, "it is shown this once") {
		t.Fatalf("the client page does not show the new secret with its warning:\n%s", first.Body)
	}
	if again := u.get(p.Header.Get("Location")); strings.Contains(again.Body, secret) {
		t.Error("the secret is shown a second time")
	}
	var cl struct {
		Name string `json:"name"`
	}
	m.admin(t, "GET", "/admin/v1/clients/"+id, nil, &cl)
	if cl.Name != "cargo partner" {
		t.Errorf("client name %q", cl.Name)
	}
}

func TestAuditPage(t *testing.T) {
	m := startMint(t)
	u := newUser(t, m)
	u.mustSignIn()
	u.post("/console/apis", createAPIForm(u.csrf, "https://audited.example"))
	p := u.get("/console/audit")
	if p.StatusCode != http.StatusOK {
		t.Fatalf("audit page: %d\n%s", p.StatusCode, p.Body)
	}
	// The page shows the admin API's audit log, or says there is none when
	// the admin API answers 404 (a mint without one).
	if status := m.admin(t, "GET", "/admin/v1/audit", nil, nil); status == http.StatusNotFound {
		if !strings.Contains(p.Body, `id="audit-placeholder"`) {
			t.Errorf("the admin API has no audit log, and the page does not say so:\n%s", p.Body)
		}
		return
	}
	if strings.Contains(p.Body, `id="audit-placeholder"`) || !strings.Contains(p.Body, "admin.apis.create") {
		t.Errorf("the audit page does not list the console's change:\n%s", p.Body)
	}
	if p := u.get("/console/audit?kind=admin.clients.create"); strings.Contains(p.Body, "admin.apis.create") {
		t.Errorf("the kind filter is not applied")
	}
}

func between(s, start, end string) string {
	_, after, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, end)
	return v
}

// The clients page reads mint_tokens_per_lifetime in process and flags a
// client that takes a token per call. The count is the tokens taken, with
// the time it covers: a partner that took 9 day-long tokens in the seconds
// since mint started took 9, not "216 per lifetime", and is not flagged.
func TestTokensPerLifetime(t *testing.T) {
	m := startMint(t)
	m.admin(t, "POST", "/admin/v1/apis", map[string]any{"name": "Cargo", "audience": "https://cargo.example", "token_lifetime": 3600}, nil)
	m.admin(t, "POST", "/admin/v1/apis", map[string]any{"name": "Dataloy", "audience": "https://dataloy", "token_lifetime": 86400}, nil)
	newClient := func(name, audience string) (id, secret string) {
		var c struct {
			ID     string `json:"client_id"`
			Secret string `json:"client_secret"`
		}
		m.admin(t, "POST", "/admin/v1/clients", map[string]any{"name": name}, &c)
		m.admin(t, "POST", "/admin/v1/grants", map[string]any{"client_id": c.ID, "audience": audience}, nil)
		return c.ID, c.Secret
	}
	greedy, greedySecret := newClient("greedy", "https://cargo.example")
	frugal, frugalSecret := newClient("frugal", "https://cargo.example")
	partner, partnerSecret := newClient("partner", "https://dataloy")
	idle, _ := newClient("idle", "https://cargo.example")
	for range 12 {
		m.token(t, greedy, greedySecret, "https://cargo.example")
	}
	m.token(t, frugal, frugalSecret, "https://cargo.example")
	for range 9 {
		m.token(t, partner, partnerSecret, "https://dataloy")
	}
	u := newUser(t, m)
	u.mustSignIn()
	p := u.get("/console/clients")
	row := func(id string) string { return between(p.Body, `<code>`+id+`</code>`, "</tr>") }
	// mint started seconds ago: every count covers less than its lifetime.
	short := regexp.MustCompile(`in the last \d+ (?:s|min) of a (1 h|1 day) lifetime`)
	for _, c := range []struct {
		name, id, count, lifetime string
		flagged                   bool
	}{
		{"greedy", greedy, ">12</span>", "1 h", true},
		{"frugal", frugal, ">1</span>", "1 h", false},
		{"partner", partner, ">9</span>", "1 day", false},
	} {
		r := row(c.id)
		if !strings.Contains(r, c.count) || strings.Contains(r, "does not reuse its tokens") != c.flagged ||
			short.FindStringSubmatch(r) == nil || short.FindStringSubmatch(r)[1] != c.lifetime {
			t.Errorf("%s client's row (want %s, flagged %v, a short window of a %s lifetime):\n%s", c.name, c.count, c.flagged, c.lifetime, r)
		}
	}
	if r := row(idle); !strings.Contains(r, "none lately") {
		t.Errorf("idle client's row:\n%s", r)
	}
}

// otherToken returns a token that differs from tok in its first character,
// whatever that character is.
func otherToken(tok string) string {
	first := "x"
	if strings.HasPrefix(tok, "x") {
		first = "y"
	}
	return first + tok[1:]
}

// TestHeaderNamesTheAdmin: the header shows the signed-in admin client's
// name, its id in the tooltip; a client that may not read clients is shown
// by its id, and signs in all the same.
func TestHeaderNamesTheAdmin(t *testing.T) {
	m := startMint(t)
	u := newUser(t, m)
	u.mustSignIn()
	if who := between(u.get("/console/apis").Body, `<span class="who">`, `</span>`); !strings.Contains(who,
		`<strong id="who" title="client id `+adminID+`">mint admin</strong>`) {
		t.Errorf("header for the bootstrap admin: %q, want its name with the id in a tooltip", who)
	}
	var c struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	m.admin(t, "POST", "/admin/v1/clients", map[string]any{"name": "apis only"}, &c)
	m.admin(t, "POST", "/admin/v1/grants", map[string]any{"client_id": c.ID, "audience": "urn:mint:admin", "scopes": []string{"apis:read"}}, nil)
	scoped := newUser(t, m)
	if p := scoped.signIn(c.ID, c.Secret); p.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in without clients:read: %d\n%s", p.StatusCode, p.Body)
	}
	if who := between(scoped.get("/console/apis").Body, `<span class="who">`, `</span>`); !strings.Contains(who, `<code id="who">`+c.ID+`</code>`) {
		t.Errorf("header for a client without clients:read: %q, want its id", who)
	}
}

// TestAddGrantChoosesNothing: "Add a grant" preselects no API, so that a
// hurried submit grants nothing; the admin API comes last, set apart and
// marked, and a submit without a choice is refused beside the field.
func TestAddGrantChoosesNothing(t *testing.T) {
	m := startMint(t)
	m.admin(t, "POST", "/admin/v1/apis", map[string]any{"name": "Cargo", "audience": "https://cargo.example"}, nil)
	m.admin(t, "POST", "/admin/v1/apis", map[string]any{"name": "Zebra", "audience": "https://zebra.example"}, nil)
	var c struct {
		ID string `json:"client_id"`
	}
	m.admin(t, "POST", "/admin/v1/clients", map[string]any{"name": "partner"}, &c)
	u := newUser(t, m)
	u.mustSignIn()
	sel := between(u.get("/console/clients/"+c.ID).Body, `<select id="grant-audience"`, `</select>`)
	options := regexp.MustCompile(`<option value="([^"]*)"([^>]*)>`).FindAllStringSubmatch(sel, -1)
	var values, selected []string
	for _, o := range options {
		values = append(values, o[1])
		if strings.Contains(o[2], "selected") {
			selected = append(selected, o[1])
		}
	}
	want := []string{"", "https://cargo.example", "https://zebra.example", "urn:mint:admin"}
	if strings.Join(values, " ") != strings.Join(want, " ") || len(selected) != 1 || selected[0] != "" {
		t.Errorf("options %q, selected %q; want %q with only the empty choice selected", values, selected, want)
	}
	if !regexp.MustCompile(`<optgroup label="Administration of mint">\s*<option value="urn:mint:admin">⚠ `).MatchString(sel) {
		t.Errorf("the admin API is not set apart and marked:\n%s", sel)
	}
	p := u.post("/console/clients/"+c.ID+"/grants", url.Values{"csrf": {u.csrf}, "audience": {""}, "scopes": {""}})
	if p.StatusCode != http.StatusBadRequest || !strings.Contains(p.Body, `id="grant-audience-error"`) {
		t.Errorf("a grant with no API chosen: %d\n%s", p.StatusCode, between(p.Body, `<h3 id="add-grant-heading">`, `</form>`))
	}
	var grants []any
	m.admin(t, "GET", "/admin/v1/grants?client_id="+c.ID, nil, &grants)
	if len(grants) != 0 {
		t.Errorf("grants after the refused submit: %v", grants)
	}
}
