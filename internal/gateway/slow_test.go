package gateway_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/gateway"
)

// The slow-client tests send at one byte a second, so the slowest caller
// would take trickleFor; every answer they wait for must come within
// answerWithin, far below it and far above any limit they configure, so
// that a loaded machine cannot make them flaky.
const (
	trickleFor   = 60 * time.Second
	answerWithin = 5 * time.Second
)

// serveGateway runs the gateway as "mint gateway" does, on loopback.
func serveGateway(t *testing.T, iss *issuer, upstream string, limits gateway.Limits, rules ...string) string {
	t.Helper()
	var parsed []gateway.Rule
	for _, s := range rules {
		r, err := gateway.ParseRule(s)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, r)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- gateway.Serve(ctx, ln, &gateway.Options{
			Upstream: upstream, Issuer: iss.srv.URL, Audience: audience, Rules: parsed, Limits: limits,
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// trickle opens a connection, writes head at once, then one byte of tail a
// second until the tail is sent, the connection fails or the test ends.
func trickle(t *testing.T, addr, head, tail string) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, answerWithin)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	t.Cleanup(func() { close(stop); conn.Close(); wg.Wait() })
	_ = conn.SetDeadline(time.Now().Add(trickleFor))
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < len(tail); i++ {
			select {
			case <-stop:
				return
			case <-time.After(time.Second):
			}
			if _, err := conn.Write([]byte{tail[i]}); err != nil {
				return
			}
		}
	}()
	return conn
}

// answered reads the response on conn and then waits for the gateway to
// close the connection, failing if either takes longer than answerWithin
// from start.
func answered(t *testing.T, conn net.Conn, start time.Time, want int) {
	t.Helper()
	_ = conn.SetReadDeadline(start.Add(answerWithin))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Errorf("no answer within %v (a trickling body would take %v): %v", answerWithin, trickleFor, err)
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		t.Errorf("status %d, want %d", resp.StatusCode, want)
	}
	closedWithin(t, br, start)
}

// closedWithin fails unless the gateway closes the connection read by br
// within answerWithin from start.
func closedWithin(t *testing.T, br *bufio.Reader, start time.Time) {
	t.Helper()
	_, err := br.ReadByte()
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("connection still open %v after the request began", time.Since(start).Round(time.Millisecond))
	}
}

// TestRefusedBodiesAreNotWaitedFor: a request the gateway refuses (no
// token, a token without the scope, a bad path) is answered at once and
// its connection closed, whatever its body: declared by Content-Length,
// chunked, or behind "Expect: 100-continue". Three callers at a time, as
// in the report, each trickling a byte a second.
func TestRefusedBodiesAreNotWaitedFor(t *testing.T) {
	iss := newIssuer(t)
	up := newRecorder(t)
	addr := serveGateway(t, iss, up.URL, gateway.Limits{}, "/ write:cargo")
	body := strings.Repeat("x", int(trickleFor/time.Second))
	tests := []struct {
		name, head string
		status     int
	}{
		{"no token", "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n", 401},
		{"no token, chunked", "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n", 401},
		{"no token, expect 100-continue", "POST /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n", 401},
		{"bad token", "POST /x HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer e30.e30.e30\r\nContent-Length: %d\r\n\r\n", 401},
		{"scope missing", "POST /x HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer " + iss.token(t, "read:cargo") +
			"\r\nContent-Length: %d\r\n\r\n", 403},
		{"bad path", "POST /x/%%2e%%2e/y HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			var conns []net.Conn
			for range 3 {
				conns = append(conns, trickle(t, addr, fmt.Sprintf(tt.head, len(body)), body))
			}
			var wg sync.WaitGroup
			for _, conn := range conns {
				wg.Go(func() { answered(t, conn, start, tt.status) })
			}
			wg.Wait()
		})
	}
	if n := len(up.seen()); n != 0 {
		t.Errorf("upstream got %d requests", n)
	}
}

// TestSlowBodyIsCut: an authenticated body that trickles slower than the
// limits allow is cut and answered 408, where the trickle would take a
// minute; a body that keeps the rate goes through.
func TestSlowBodyIsCut(t *testing.T) {
	iss := newIssuer(t)
	up := newRecorder(t)
	addr := serveGateway(t, iss, up.URL, gateway.Limits{Body: time.Second, BodyMinRate: 1024}, "/ write:cargo")
	token := iss.token(t, "write:cargo")
	body := strings.Repeat("x", int(trickleFor/time.Second))
	start := time.Now()
	conn := trickle(t, addr, fmt.Sprintf("POST /upload HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer %s\r\n"+
		"Content-Length: %d\r\n\r\n", token, len(body)), body)
	answered(t, conn, start, http.StatusRequestTimeout)

	req, _ := http.NewRequestWithContext(t.Context(), "POST", "http://"+addr+"/upload", strings.NewReader(strings.Repeat("y", 1<<20)))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("a body at full speed: status %d", resp.StatusCode)
	}
}

// TestSlowHeadersAndIdleConnectionsAreClosed: headers that trickle, and a
// kept-alive connection that sends nothing more, are closed after their
// limits.
func TestSlowHeadersAndIdleConnectionsAreClosed(t *testing.T) {
	iss := newIssuer(t)
	up := newRecorder(t)
	addr := serveGateway(t, iss, up.URL, gateway.Limits{Header: time.Second, Idle: time.Second}, "/ read:cargo")

	start := time.Now()
	conn := trickle(t, addr, "GET /x HTTP/1.1\r\n", strings.Repeat("X-Slow: 1\r\n", 6))
	closedWithin(t, bufio.NewReader(conn), start)

	conn = trickle(t, addr, "GET /x HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer "+iss.token(t, "read:cargo")+"\r\n\r\n", "")
	start = time.Now()
	br := bufio.NewReader(conn)
	_ = conn.SetReadDeadline(start.Add(answerWithin))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
	closedWithin(t, br, start)
}
