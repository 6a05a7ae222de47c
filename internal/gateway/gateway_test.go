package gateway_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/gateway"
)

var epoch = time.Date(2019, 11, 13, 6, 26, 1, 0, time.UTC)

// startGateway serves a gateway to upstream on loopback.
func startGateway(t *testing.T, iss *issuer, upstream string, rules ...string) *httptest.Server {
	t.Helper()
	return startGatewayWith(t, iss, gateway.Config{}, upstream, rules...)
}

// startGatewayWith serves a gateway with the settings of cfg.
func startGatewayWith(t *testing.T, iss *issuer, cfg gateway.Config, upstream string, rules ...string) *httptest.Server {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Upstream, cfg.Verifier, cfg.Now = u, iss.verifier(t), func() time.Time { return epoch }
	for _, s := range rules {
		r, err := gateway.ParseRule(s)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Rules = append(cfg.Rules, r)
	}
	h, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// headerEcho is an upstream that answers with the headers it got.
func headerEcho(t *testing.T) (*httptest.Server, *int) {
	hits := new(int)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*hits++
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"path": r.URL.RequestURI(), "host": r.Host, "header": r.Header})
	}))
	t.Cleanup(srv.Close)
	return srv, hits
}

type echoed struct {
	Path   string
	Host   string
	Header http.Header
}

func do(t *testing.T, method, target string, header map[string][]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v // as given: lets the test send non-canonical names
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// TestIdentityHeaders: the caller's identity headers, in any case, never
// reach the upstream; the verified ones do.
func TestIdentityHeaders(t *testing.T) {
	iss := newIssuer(t)
	up, hits := headerEcho(t)
	gw := startGateway(t, iss, up.URL+"/base", "/")
	resp, body := do(t, "GET", gw.URL+"/ws/rest/Cargo?x=1", map[string][]string{
		"Authorization":    {"Bearer " + iss.token(t, "read:cargo write:cargo")},
		"X-Mint-Client-Id": {"admin"},
		"x-mint-client-id": {"root"},
		"X-MINT-SCOPES":    {"admin:all"},
		"X-Forwarded-For":  {"10.9.9.9"},
	})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var got echoed
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if c := got.Header.Values("X-Mint-Client-Id"); len(c) != 1 || c[0] != "cargo-client" {
		t.Errorf("client id upstream %q, want [cargo-client]", c)
	}
	if s := got.Header.Values("X-Mint-Scopes"); len(s) != 1 || s[0] != "read:cargo write:cargo" {
		t.Errorf("scopes upstream %q", s)
	}
	if got.Path != "/base/ws/rest/Cargo?x=1" || got.Host != strings.TrimPrefix(up.URL, "http://") {
		t.Errorf("upstream got %s on host %s", got.Path, got.Host)
	}
	if got.Header.Get("Authorization") == "" || got.Header.Get("X-Forwarded-For") != "127.0.0.1" {
		t.Errorf("upstream headers %v", got.Header)
	}

	resp, _ = do(t, "GET", gw.URL+"/ws/rest/Cargo", map[string][]string{"X-Mint-Client-Id": {"admin"}})
	if resp.StatusCode != 401 || *hits != 1 {
		t.Errorf("without token: status %d, upstream hits %d; want 401, 1", resp.StatusCode, *hits)
	}
}

func TestRules(t *testing.T) {
	iss := newIssuer(t)
	up, _ := headerEcho(t)
	gw := startGateway(t, iss, up.URL,
		"GET /ws/rest/{resource...} read:cargo", "POST /ws/rest/{resource...} write:cargo", "/admin/ admin")
	read, write := iss.token(t, "read:cargo"), iss.token(t, "read:cargo write:cargo")
	tests := []struct {
		method, path, token string
		status              int
		challenge           string
	}{
		{"GET", "/ws/rest/Cargo", read, 200, ""},
		{"HEAD", "/ws/rest/Cargo", read, 200, ""},
		{"POST", "/ws/rest/Cargo", read, 403, `Bearer error="insufficient_scope", error_description="The access token lacks a scope this request requires.", scope="write:cargo"`},
		{"POST", "/ws/rest/Cargo", write, 200, ""},
		{"DELETE", "/admin/users", write, 403, `Bearer error="insufficient_scope", error_description="The access token lacks a scope this request requires.", scope="admin"`},
		{"GET", "/unruled", read, 403, ""},
		{"GET", "/unruled", "", 401, "Bearer"},
		{"GET", "/ws%2Frest/Cargo", read, 400, ""},
		{"GET", "/admin%5cusers", read, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+tt.path, func(t *testing.T) {
			h := map[string][]string{}
			if tt.token != "" {
				h["Authorization"] = []string{"Bearer " + tt.token}
			}
			resp, body := do(t, tt.method, gw.URL+tt.path, h)
			if resp.StatusCode != tt.status || resp.Header.Get("WWW-Authenticate") != tt.challenge {
				t.Errorf("%d %q, want %d %q; body %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"),
					tt.status, tt.challenge, body)
			}
		})
	}
}

// TestUpstreamDown: 502 in the seed's shape.
func TestUpstreamDown(t *testing.T) {
	iss := newIssuer(t)
	up := httptest.NewServer(http.NotFoundHandler())
	up.Close()
	gw := startGateway(t, iss, up.URL, "/")
	resp, body := do(t, "GET", gw.URL+"/ws/rest/Cargo?filter=a%28b%29", map[string][]string{
		"Authorization": {"Bearer " + iss.token(t, "read:cargo")},
	})
	want := fmt.Sprintf(`{"statusCode":502,"statusText":"Bad Gateway","message":"Upstream unavailable.",`+
		`"date":"2019-11-13T06:26:01","statusFamily":"SERVER_ERROR","method":"GET",`+
		`"uri":"%s/ws/rest/Cargo?filter=a%%28b%%29"}`+"\n", gw.URL)
	if resp.StatusCode != 502 || body != want || resp.Header.Get("Content-Type") != "application/json" ||
		resp.Header.Get("WWW-Authenticate") != "" {
		t.Errorf("%d %v\n got %s\nwant %s", resp.StatusCode, resp.Header, body, want)
	}
}

// TestHopByHopHeaders sends a raw request, so the headers are exactly as
// written, and checks what the upstream and the caller see.
func TestHopByHopHeaders(t *testing.T) {
	iss := newIssuer(t)
	var got http.Header
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header().Set("Connection", "X-Up-Hop")
		w.Header().Set("X-Up-Hop", "1")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("X-Up-End", "1")
	}))
	defer up.Close()
	gw := startGateway(t, iss, up.URL, "/")
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(gw.URL, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET /ws/rest/Cargo HTTP/1.1\r\nHost: api.example\r\nAuthorization: Bearer %s\r\n"+
		"Connection: close, X-Hop\r\nX-Hop: secret\r\nKeep-Alive: timeout=5\r\nTE: deflate\r\n"+
		"Proxy-Authorization: Basic YTpi\r\nProxy-Connection: keep-alive\r\nX-End: 1\r\n\r\n", iss.token(t, "read:cargo"))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, h := range []string{"Connection", "X-Hop", "Keep-Alive", "Te", "Proxy-Authorization", "Proxy-Connection"} {
		if v, ok := got[h]; ok {
			t.Errorf("upstream got hop-by-hop %s: %q", h, v)
		}
	}
	if got.Get("X-End") != "1" {
		t.Errorf("end-to-end header lost: %v", got)
	}
	for _, h := range []string{"X-Up-Hop", "Keep-Alive"} {
		if v, ok := resp.Header[h]; ok {
			t.Errorf("caller got hop-by-hop %s: %q", h, v)
		}
	}
	if resp.Header.Get("X-Up-End") != "1" {
		t.Errorf("end-to-end response header lost: %v", resp.Header)
	}
}

// TestDefaultDenyAndMethods: by default a request no rule matches is
// refused, and --default-deny=false lets it through with any valid token;
// in both modes a method the gateway does not know (including a known one
// in other letter case) is 405, with the known ones in Allow.
func TestDefaultDenyAndMethods(t *testing.T) {
	iss := newIssuer(t)
	up, _ := headerEcho(t)
	read := iss.token(t, "read:cargo dav")
	rules := []string{"GET /ws/ read:cargo", "PROPFIND /dav/ dav"}
	tests := []struct {
		method, path string
		deny, allow  int
	}{
		{"GET", "/ws/x", 200, 200},
		{"POST", "/ws/x", 403, 200},
		{"GET", "/other", 403, 200},
		{"PROPFIND", "/dav/x", 200, 200},
		{"PROPFIND", "/ws/x", 403, 200},
		{"get", "/ws/x", 405, 405},
		{"Post", "/ws/x", 405, 405},
		{"MKCOL", "/dav/x", 405, 405},
		{"TRACE", "/ws/x", 405, 405},
		{"CONNECT", "/ws/x", 405, 405},
	}
	for _, allow := range []bool{false, true} {
		gw := startGatewayWith(t, iss, gateway.Config{AllowUnmatched: allow}, up.URL, rules...)
		for _, tt := range tests {
			want := tt.deny
			if allow {
				want = tt.allow
			}
			resp := rawRequest(t, strings.TrimPrefix(gw.URL, "http://"), tt.method+" "+tt.path, read)
			if resp.StatusCode != want {
				t.Errorf("allow unmatched %v: %s %s: status %d, want %d", allow, tt.method, tt.path, resp.StatusCode, want)
			}
			if want == 405 && resp.Header.Get("Allow") != "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PROPFIND, PUT" {
				t.Errorf("%s: Allow %q", tt.method, resp.Header.Get("Allow"))
			}
		}
	}
}
