package gateway

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mintauth/mint/bearer"
)

// Limits bound how long a caller may hold the gateway's connections.
type Limits struct {
	// Header is the time to read a request's line and headers.
	Header time.Duration
	// Idle is the time a kept-alive connection may wait for its next
	// request.
	Idle time.Duration
	// Body and BodyMinRate bound the time to read a request body, which
	// streams to the upstream and so has no total limit: reading may take
	// Body from its first read, plus one second for every BodyMinRate
	// bytes received (as Apache's mod_reqtimeout does). A body that
	// trickles slower is cut and answered 408.
	Body        time.Duration
	BodyMinRate int64
}

// DefaultLimits are the limits of a zero Limits field.
var DefaultLimits = Limits{Header: 10 * time.Second, Idle: 2 * time.Minute, Body: 30 * time.Second, BodyMinRate: 1024}

func (l *Limits) fill() {
	if l.Header <= 0 {
		l.Header = DefaultLimits.Header
	}
	if l.Idle <= 0 {
		l.Idle = DefaultLimits.Idle
	}
	if l.Body <= 0 {
		l.Body = DefaultLimits.Body
	}
	if l.BodyMinRate <= 0 {
		l.BodyMinRate = DefaultLimits.BodyMinRate
	}
}

var (
	// errBodyTooSlow is a request body that did not arrive within its limits.
	errBodyTooSlow = errors.New("request body too slow")
	// errBodyAfterHandler is a read of a body whose request was answered.
	errBodyAfterHandler = errors.New("request body read after its request was answered")
)

// closeAfterRefusal wraps an error writer so that a refused request's body
// is never waited for: Go's server would otherwise read up to 256 KiB of
// it before answering, at whatever pace the caller sends it. The
// connection is closed after the answer, and its read deadline, now past,
// ends the server's own attempt to drain the body.
func closeAfterRefusal(write bearer.ErrorWriter) bearer.ErrorWriter {
	return func(w http.ResponseWriter, r *http.Request, f *bearer.Failure) {
		if r.ContentLength != 0 {
			w.Header().Set("Connection", "close")
			_ = http.NewResponseController(w).SetReadDeadline(time.Now()) // unsupported: not a server connection
		}
		write(w, r, f)
	}
}

// forward sends a verified request upstream, its body read within the
// limits.
func (g *gateway) forward(w http.ResponseWriter, r *http.Request) {
	if r.Body != nil && r.Body != http.NoBody {
		body := &limitedBody{body: r.Body, rc: http.NewResponseController(w), limits: g.cfg.Limits}
		defer body.handlerDone()
		r = r.WithContext(withBody(r.Context(), body))
		r.Body = body
	}
	g.proxy.ServeHTTP(w, r)
}

// limitedBody reads a request body under Limits.Body and BodyMinRate, by
// setting the connection's read deadline before each read. The deadline
// stays set between reads (so that the server, draining what the upstream
// did not read, is bounded too) and is cleared at the end of the body:
// after that the server reads the connection only to notice the caller
// leaving, which must not time out.
//
// The transport may still read the body after the handler has returned
// (when the upstream answered early); by then the connection may serve
// another request, whose deadlines are not the body's to set, so mu and
// done keep deadlines from being set after handlerDone.
type limitedBody struct {
	body     io.ReadCloser
	rc       *http.ResponseController
	limits   Limits
	start    time.Time
	n        int64
	timedOut atomic.Bool
	mu       sync.Mutex
	done     bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.start.IsZero() {
		b.start = time.Now()
	}
	deadline := b.start.Add(b.limits.Body + time.Duration(b.n/b.limits.BodyMinRate)*time.Second)
	if !b.setDeadline(deadline) {
		return 0, errBodyAfterHandler
	}
	n, err := b.body.Read(p)
	b.n += int64(n)
	switch {
	case err == io.EOF:
		b.setDeadline(time.Time{})
	case err != nil && !time.Now().Before(deadline):
		b.timedOut.Store(true)
		err = errBodyTooSlow
	}
	return n, err
}

// setDeadline sets the connection's read deadline, unless the handler is
// done; it reports whether the handler is still running.
func (b *limitedBody) setDeadline(t time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return false
	}
	_ = b.rc.SetReadDeadline(t) // unsupported: not a server connection, nothing to bound
	return true
}

func (b *limitedBody) handlerDone() {
	b.mu.Lock()
	b.done = true
	b.mu.Unlock()
}

func (b *limitedBody) Close() error { return b.body.Close() }
