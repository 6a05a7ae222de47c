package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// wireConn is one load goroutine's keep-alive connection. It writes the
// token request's bytes, encoded once, and reads each answer with
// http.ReadResponse on the same goroutine. net/http's Transport runs two
// more goroutines per connection and hands every request and answer
// between them; on two cores shared with the server under test, that is
// CPU taken from the server and scheduling delay added to the latencies
// measured, for the server and the baselines alike.
type wireConn struct {
	addr       string
	serverName string // for https: TLS with this name; "" for http
	req        []byte

	mu     sync.Mutex
	conn   net.Conn
	br     *bufio.Reader
	closed bool // by the caller's context: no more dialing
}

func newWireConn(ctx context.Context, tr *tokenRequest) (*wireConn, func(), error) {
	u, err := url.Parse(tr.url)
	if err != nil {
		return nil, nil, err
	}
	wc := &wireConn{addr: u.Host, req: tr.wire(u)}
	switch u.Scheme {
	case "http":
	case "https":
		wc.serverName = u.Hostname()
	default:
		return nil, nil, fmt.Errorf("bad token URL %q: want http or https", tr.url)
	}
	if u.Port() == "" {
		wc.addr = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
	}
	stop := context.AfterFunc(ctx, wc.close)
	return wc, func() { stop(); wc.close() }, nil
}

// wire is the request as it goes on the wire.
func (tr *tokenRequest) wire(u *url.URL) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: mint-bench\r\nContent-Type: %s\r\nContent-Length: %d\r\n",
		u.RequestURI(), u.Host, tr.contentType, len(tr.body))
	if tr.auth != "" {
		fmt.Fprintf(&b, "Authorization: %s\r\n", tr.auth)
	}
	b.WriteString("\r\n")
	b.Write(tr.body)
	return b.Bytes()
}

func (wc *wireConn) close() {
	wc.mu.Lock()
	defer wc.mu.Unlock()
	wc.closed = true
	wc.drop()
}

// drop closes the connection, if any, so that the next send dials anew.
func (wc *wireConn) drop() {
	if wc.conn != nil {
		wc.conn.Close()
		wc.conn, wc.br = nil, nil
	}
}

// connect returns the open connection, dialing one if there is none. The
// dial and the TLS handshake are bounded by deadline and run unlocked, so
// that close can always stop the connection.
func (wc *wireConn) connect(deadline time.Time) (net.Conn, *bufio.Reader, error) {
	wc.mu.Lock()
	c, br, closed := wc.conn, wc.br, wc.closed
	wc.mu.Unlock()
	switch {
	case closed:
		return nil, nil, context.Canceled
	case c != nil:
		return c, br, nil
	}
	c, err := wc.dial(deadline)
	if err != nil {
		return nil, nil, err
	}
	wc.mu.Lock()
	defer wc.mu.Unlock()
	if wc.closed {
		c.Close()
		return nil, nil, context.Canceled
	}
	wc.conn, wc.br = c, bufio.NewReaderSize(c, 8<<10)
	return wc.conn, wc.br, nil
}

func (wc *wireConn) dial(deadline time.Time) (net.Conn, error) {
	d := net.Dialer{Deadline: deadline}
	c, err := d.Dial("tcp", wc.addr)
	if err != nil || wc.serverName == "" {
		return c, err
	}
	tc := tls.Client(c, &tls.Config{ServerName: wc.serverName})
	if err := tc.SetDeadline(deadline); err != nil {
		c.Close()
		return nil, err
	}
	if err := tc.Handshake(); err != nil {
		c.Close()
		return nil, err
	}
	return tc, nil
}

// send makes one token request and reads the whole answer into buf.
func (wc *wireConn) send(deadline time.Time, buf *bytes.Buffer) error {
	c, br, err := wc.connect(deadline)
	if err != nil {
		return err
	}
	resp, err := wc.exchange(c, br, deadline, buf)
	if err != nil || resp.Close {
		wc.mu.Lock()
		if wc.conn == c {
			wc.drop()
		}
		wc.mu.Unlock()
	}
	if err != nil {
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer within %v of the end of the run", grace)
		}
		return err
	}
	return checkAnswer(resp.StatusCode, resp.Status, buf.Bytes())
}

func (wc *wireConn) exchange(c net.Conn, br *bufio.Reader, deadline time.Time, buf *bytes.Buffer) (*http.Response, error) {
	if err := c.SetDeadline(deadline); err != nil {
		return nil, err
	}
	if _, err := c.Write(wc.req); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := io.Copy(buf, io.LimitReader(resp.Body, maxAnswerBytes)); err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	return resp, nil
}

// checkAnswer tells a token answer from anything else.
func checkAnswer(code int, status string, body []byte) error {
	if code != http.StatusOK {
		if status == "" {
			status = strconv.Itoa(code)
		}
		return fmt.Errorf("%s: %s", status, clip(body))
	}
	if !hasAccessToken(body) {
		return fmt.Errorf("200 without an access_token: %s", clip(body))
	}
	return nil
}
