// Package logline is the slog handler mint's long-running commands write
// their log with: slog's own JSON or text handler, plus a fast path that
// writes one hot line — the token endpoint's "token issued", one per token
// — without slog's per-record work (the caller's program counter, the
// handler's state and attribute dispatch, a reflective encoding of the
// scope list).
//
// The fast path writes the bytes slog's handler would write for the same
// record, in one Write through the same lock, so that lines never
// interleave; a line with any value it does not write plainly (a byte that
// needs escaping or quoting, an empty value) goes through slog instead, as
// do the level and format options: a record slog's handler would drop is
// dropped. TestFastLineMatchesSlog holds the two to the same bytes.
package logline

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Handler is a slog.Handler writing JSON or text lines to one writer.
// Handlers derived from it by WithAttrs or WithGroup are slog's own: the
// fast path writes no such attributes, so they have none.
type Handler struct {
	slog.Handler
	out  *lockedWriter
	json bool
	// fast: opts let the fast path write what slog would (no AddSource,
	// no ReplaceAttr).
	fast bool
}

// New returns a Handler writing to w in format "json" or (anything else)
// "text", with opts as slog's handlers take them.
func New(w io.Writer, format string, opts *slog.HandlerOptions) *Handler {
	if opts == nil {
		opts = &slog.HandlerOptions{}
	}
	h := &Handler{out: &lockedWriter{w: w}, json: format == "json",
		fast: !opts.AddSource && opts.ReplaceAttr == nil}
	if h.json {
		h.Handler = slog.NewJSONHandler(h.out, opts)
	} else {
		h.Handler = slog.NewTextHandler(h.out, opts)
	}
	return h
}

// lockedWriter serializes Writes, so that a fast line and one of slog's,
// each a single Write, never interleave.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// lineBufs holds the fast path's line buffers: the Write through an
// interface makes a stack buffer escape, so one per line would be an
// allocation per token.
var lineBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// maxPooled keeps a line made large by long values out of the pool.
const maxPooled = 4 << 10

// TokenIssued writes the line
//
//	msg client_id=… audience=… scopes=[…] jti=…
//
// at Info, as slog.Logger.LogAttrs with those attributes (scopes as
// slog.Any) writes it through this handler, and reports whether it did.
// False means the caller must log it through slog: a value needs
// escaping or quoting, or the options are ones the fast path does not
// follow. A level that drops Info lines is "written" (true, nothing out).
func (h *Handler) TokenIssued(ctx context.Context, msg, clientID, audience string, scopes []string, jti string) bool {
	return h.TokenIssuedAt(ctx, time.Time{}, msg, clientID, audience, scopes, jti)
}

// TokenIssuedAt is TokenIssued with the line's time, t, read by the caller
// (the token endpoint reads the clock once per token); zero: now.
func (h *Handler) TokenIssuedAt(ctx context.Context, t time.Time, msg, clientID, audience string, scopes []string, jti string) bool {
	if !h.fast || !plain(msg, true) || !plain(clientID, false) || !plain(audience, false) || !plain(jti, false) {
		return false
	}
	for _, s := range scopes {
		if !plain(s, false) {
			return false
		}
	}
	if !h.Handler.Enabled(ctx, slog.LevelInfo) {
		return true
	}
	if t.IsZero() {
		t = time.Now()
	}
	if y := t.Year(); y < 0 || y > 9999 {
		return false // slog's JSON handler refuses such a time: let it say so
	}
	bp := lineBufs.Get().(*[]byte)
	b := h.appendLine((*bp)[:0], t, msg, clientID, audience, scopes, jti)
	_, _ = h.out.Write(b) // slog's handlers do not report a failed write either
	if cap(b) <= maxPooled {
		*bp = b
		lineBufs.Put(bp)
	}
	return true
}
