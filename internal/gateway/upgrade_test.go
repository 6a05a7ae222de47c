package gateway_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// smuggler is an upstream on a raw socket that answers an upgrade (or, if
// always101, any request) with 101 Switching Protocols and then goes on
// reading HTTP/1.1 requests on the same connection, as a server would
// that takes the bytes after the switch for requests. A request it reads
// after a 101 came through a tunnel that no rule or token check sees.
type smuggler struct {
	ln        net.Listener
	always101 bool
	mu        sync.Mutex
	seen      []*http.Request
}

func newSmuggler(t *testing.T, always101 bool) *smuggler {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smuggler{ln: ln, always101: always101}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(conn)
		}
	}()
	return s
}

func (s *smuggler) url() string { return "http://" + s.ln.Addr().String() }

func (s *smuggler) serve(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(conn)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, req.Body)
		s.mu.Lock()
		s.seen = append(s.seen, req)
		s.mu.Unlock()
		proto := req.Header.Get("Upgrade")
		if proto == "" && s.always101 {
			proto = "h2c"
		}
		if proto != "" {
			fmt.Fprintf(conn, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: %s\r\n\r\n", proto)
		} else {
			io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nupstream")
		}
	}
}

func (s *smuggler) requests() []*http.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*http.Request(nil), s.seen...)
}

// TestUpgradesCarryNoUncheckedRequest: an h2c upgrade is stripped (the
// request goes on as HTTP/1.1, RFC 9110 §7.8 lets a server ignore
// Upgrade), another upgrade is refused unless the route's rule allows that
// protocol, and an upstream that switches protocols unasked is not
// followed. In no case does a second request on the caller's connection
// reach the upstream without its own token check.
func TestUpgradesCarryNoUncheckedRequest(t *testing.T) {
	iss := newIssuer(t)
	token := iss.token(t, "read:cargo")
	tests := []struct {
		name      string
		always101 bool
		path      string
		upgrade   string
		status    int
	}{
		{name: "h2c stripped", path: "/x", upgrade: "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA", status: 200},
		{name: "h2c in capitals stripped", path: "/x", upgrade: "Connection: upgrade\r\nUpgrade: H2C", status: 200},
		{name: "websocket where no rule allows it", path: "/x", upgrade: "Connection: Upgrade\r\nUpgrade: websocket", status: 400},
		{name: "websocket with h2c where no rule allows it", path: "/x", upgrade: "Connection: Upgrade\r\nUpgrade: h2c, websocket", status: 400},
		{name: "another protocol on the websocket route", path: "/events/feed", upgrade: "Connection: Upgrade\r\nUpgrade: foo", status: 400},
		{name: "upstream switches unasked", always101: true, path: "/x", status: 502},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newSmuggler(t, tt.always101)
			gw := startGateway(t, iss, up.url(), "/ read:cargo", "GET /events/ read:cargo upgrade=websocket")
			conn, err := net.DialTimeout("tcp", strings.TrimPrefix(gw.URL, "http://"), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			br := bufio.NewReader(conn)
			req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: api.example\r\nAuthorization: Bearer %s\r\n", tt.path, token)
			if tt.upgrade != "" {
				req += tt.upgrade + "\r\n"
			}
			io.WriteString(conn, req+"\r\n")
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if resp.StatusCode != 101 {
				_, _ = io.Copy(io.Discard, resp.Body)
			}
			// The second request, without a token: the gateway must see it.
			io.WriteString(conn, "GET /admin/users HTTP/1.1\r\nHost: api.example\r\n\r\n")
			if resp, err := http.ReadResponse(br, nil); err == nil {
				resp.Body.Close()
				if resp.StatusCode != 401 {
					t.Errorf("second request without a token: status %d, want 401", resp.StatusCode)
				}
			} // else the gateway closed the connection, which is as good
			for i, r := range up.requests() {
				if i > 0 || r.Header.Get("Authorization") == "" || r.URL.Path != tt.path {
					t.Errorf("upstream got %s %s without a token check (request %d)", r.Method, r.URL, i+1)
				}
				for _, h := range []string{"Upgrade", "Http2-Settings"} {
					if v := r.Header.Get(h); v != "" {
						t.Errorf("upstream got %s: %q", h, v)
					}
				}
			}
		})
	}
}

// TestAllowedUpgrade: on a route whose rule allows websocket, the switch
// goes through and the tunnel belongs to the upstream.
func TestAllowedUpgrade(t *testing.T) {
	iss := newIssuer(t)
	up := newSmuggler(t, false)
	gw := startGateway(t, iss, up.url(), "/ read:cargo", "GET /events/ read:cargo upgrade=websocket")
	for _, tt := range []struct {
		token  string
		status int
	}{{iss.token(t, "read:cargo"), 101}, {iss.token(t, "other"), 403}, {"", 401}} {
		h := "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13"
		resp := rawRequest(t, strings.TrimPrefix(gw.URL, "http://"), "GET /events/feed", tt.token, h)
		if resp.StatusCode != tt.status || tt.status == 101 && resp.Header.Get("Upgrade") != "websocket" {
			t.Errorf("status %d %v, want %d", resp.StatusCode, resp.Header, tt.status)
		}
	}
	if n := len(up.requests()); n != 1 {
		t.Errorf("upstream got %d requests, want 1", n)
	}
}
