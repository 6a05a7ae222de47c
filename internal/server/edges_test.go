package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/server"
)

// answerBound is how long a raw client waits for what must come at once:
// far above what an answer takes on a loaded machine, far below the
// timeouts the tests configure, so only the behaviour under test can meet
// it.
const answerBound = 10 * time.Second

// served is a Server answering on real loopback listeners: addr the main
// one, metrics the metrics one.
type served struct {
	srv           *server.Server
	addr, metrics string
}

// serveReal runs srv.Serve and srv.ServeMetrics on loopback until the
// test ends.
func serveReal(t *testing.T, cfg server.Config) served {
	t.Helper()
	srv := newServer(t, cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	mustDo(t, err)
	mln, err := net.Listen("tcp", "127.0.0.1:0")
	mustDo(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { _ = srv.Serve(ctx, ln); done <- struct{}{} }()
	go func() { _ = srv.ServeMetrics(ctx, mln); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })
	return served{srv: srv, addr: ln.Addr().String(), metrics: mln.Addr().String()}
}

// trickle dials addr, sends head and then body one byte every 50 ms
// (chunked: one one-byte chunk at a time) until the server stops reading
// or the test ends. It returns the connection.
func trickle(t *testing.T, addr, head string, body int, chunked bool) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	mustDo(t, err)
	t.Cleanup(func() { conn.Close() })
	_, err = io.WriteString(conn, head)
	mustDo(t, err)
	stop := t.Context()
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for range body {
			piece := "x"
			if chunked {
				piece = "1\r\nx\r\n"
			}
			if _, err := io.WriteString(conn, piece); err != nil {
				return
			}
			select {
			case <-tick.C:
			case <-stop.Done():
				return
			}
		}
	}()
	return conn
}

// answer reads the status line from conn within answerBound, then
// reports whether the server closed the connection within answerBound.
func answer(t *testing.T, conn net.Conn) (status int, header http.Header, closed bool, took time.Duration) {
	t.Helper()
	start := time.Now()
	_ = conn.SetReadDeadline(start.Add(answerBound))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer within %v: %v", answerBound, err)
	}
	took = time.Since(start)
	_, err = io.Copy(io.Discard, br) // the body, then EOF (or a reset: we may still be writing)
	var ne net.Error
	closed = err == nil || !(errors.As(err, &ne) && ne.Timeout())
	return resp.StatusCode, resp.Header, closed, took
}

// TestRefusalDoesNotWaitForBody: a request refused before its body is
// read — an admin call without a bearer token or with a bad one, a console
// form without a session, an unknown path, a POST to /metrics — is
// answered at once and its connection closed, while the client is still
// trickling the body, on the main and the metrics listener. Before,
// net/http drained the body before writing the refusal, so the answer
// waited for the body or ReadTimeout (here a minute).
func TestRefusalDoesNotWaitForBody(t *testing.T) {
	s := serveReal(t, server.Config{HTTP: server.HTTPConfig{BodyTimeout: time.Minute, ReadTimeout: 2 * time.Minute}})
	form := "Content-Type: application/x-www-form-urlencoded\r\n"
	tests := []struct {
		name, addr, request, headers string
		chunked                      bool
		status                       int
	}{
		{"admin without token", s.addr, "POST /admin/v1/clients", "Content-Type: application/json\r\n", false, 401},
		{"admin without token, chunked", s.addr, "POST /admin/v1/clients", "Content-Type: application/json\r\n", true, 401},
		{"admin with a bad token", s.addr, "PATCH /admin/v1/apis/x", "Authorization: Bearer e30.e30.AAAA\r\n", false, 401},
		{"admin, basic credentials", s.addr, "POST /admin/v1/grants", "Authorization: Basic YTpi\r\n", false, 401},
		{"console form without session", s.addr, "POST /console/apis", form, false, 403},
		{"console delete without session", s.addr, "POST /console/apis/x/delete", form, true, 403},
		{"unknown path", s.addr, "POST /nowhere", form, false, 404},
		{"metrics listener", s.metrics, "POST /metrics", form, false, 404},
		{"metrics listener, unknown path", s.metrics, "PUT /oauth/token", form, false, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			length := "Content-Length: 100000\r\n"
			if tt.chunked {
				length = "Transfer-Encoding: chunked\r\n"
			}
			head := tt.request + " HTTP/1.1\r\nHost: mint.test\r\n" + tt.headers + length + "\r\n"
			status, header, closed, took := answer(t, trickle(t, tt.addr, head, 100000, tt.chunked))
			if status != tt.status {
				t.Errorf("status %d, want %d", status, tt.status)
			}
			if tt.status == 401 && !strings.HasPrefix(header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without a Bearer challenge: %q", header.Get("WWW-Authenticate"))
			}
			if !closed {
				t.Errorf("connection still open %v after the answer", answerBound)
			}
			t.Logf("answered %d in %v", status, took.Round(time.Millisecond))
		})
	}
}

// TestSlowTokenBodyIsCut: the token endpoint must read its body (it holds
// the credentials), so a body trickled slower than BodyTimeout allows is
// cut at BodyTimeout (here 1 s), not at ReadTimeout (here 2 minutes; 15 s
// by default); a body that arrives in pieces within it is answered.
func TestSlowTokenBodyIsCut(t *testing.T) {
	const bodyTimeout = time.Second
	s := serveReal(t, server.Config{HTTP: server.HTTPConfig{BodyTimeout: bodyTimeout, ReadTimeout: 2 * time.Minute}})
	head := "POST /oauth/token HTTP/1.1\r\nHost: mint.test\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
		"Content-Length: 1000\r\n\r\n"
	start := time.Now()
	status, _, closed, _ := answer(t, trickle(t, s.addr, head, 1000, false)) // 50 s at this pace
	took := time.Since(start)
	if took < bodyTimeout {
		t.Errorf("cut after %v, before BodyTimeout %v", took, bodyTimeout)
	}
	if status != http.StatusBadRequest || !closed {
		t.Errorf("status %d, closed %v; want 400 and the connection closed", status, closed)
	}
	t.Logf("a token body trickled at 20 B/s: %d after %v with a %v BodyTimeout", status, took.Round(time.Millisecond), bodyTimeout)

	// In time, in pieces: answered, and the connection kept for the next.
	conn, err := net.Dial("tcp", s.addr)
	mustDo(t, err)
	defer conn.Close()
	body := url.Values{"grant_type": {"client_credentials"}, "client_id": {"nobody"}, "client_secret": {"wrong"}}.Encode()
	for range 2 {
		_, err = fmt.Fprintf(conn, "POST /oauth/token HTTP/1.1\r\nHost: mint.test\r\n"+
			"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n", len(body))
		mustDo(t, err)
		for _, piece := range []string{body[:5], body[5:20], body[20:]} {
			time.Sleep(50 * time.Millisecond)
			_, err = io.WriteString(conn, piece)
			mustDo(t, err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(answerBound))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		mustDo(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Close {
			t.Fatalf("a body sent in time: %d (close %v), want 401 invalid_client on a kept connection", resp.StatusCode, resp.Close)
		}
	}
}

// TestAuthenticatedAdminKeepsConnection: an admin request whose body was
// read (by a JSON decoder, which need not ask for EOF) keeps its
// connection alive: only early refusals close it.
func TestAuthenticatedAdminKeepsConnection(t *testing.T) {
	s := serveReal(t, server.Config{Issuer: "http://mint.test", BootstrapClientID: "ops-admin", BootstrapClientSecret: adminSecret})
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"ops-admin"},
		"client_secret": {adminSecret}, "audience": {mint.AdminAudience}}
	resp, err := http.PostForm("http://"+s.addr+"/oauth/token", form)
	mustDo(t, err)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	decodeJSON(t, resp, &tok)
	for i := range 2 {
		req, _ := http.NewRequest("POST", "http://"+s.addr+"/admin/v1/apis",
			strings.NewReader(fmt.Sprintf(`{"name":"edge %d","audience":"https://edge%d.test"}`, i, i)))
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		mustDo(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || resp.Close {
			t.Fatalf("admin create: %d (close %v), want 201 on a kept connection", resp.StatusCode, resp.Close)
		}
	}
}

// TestMetricsListenerLimits: the metrics listener has the main listener's
// limits (it had only a fixed 5 s header timeout and no idle timeout): a
// slowloris is cut at ReadHeaderTimeout, an idle keep-alive at
// IdleTimeout, oversized headers get 431.
func TestMetricsListenerLimits(t *testing.T) {
	s := serveReal(t, server.Config{HTTP: server.HTTPConfig{ReadHeaderTimeout: 300 * time.Millisecond,
		IdleTimeout: 300 * time.Millisecond, MaxHeaderBytes: 4 << 10}})
	const oldHeaderTimeout = 5 * time.Second

	t.Run("slowloris", func(t *testing.T) {
		conn := trickle(t, s.metrics, "GET /metrics HTTP/1.1\r\nHost: mint.test\r\nX-Slow: ", 1000, false)
		start := time.Now()
		_ = conn.SetReadDeadline(start.Add(answerBound))
		_, _ = io.Copy(io.Discard, conn)
		if took := time.Since(start); took >= oldHeaderTimeout {
			t.Errorf("slow headers held the connection %v, want about ReadHeaderTimeout (300ms)", took)
		}
	})
	t.Run("idle", func(t *testing.T) {
		conn, err := net.Dial("tcp", s.metrics)
		mustDo(t, err)
		defer conn.Close()
		_, err = io.WriteString(conn, "GET /metrics HTTP/1.1\r\nHost: mint.test\r\n\r\n")
		mustDo(t, err)
		_ = conn.SetReadDeadline(time.Now().Add(answerBound))
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		mustDo(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != 200 || resp.Close {
			t.Fatalf("scrape: %d, close %v", resp.StatusCode, resp.Close)
		}
		if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
			t.Errorf("idle keep-alive not closed within %v: %v", answerBound, err)
		}
	})
	t.Run("large headers", func(t *testing.T) {
		conn, err := net.Dial("tcp", s.metrics)
		mustDo(t, err)
		defer conn.Close()
		_, err = io.WriteString(conn, "GET /metrics HTTP/1.1\r\nHost: mint.test\r\nX-Big: "+strings.Repeat("a", 16<<10)+"\r\n\r\n")
		mustDo(t, err)
		status, _, _, _ := answer(t, conn)
		if status != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("16 KiB of headers: %d, want 431", status)
		}
	})
}

func decodeJSON(t *testing.T, resp *http.Response, into any) {
	t.Helper()
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	mustDo(t, json.NewDecoder(resp.Body).Decode(into))
}
