package server

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/mintauth/mint/internal/loglimit"
)

// shutdownGrace is how long in-flight requests get to finish on shutdown.
const shutdownGrace = 20 * time.Second

// HTTPConfig is how mint meets the network: timeouts and limits that keep
// slow or hostile clients from holding connections (zero fields take the
// defaults below), TLS (internal/server/tls.go) and trusted proxies
// (internal/server/proxy.go).
type HTTPConfig struct {
	// ReadHeaderTimeout bounds reading a request's headers (default 5s);
	// BodyTimeout, reading its body from the end of the headers (5s, at
	// most ReadTimeout; see limitBodies); ReadTimeout, the whole request
	// with its body (15s); WriteTimeout, from the end of the headers to
	// the end of the response (30s); IdleTimeout, a keep-alive connection
	// waiting for its next request (2m).
	ReadHeaderTimeout, BodyTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's headers (default 32 KiB); more is
	// 431. Bodies are bounded by each endpoint (413).
	MaxHeaderBytes int
	// TLSCertFile and TLSKeyFile, when set, serve HTTPS with this PEM
	// pair, reloaded when the files change.
	TLSCertFile, TLSKeyFile string
	// TLSClientCerts asks TLS clients for a certificate (not verified:
	// RFC 8705 §3 binds tokens to whatever certificate the client proves
	// it holds); a token request that presents one gets a token bound to
	// it (cnf.x5t#S256). Off by default: browsers would offer theirs.
	TLSClientCerts bool
	// TLSClientCAFile, when set, is a PEM file of the CAs whose client
	// certificates tls_client_auth accepts (RFC 8705 §2.1); it implies
	// TLSClientCerts.
	TLSClientCAFile string
	// ClientCertHeader, when set, is the header a TLS-terminating proxy
	// in TrustedProxies passes the client certificate in (RFC 9440 form
	// or base64 DER); from any other peer it is ignored.
	ClientCertHeader string
	// MTLSListener moves the asking for client certificates to a listener
	// of its own (Server.ServeMTLS, mint serve --mtls-addr), which serves
	// the token, introspection and revocation endpoints only: Serve's
	// listener then never asks, whatever TLSClientCerts and
	// TLSClientCAFile say, so browsers opening the console are never
	// asked for a certificate. Needs TLSCertFile.
	MTLSListener bool
	// MTLSURL is the base URL (scheme://host[:port]) clients reach the
	// mTLS listener at, named by discovery's mtls_endpoint_aliases
	// (RFC 8705 §5); empty: the issuer.
	MTLSURL string
	// TrustedProxies are the peers whose X-Forwarded-For and
	// X-Forwarded-Proto are honoured; from anyone else they are removed.
	TrustedProxies []netip.Prefix
}

func (c HTTPConfig) withDefaults() HTTPConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.ReadHeaderTimeout, 5*time.Second)
	def(&c.ReadTimeout, 15*time.Second)
	def(&c.BodyTimeout, 5*time.Second)
	c.BodyTimeout = min(c.BodyTimeout, c.ReadTimeout)
	def(&c.WriteTimeout, 30*time.Second)
	def(&c.IdleTimeout, 2*time.Minute)
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = 32 << 10
	}
	return c
}

// httpServer is the http.Server for h, with c's timeouts and limits: every
// listener mint serve opens is made here.
func httpServer(c HTTPConfig, h http.Handler, log *slog.Logger) *http.Server {
	c = c.withDefaults()
	return &http.Server{
		Handler:           limitBodies(c.BodyTimeout, h),
		ReadHeaderTimeout: c.ReadHeaderTimeout,
		ReadTimeout:       c.ReadTimeout,
		WriteTimeout:      c.WriteTimeout,
		IdleTimeout:       c.IdleTimeout,
		MaxHeaderBytes:    c.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// Serve answers on ln until ctx ends, then stops accepting connections and
// waits for in-flight requests (graceful shutdown). With a TLS
// certificate configured it serves HTTPS (TLS 1.2 and up) on ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := httpServer(s.cfg.HTTP, s.handler, s.cfg.Log)
	if s.certs != nil {
		hs.TLSConfig = s.certs.tlsConfig()
		if s.asksClientCerts() {
			hs.TLSConfig.ClientAuth = tls.RequestClientCert
		}
	}
	defer s.runBackground(ctx)()
	return s.serveUntil(ctx, hs, ln, s.certs != nil)
}

// serveUntil serves hs on ln, over TLS with hs.TLSConfig when useTLS,
// until ctx ends, then shuts it down gracefully.
func (s *Server) serveUntil(ctx context.Context, hs *http.Server, ln net.Listener, useTLS bool) error {
	errc := make(chan error, 1)
	if useTLS {
		go func() { errc <- hs.ServeTLS(ln, "", "") }()
	} else {
		go func() { errc <- hs.Serve(ln) }()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.cfg.Log.Info("shutting down", "grace", shutdownGrace.String())
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err := hs.Shutdown(sctx)
	if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return err
}

// runBackground starts the server's periodic work: key maintenance, and
// flushing secret uses (and pruning expired revocations). The returned
// function stops it and waits, so the last uses are written before the
// store is closed.
func (s *Server) runBackground(ctx context.Context) (stop func()) {
	bg, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { s.MaintainKeys(bg) })
	wg.Go(func() { s.secretUses.Run(bg) })
	return func() { cancel(); wg.Wait() }
}

// statusRecorder remembers the status a handler wrote, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// accessLog logs one line per request. It logs the path but never the
// query string, headers or body: those may carry credentials.
//
// Failures (status 400 and up) are logged at Info wherever they happen, as
// is every request to a path quiet does not name. A request that succeeds
// on a quiet path is logged at Debug: the token endpoint already logs each
// issuance at Info (client, audience, scopes, jti), so a second Info line
// per token would only double the log volume and its write, and the
// probes (/healthz, /readyz) are polled every few seconds.
//
// The path is clipped, and failure lines are limited per source
// (loglimit): a stranger cannot make it write unbounded bytes.
func accessLog(log *slog.Logger, quiet func(path string) bool, next http.Handler) http.Handler {
	failures := suppressedLines(log, "http failure lines")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		level := slog.LevelInfo
		if rec.status < http.StatusBadRequest && quiet(r.URL.Path) {
			level = slog.LevelDebug
		}
		if !log.Enabled(r.Context(), level) || rec.status >= http.StatusBadRequest && !failures.Allow(r.RemoteAddr) {
			return
		}
		log.LogAttrs(r.Context(), level, "http",
			slog.String("method", loglimit.Clip(r.Method)), slog.String("path", loglimit.Clip(r.URL.Path)),
			slog.Int("status", rec.status), slog.Duration("duration", time.Since(start)),
			slog.String("remote", r.RemoteAddr))
	})
}
