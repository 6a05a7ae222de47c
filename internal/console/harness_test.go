package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/server"
)

const (
	adminID     = "console-test-admin"
	adminSecret = "console-test-admin-secret-0123456789abcdef"
)

// masterKey is the master key of every test mint.
var masterKey = bytes.Repeat([]byte{7}, 32)

// testMint is a real mint (server.New on a fresh SQLite file) served over
// loopback HTTP, its issuer being its own URL.
type testMint struct {
	URL string
	srv *server.Server
}

func startMint(t testing.TB) *testMint {
	t.Helper()
	return startMintOn(t, filepath.Join(t.TempDir(), "mint.db"))
}

// startMintOn is startMint on the SQLite file at path, which may hold a
// store already.
func startMintOn(t testing.TB, path string) *testMint {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	srv, err := server.New(context.Background(), server.Config{
		DB: path, Issuer: base, MasterKey: masterKey,
		BootstrapClientID: adminID, BootstrapClientSecret: adminSecret,
	})
	if err != nil {
		ln.Close()
		t.Fatalf("server.New: %v", err)
	}
	hs := &httptest.Server{Listener: ln, Config: &http.Server{Handler: srv.Handler()}}
	hs.Start()
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return &testMint{URL: base, srv: srv}
}

// token gets a token from the token endpoint over HTTP.
func (m *testMint) token(t testing.TB, clientID, secret, audience string) (string, int) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"grant_type": "client_credentials",
		"client_id": clientID, "client_secret": secret, "audience": audience})
	resp, err := http.Post(m.URL+"/oauth/token", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&ans)
	return ans.AccessToken, resp.StatusCode
}

// admin calls the admin API over HTTP as the bootstrap admin and decodes
// the answer into out.
func (m *testMint) admin(t testing.TB, method, path string, body, out any) int {
	t.Helper()
	tok, status := m.token(t, adminID, adminSecret, "urn:mint:admin")
	if status != http.StatusOK {
		t.Fatalf("admin token: status %d", status)
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, m.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// apiCount is how many APIs mint has, the admin API included.
func (m *testMint) apiCount(t *testing.T) int {
	var apis []json.RawMessage
	m.admin(t, "GET", "/admin/v1/apis", nil, &apis)
	return len(apis)
}

// user is a browser without JavaScript: a cookie jar and forms, redirects
// not followed.
type user struct {
	t    testing.TB
	base string
	hc   *http.Client
	csrf string // the CSRF token of the last page read
}

func newUser(t testing.TB, m *testMint) *user {
	jar, _ := cookiejar.New(nil)
	return &user{t: t, base: m.URL, hc: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// page is an answer with its body read.
type page struct {
	*http.Response
	Body string
}

func (u *user) do(req *http.Request) page {
	u.t.Helper()
	resp, err := u.hc.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindStringSubmatch(string(b)); m != nil {
		u.csrf = m[1]
	}
	return page{resp, string(b)}
}

func (u *user) get(path string) page {
	req, _ := http.NewRequest("GET", u.base+path, nil)
	return u.do(req)
}

// post sends a form as a same-origin browser would (Origin and
// Sec-Fetch-Site set), unless header overrides them.
func (u *user) post(path string, form url.Values, header ...string) page {
	req, _ := http.NewRequest("POST", u.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", u.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	return u.do(req)
}

// signIn signs in through the sign-in form.
func (u *user) signIn(id, secret string) page {
	u.t.Helper()
	u.get("/console/sign-in")
	return u.post("/console/sign-in", url.Values{"csrf": {u.csrf}, "client_id": {id}, "client_secret": {secret}})
}

func (u *user) mustSignIn() {
	u.t.Helper()
	if p := u.signIn(adminID, adminSecret); p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != "/console/apis" {
		u.t.Fatalf("sign in: %d %s\n%s", p.StatusCode, p.Header.Get("Location"), p.Body)
	}
	u.get("/console/apis") // for the session's CSRF token
}

// cookie is the jar's cookie of that name for the console.
func (u *user) cookie(name string) *http.Cookie {
	base, _ := url.Parse(u.base + "/console/")
	for _, c := range u.hc.Jar.Cookies(base) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func (u *user) setCookie(name, value string) {
	base, _ := url.Parse(u.base + "/console/")
	u.hc.Jar.SetCookies(base, []*http.Cookie{{Name: name, Value: value, Path: "/console"}})
}
