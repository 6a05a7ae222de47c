package hostile

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/server"
	"github.com/mintauth/mint/internal/throttle"
)

const (
	adminID     = "hostile-admin"
	adminSecret = "hostile-admin-secret-0123456789abcdefghij"
)

// serve runs a mint on a loopback port with the given HTTP settings and
// returns its base URL.
func serve(t *testing.T, httpCfg server.HTTPConfig, th throttle.Config) string {
	t.Helper()
	srv, err := server.New(context.Background(), server.Config{
		DB: filepath.Join(t.TempDir(), "mint.db"), Issuer: "http://mint.test",
		BootstrapClientID: adminID, BootstrapClientSecret: adminSecret,
		HTTP: httpCfg, AuthThrottle: th,
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done; srv.Close() })
	return "http://" + ln.Addr().String()
}

func adminToken(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Post(base+"/oauth/token", "application/x-www-form-urlencoded",
		strings.NewReader(tokenForm(adminID, adminSecret)+"&audience=urn%3Amint%3Aadmin"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans struct {
		AccessToken string `json:"access_token"`
	}
	if json.NewDecoder(resp.Body).Decode(&ans); ans.AccessToken == "" {
		t.Fatalf("no admin token: status %d", resp.StatusCode)
	}
	return ans.AccessToken
}

// TestHostileInput sends malformed, deep, huge and mistyped requests to
// every endpoint that reads a body. Each must get a 4xx JSON error with an
// "error" code, never a 5xx.
func TestHostileInput(t *testing.T) {
	base := serve(t, server.HTTPConfig{}, throttle.Config{PairLimit: 1 << 20, SourceLimit: 1 << 20, FailureFloor: -1})
	admin := adminToken(t, base)
	deep := strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000)
	deepArr := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	bodies := map[string]string{
		"duplicate keys":        `{"grant_type":"client_credentials","grant_type":"client_credentials","client_id":"a","client_secret":"b"}`,
		"duplicate client_id":   `{"client_id":"a","client_id":"b","client_secret":"c","grant_type":"client_credentials"}`,
		"10,000-deep object":    `{"x":` + deep + `}`,
		"10,001-deep object":    `{"x":{"a":` + deep + `}}`,
		"100,000-deep array":    `{"x":` + deepArr + `}`,
		"deep at top":           deep,
		"huge exponent":         `{"grant_type":"client_credentials","client_id":1e999999,"client_secret":"b"}`,
		"huge exponent unknown": `{"x":1e999999,"grant_type":"client_credentials","client_id":"a","client_secret":"b"}`,
		"huge integer":          `{"name":123456789012345678901234567890,"client_id":123456789012345678901234567890}`,
		"invalid UTF-8":         "{\"grant_type\":\"client_credentials\",\"client_id\":\"\xff\xfe\",\"client_secret\":\"b\"}",
		"invalid UTF-8 key":     "{\"\xc3\x28\":\"x\"}",
		"NUL in value":          "{\"grant_type\":\"client_credentials\",\"client_id\":\"a\x00b\",\"client_secret\":\"b\"}",
		"escaped NUL":           `{"grant_type":"client_credentials","client_id":"a\u0000b","client_secret":"b","name":"x\u0000"}`,
		"NUL in key":            `{"client_id\u0000":"a","grant\u0000_type":"x","name\u0000":"y"}`,
		"wrong types":           `{"grant_type":["client_credentials"],"client_id":{"a":1},"client_secret":true,"name":7,"audience":null,"token":[]}`,
		"not an object":         `["client_credentials"]`,
		"two objects":           `{"grant_type":"client_credentials"}{"x":1}`,
		"truncated":             `{"grant_type":"client_credentials","client_id":"a`,
		"lone surrogate":        `{"client_id":"\ud800","client_secret":"b","grant_type":"client_credentials","name":"\udfff"}`,
		"empty":                 ``,
		"null":                  `null`,
	}
	endpoints := []struct {
		method, path string
		bearer       bool
	}{
		{"POST", "/oauth/token", false},
		{"POST", "/oauth/introspect", false},
		{"POST", "/oauth/revoke", false},
		{"POST", "/admin/v1/clients", true},
		{"POST", "/admin/v1/apis", true},
		{"POST", "/admin/v1/grants", true},
	}
	for _, ep := range endpoints {
		for name, body := range bodies {
			for _, ct := range []string{"application/json", "application/x-www-form-urlencoded"} {
				t.Run(ep.path+"/"+name+"/"+ct, func(t *testing.T) {
					req, _ := http.NewRequest(ep.method, base+ep.path, strings.NewReader(body))
					req.Header.Set("Content-Type", ct)
					if ep.bearer {
						req.Header.Set("Authorization", "Bearer "+admin)
					} else {
						req.SetBasicAuth(adminID, adminSecret)
					}
					checkRFCError(t, req)
				})
			}
		}
	}
}

// checkRFCError sends req and wants a 4xx JSON answer with an error code.
func checkRFCError(t *testing.T, req *http.Request) *http.Response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var e struct {
		Error string `json:"error"`
	}
	if resp.StatusCode < 400 || resp.StatusCode > 499 || json.Unmarshal(raw, &e) != nil || e.Error == "" {
		t.Fatalf("status %d, body %.300s; want a 4xx RFC 6749 error", resp.StatusCode, raw)
	}
	return resp
}

func TestOversizedRequests(t *testing.T) {
	base := serve(t, server.HTTPConfig{MaxHeaderBytes: 8 << 10}, throttle.Config{})
	t.Run("header over MaxHeaderBytes is 431", func(t *testing.T) {
		req, _ := http.NewRequest("POST", base+"/oauth/token", strings.NewReader("a=b"))
		req.Header.Set("X-Pad", strings.Repeat("a", 64<<10))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("status %d, want 431", resp.StatusCode)
		}
	})
	for _, path := range []string{"/oauth/token", "/oauth/introspect", "/oauth/revoke"} {
		for _, chunked := range []bool{false, true} {
			t.Run(path+" body over the limit is 413/chunked="+strconv.FormatBool(chunked), func(t *testing.T) {
				var body io.Reader = strings.NewReader(`{"x":"` + strings.Repeat("a", 4<<20) + `"}`)
				if chunked {
					body = io.MultiReader(body) // no length: sent chunked
				}
				req, _ := http.NewRequest("POST", base+path, body)
				req.Header.Set("Content-Type", "application/json")
				if resp := checkRFCError(t, req); resp.StatusCode != http.StatusRequestEntityTooLarge {
					t.Fatalf("status %d, want 413", resp.StatusCode)
				}
			})
		}
	}
}

// TestSlowClientsAreCut holds connections open the ways a slow or hostile
// client would and checks that the server closes them within its
// timeouts.
func TestSlowClientsAreCut(t *testing.T) {
	cfg := server.HTTPConfig{ReadHeaderTimeout: time.Second, ReadTimeout: 2 * time.Second, IdleTimeout: time.Second}
	base := serve(t, cfg, throttle.Config{})
	addr := strings.TrimPrefix(base, "http://")
	t.Run("headers one byte a second (slowloris)", func(t *testing.T) {
		conn := dial(t, addr)
		start := time.Now()
		msg := "POST /oauth/token HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 60)
		closed := trickle(conn, msg, time.Second/4)
		took := time.Since(start)
		t.Logf("slowloris connection closed after %v (ReadHeaderTimeout %v)", took.Round(time.Millisecond), cfg.ReadHeaderTimeout)
		if !closed || took > cfg.ReadHeaderTimeout+time.Second {
			t.Fatalf("connection held %v, closed=%v; want closed within ReadHeaderTimeout %v + 1 s", took, closed, cfg.ReadHeaderTimeout)
		}
	})
	t.Run("body one byte a second", func(t *testing.T) {
		conn := dial(t, addr)
		start := time.Now()
		conn.Write([]byte("POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"))
		closed := trickle(conn, strings.Repeat("a", 100), time.Second/4)
		took := time.Since(start)
		t.Logf("slow-body connection closed after %v (ReadTimeout %v)", took.Round(time.Millisecond), cfg.ReadTimeout)
		if !closed || took > cfg.ReadTimeout+time.Second {
			t.Fatalf("connection held %v, closed=%v; want closed within ReadTimeout %v + 1 s", took, closed, cfg.ReadTimeout)
		}
	})
	t.Run("idle keep-alive", func(t *testing.T) {
		conn := dial(t, addr)
		conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		start := time.Now()
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = br.ReadByte()
		took := time.Since(start)
		t.Logf("idle connection closed after %v (IdleTimeout %v)", took.Round(time.Millisecond), cfg.IdleTimeout)
		if !errors.Is(err, io.EOF) || took > cfg.IdleTimeout+time.Second {
			t.Fatalf("idle connection: %v after %v; want EOF within IdleTimeout %v + 1 s", err, took, cfg.IdleTimeout)
		}
	})
}

func dial(t *testing.T, addr string) net.Conn {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// trickle writes msg a byte every interval, and reports whether the server
// closed the connection (a write fails or a read returns) before the end.
func trickle(conn net.Conn, msg string, interval time.Duration) bool {
	closed := make(chan struct{})
	go func() {
		io.Copy(io.Discard, conn) // returns when the server closes
		close(closed)
	}()
	for i := range len(msg) {
		select {
		case <-closed:
			return true
		case <-time.After(interval):
		}
		if _, err := conn.Write([]byte{msg[i]}); err != nil {
			return true
		}
	}
	return false
}
