package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/mintauth/mint/internal/metrics"
	"github.com/mintauth/mint/internal/storecache"
	"github.com/mintauth/mint/internal/usebatch"
	"github.com/mintauth/mint/oauth"
)

// The paths of the probes.
const (
	MetricsPath = "/metrics"
	ReadyPath   = "/readyz"
	healthPath  = "/healthz"
)

// readyTimeout bounds the store ping of /readyz.
const readyTimeout = time.Second

// newMetrics makes the server's Prometheus metrics; the cache series read
// the store cache's counters at scrape time, and the replay series the
// group commit of the store under it (s.store before useCache wraps it).
func (s *Server) newMetrics() *metrics.Metrics {
	opts := metrics.Options{Now: s.now, MaxClients: s.cfg.MetricsMaxClients, Cache: func() ([]storecache.KindStats, storecache.Stats) {
		if c, ok := s.store.(*storecache.Store); ok {
			return c.KindStats(), c.Stats()
		}
		return nil, storecache.Stats{}
	}}
	if uses, ok := s.store.(usebatch.Reporter); ok {
		opts.Uses = uses.UseStats
	}
	return metrics.New(opts)
}

// MetricsHandler serves the Prometheus metrics, as ServeMetrics does.
func (s *Server) MetricsHandler() http.Handler { return s.metrics.Handler() }

// mountProbes adds /readyz. /metrics is not on the main handler: it names
// clients and audiences, which the token endpoint takes care never to
// confirm to a stranger, so ServeMetrics serves it on an address of its
// own (loopback by default, see mint serve --metrics-addr).
func (s *Server) mountProbes(mux *http.ServeMux) {
	mux.Handle("GET "+ReadyPath, oauth.Handle(s.cfg.Log, s.serveReady))
}

// serveReady answers /readyz: 200 {"status":"ready"} when the store
// answers a ping within readyTimeout, else 503 temporarily_unavailable
// (the cause is logged). /healthz only says that the process serves.
//
// While the store's change feed is lost it says so (degraded, since when,
// and until when tokens are issued from memory; internal/server/cache.go):
// in the 503's description when the store does not answer either, else
// as 200 {"status":"degraded","degraded_since":…,"stale_until":…}.
func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	since, until, degraded := s.degraded()
	if err := s.store.Ping(ctx); err != nil {
		if degraded {
			return oauth.ErrUnavailable.Describe("the storage does not answer; degraded since %s: clients seen before then get tokens from memory until %s",
				since.UTC().Format(time.RFC3339), until.UTC().Format(time.RFC3339)).WithCause(err)
		}
		return oauth.ErrUnavailable.Describe("the storage does not answer").WithCause(err)
	}
	if degraded {
		oauth.WriteJSON(w, http.StatusOK, map[string]string{"status": "degraded",
			"degraded_since": since.UTC().Format(time.RFC3339), "stale_until": until.UTC().Format(time.RFC3339)})
		return nil
	}
	oauth.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

// quietPath names the paths whose successful requests the access log
// writes at Debug: the token endpoint, which logs each issuance itself,
// and the probes (the metrics listener has no access log).
func (s *Server) quietPath(path string) bool {
	switch path {
	case ReadyPath, healthPath:
		return true
	}
	return slices.Contains(s.cfg.TokenPaths, path)
}

// ServeMetrics serves /metrics alone on ln until ctx ends: the
// --metrics-addr listener, which keeps metrics off the public address. It
// has the main listener's header, body and idle limits (httpServer).
func (s *Server) ServeMetrics(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle("GET "+MetricsPath, s.metrics.Handler())
	mux.Handle("/", oauth.Handle(s.cfg.Log, func(http.ResponseWriter, *http.Request) error {
		return oauth.ErrNotFound.Describe("no such endpoint")
	}))
	hs := httpServer(s.cfg.HTTP, mux, s.cfg.Log)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := hs.Shutdown(sctx)
	if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return err
}
