package gateway_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is an upstream that answers 200 and keeps the request line of
// every request it gets.
type recorder struct {
	*httptest.Server
	mu    sync.Mutex
	lines []string
}

func newRecorder(t *testing.T) *recorder {
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.lines = append(rec.lines, r.Method+" "+r.RequestURI)
		rec.mu.Unlock()
		_, _ = io.WriteString(w, "upstream")
	}))
	t.Cleanup(rec.Close)
	return rec
}

func (rec *recorder) seen() []string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.lines...)
}

// rawRequest writes one request exactly as given (request line and extra
// header lines) on a new connection and reads the answer.
func rawRequest(t *testing.T, addr, line, token string, headers ...string) *http.Response {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	req := line + " HTTP/1.1\r\nHost: api.example\r\nConnection: close\r\n"
	if token != "" {
		req += "Authorization: Bearer " + token + "\r\n"
	}
	for _, h := range headers {
		req += h + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// TestWalkAroundRules sends every form found to make an upstream serve a
// route its rule refuses: with "GET /admin/ write:cargo" (and "/ read:cargo"
// for all else), a read:cargo token must never reach /admin/ on an upstream
// that decodes before resolving dot segments, treats "\" as "/", strips
// ";params" (Tomcat, Spring), trims trailing dots and spaces (Windows),
// decodes twice, normalises Unicode, upper-cases methods or honours method
// overrides. Each is refused (400, 405) or judged as the path it
// really is (403), and none reaches the upstream.
func TestWalkAroundRules(t *testing.T) {
	iss := newIssuer(t)
	up := newRecorder(t)
	gw := startGateway(t, iss, up.URL, "GET /admin/ write:cargo", "POST /orders/ write:cargo",
		"/billing write:cargo", "/Reports/ read:cargo", "/ read:cargo")
	addr := strings.TrimPrefix(gw.URL, "http://")
	read := iss.token(t, "read:cargo")

	attacks := []struct {
		line    string
		headers []string
	}{
		{line: "GET /x/%2e%2e/admin/users"},
		{line: "GET /x/%2E%2E/admin/users"},
		{line: "GET /x/.%2e/admin/users"},
		{line: "GET /x/%2e./admin/users"},
		{line: "GET /x/%2e/../admin/users"},
		{line: "GET /x/%252e%252e/admin/users"},
		{line: "GET /x/%25%32%65%25%32%65/admin/users"},
		{line: "GET /x/..%2fadmin/users"},
		{line: "GET /x/%2e%2e%2Fadmin/users"},
		{line: "GET /x/..%5cadmin/users"},
		{line: "GET /x/..%5Cadmin%5Cusers"},
		{line: `GET /x/..\admin\users`},
		{line: `GET /x\..\admin\users`},
		{line: "GET //admin/users"},
		{line: "GET /x//../admin/users"},
		{line: "GET /admin;x/users"},
		{line: "GET /x/..;/admin/users"},
		{line: "GET /admin%3bx/users"},
		{line: "GET /admin./users"},
		{line: "GET /admin%2e/users"},
		{line: "GET /admin%20/users"},
		{line: "GET /admin%00/users"},
		{line: "GET /admin%0a/users"},
		{line: "GET /admin%7f/users"},
		{line: "GET /x/%c0%ae%c0%ae/admin/users"},
		{line: "GET /x/%e0%80%ae%e0%80%ae/admin/users"},
		{line: "GET /x/%c0%af../admin/users"},
		{line: "GET /x/%ef%bc%8e%ef%bc%8e/admin/users"},
		{line: "GET /x/..%ef%bc%8fadmin/users"},
		{line: "GET /x/%u002e%u002e/admin/users"},
		{line: "GET /x/%2/admin/users"},
		{line: "GET /%61dmin/users"},
		{line: "GET /%61%64%6d%69%6e/users"},
		{line: "GET http://api.example/x/%2e%2e/admin/users"},
		{line: "GET http://api.example/admin/users"},
		{line: "get /admin/users"},
		{line: "Get /admin/users"},
		{line: "post /orders/1"},
		{line: "PROPFIND /admin/users"},
		{line: "TRACE /admin/users"},
		{line: "GET /orders/1", headers: []string{"X-HTTP-Method-Override: POST"}},
		{line: "GET /orders/1", headers: []string{"X-Method-Override: POST"}},
		{line: "GET /orders/1?_method=POST"},
		{line: "GET /orders/1?a=1;%5Fmethod=POST"},
		{line: "GET /orders/1?.method=POST"},    // PHP reads ".method" as "_method"
		{line: "GET /orders/1?%20[method=POST"}, // and " [method" too
		// Upstreams that ignore case or a trailing slash (Express, ASP.NET,
		// IIS, Flask without strict slashes) serve these as /admin/… and
		// /billing, which stricter rules guard.
		{line: "GET /ADMIN/users"},
		{line: "GET /Admin/users"},
		{line: "GET /aDmIn/"},
		{line: "GET /billing/"},
		{line: "GET /BILLING"},
	}
	for _, a := range attacks {
		before := len(up.seen())
		resp := rawRequest(t, addr, a.line, read, a.headers...)
		after := up.seen()
		if len(after) != before {
			t.Errorf("%q %q reached the upstream as %q (status %d)", a.line, a.headers, after[before:], resp.StatusCode)
			continue
		}
		if resp.StatusCode != 400 && resp.StatusCode != 403 && resp.StatusCode != 405 {
			t.Errorf("%q %q: status %d, want 400, 403 or 405", a.line, a.headers, resp.StatusCode)
		}
	}
	// The forms that are allowed still reach the upstream, with the path
	// the rules judged, escaped canonically.
	for line, want := range map[string]string{
		"GET /x/a%20b/%41%2d%7e": "GET /x/a%20b/A-~",
		"GET /x/caf%C3%A9?q=%2e": "GET /x/caf%C3%A9?q=%2e",
		"GET /x/%3F%23":          "GET /x/%3F%23",
		"GET /administrator":     "GET /administrator",
		"HEAD /x/file.txt":       "HEAD /x/file.txt",
		"GET /x/trailing/":       "GET /x/trailing/",
		"GET http://h/x/abs?y=1": "GET /x/abs?y=1",
		// A rule written in capitals matches in its own case, and its
		// lower-case reading asks for no more.
		"GET /Reports/2026": "GET /Reports/2026",
		"GET /reports/2026": "GET /reports/2026",
	} {
		before := len(up.seen())
		resp := rawRequest(t, addr, line, read)
		after := up.seen()
		if resp.StatusCode != 200 || len(after) != before+1 || after[before] != want {
			t.Errorf("%q: status %d, upstream saw %q, want %q", line, resp.StatusCode, after[before:], want)
		}
	}
}

// TestIdentityAndOriginHeaders: whatever the caller claims about who it is
// and where it came from (in any case, with "_" for "-", or by naming the
// gateway's own headers in Connection to have them dropped), the upstream
// sees only what the gateway verified and saw.
func TestIdentityAndOriginHeaders(t *testing.T) {
	iss := newIssuer(t)
	var got http.Header
	var mu sync.Mutex
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.Header.Clone()
		mu.Unlock()
	}))
	defer up.Close()
	gw := startGateway(t, iss, up.URL, "/ read:cargo")
	spoofs := []string{
		"X-Real-IP: 10.0.0.1", "X-Forwarded-For: 10.0.0.1", "X-Forwarded-Host: admin.internal",
		"X-Forwarded-Proto: https", "X-Forwarded-Prefix: /admin", "Forwarded: for=10.0.0.1;host=admin.internal",
		"X-Mint-Client-Id: mint-admin", "X-Mint-Scopes: apis:write", "X-Mint-Sub: mint-admin",
		"X_Mint_Client_Id: mint-admin", "x_forwarded_for: 10.0.0.1", "X_Real_IP: 10.0.0.1",
		"True-Client-IP: 10.0.0.1", "X-Client-IP: 10.0.0.1",
		"X-Original-URL: /admin/users", "X-Rewrite-URL: /admin/users", "X_Original_URL: /admin/users",
	}
	for _, conn := range []string{"", "Connection: X-Mint-Client-Id, X-Mint-Scopes, X-Forwarded-For, X-Real-IP, Forwarded"} {
		headers := append([]string{}, spoofs...)
		if conn != "" {
			headers = append(headers, conn)
		}
		resp := rawRequest(t, strings.TrimPrefix(gw.URL, "http://"), "GET /x", iss.token(t, "read:cargo"), headers...)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		mu.Lock()
		h := got
		mu.Unlock()
		for name, values := range h {
			for _, v := range values {
				if strings.Contains(v, "10.0.0.1") || strings.Contains(v, "admin") || strings.Contains(v, "apis:write") ||
					strings.Contains(name, "_") || name == "X-Forwarded-Prefix" || name == "True-Client-Ip" || name == "X-Client-Ip" {
					t.Errorf("%s: caller's %s: %q reached the upstream", conn, name, v)
				}
			}
		}
		want := map[string]string{
			"X-Mint-Client-Id": "cargo-client", "X-Mint-Scopes": "read:cargo", "X-Real-Ip": "127.0.0.1",
			"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Host": "api.example", "X-Forwarded-Proto": "http",
			"Forwarded": `for=127.0.0.1;host="api.example";proto=http`,
		}
		for name, v := range want {
			if g := h.Values(name); len(g) != 1 || g[0] != v {
				t.Errorf("%s: upstream %s = %q, want [%q]", conn, name, g, v)
			}
		}
	}
}
