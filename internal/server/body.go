package server

import (
	"io"
	"net/http"
	"sync/atomic"
	"time"
)

// closeGrace is how long a connection whose body will not be read stays
// open after its answer: net/http's own wait before such a close.
const closeGrace = 500 * time.Millisecond

// limitBodies is the outermost handler of every listener mint serve opens
// (the main address and the metrics address). It does two things the
// http.Server timeouts cannot:
//
//   - A request body must arrive within bodyTimeout of the handler
//     starting, that is of the end of the headers, not the 15 s of
//     ReadTimeout: a token request is a few hundred bytes, and its body
//     is the credential, so it cannot be refused before it is read; a
//     stranger trickling it is cut after bodyTimeout instead.
//   - An answer given before the body was read (a 401 for a request
//     without a token, a 403 for a console form without a session, a 405,
//     a 404) is sent at once and the connection closed. Left alone,
//     net/http reads up to 256 KiB of the unread body before it writes the
//     status line, so a stranger who trickled a body held the refusal
//     until ReadTimeout.
func limitBodies(bodyTimeout time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Now().Add(bodyTimeout))
		body := &watchedBody{ReadCloser: r.Body, rc: rc, length: r.ContentLength}
		// A copy: net/http keeps the original request and looks at the
		// type of its Body to decide how to close the connection.
		watched := r.WithContext(r.Context())
		watched.Body = body
		next.ServeHTTP(&earlyAnswer{ResponseWriter: w, body: body, http1: r.ProtoMajor == 1}, watched)
		if !body.done() {
			// Nobody will read the rest. The answer is sent; net/http
			// drains what comes within closeGrace (so that closing does
			// not reset the connection under an answer the client has
			// not read yet, as its own closes wait 500 ms), then closes.
			_ = rc.SetReadDeadline(time.Now().Add(closeGrace))
		}
	})
}

// watchedBody is a request body that knows when it was read to the end.
type watchedBody struct {
	io.ReadCloser
	rc     *http.ResponseController
	length int64 // Content-Length, -1 when unknown (chunked)
	read   atomic.Int64
	eof    atomic.Bool
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.read.Add(int64(n))
	if err == io.EOF && !b.eof.Swap(true) {
		// The body is in: lift its deadline, which would otherwise fire
		// in net/http's background read and cancel the request's context
		// while the handler works. net/http sets the next request's
		// deadlines itself.
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// done reports whether the whole body was read. A decoder may stop at
// the last byte without asking for EOF; a known length settles it.
func (b *watchedBody) done() bool {
	return b.eof.Load() || (b.length >= 0 && b.read.Load() >= b.length)
}

// earlyAnswer marks an HTTP/1 answer written before the body was read
// "Connection: close", which makes net/http send it without draining the
// body first.
type earlyAnswer struct {
	http.ResponseWriter
	body        *watchedBody
	http1       bool
	wroteHeader bool
}

func (w *earlyAnswer) WriteHeader(code int) {
	if !w.wroteHeader {
		w.wroteHeader = true
		if w.http1 && code >= 200 && !w.body.done() {
			w.Header().Set("Connection", "close")
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *earlyAnswer) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *earlyAnswer) Unwrap() http.ResponseWriter { return w.ResponseWriter }
