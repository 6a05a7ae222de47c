package server

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/token"
	"github.com/mintauth/mint/internal/tokenstate"
	"github.com/mintauth/mint/internal/tracing"
)

// Traces (docs/observability.md): with Config.Traces nil, none of this is
// wired, and the token path runs as if package tracing did not exist.

// traceEndpoint makes e trace its parts and put its outcome on the
// request's span; observe is what e.Observe was.
func (s *Server) traceEndpoint(e *token.Endpoint) {
	if s.cfg.Traces == nil {
		return
	}
	e.Tracer = s.cfg.Traces.Tracer()
	observe := e.Observe
	e.Observe = func(ctx context.Context, o token.Outcome) {
		if observe != nil {
			observe(ctx, o)
		}
		code := ""
		if o.Err != nil {
			code = o.Err.Code
		}
		tracing.TokenOutcome(ctx, o.ClientID, o.Audience, code, o.Reused)
	}
}

// tracedStore is store with a span per admin store transaction, when
// tracing.
func (s *Server) tracedStore(store mint.Store) mint.Store {
	if s.cfg.Traces == nil {
		return store
	}
	return tracing.Store(store, s.cfg.Traces.Tracer())
}

// traced starts a server span for each request to the token endpoint,
// introspection, revocation and the admin API: outside the access log, so
// that its line carries the trace id.
func (s *Server) traced(next http.Handler) http.Handler {
	if s.cfg.Traces == nil {
		return next
	}
	return tracing.Handler(s.cfg.Traces.Tracer(), s.tracedPath, next)
}

func (s *Server) tracedPath(path string) bool {
	return strings.HasPrefix(path, "/admin/") || path == tokenstate.IntrospectionPath ||
		path == tokenstate.RevocationPath || slices.Contains(s.cfg.TokenPaths, path)
}

// registerTraceMetrics publishes the span export queue's counters, when
// tracing: a collector that is down shows as dropped spans.
func (s *Server) registerTraceMetrics() {
	if s.cfg.Traces == nil {
		return
	}
	p := s.cfg.Traces
	s.metrics.Registry().MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "mint_trace_spans_exported_total",
			Help: "Spans sent to the OTLP collector (docs/observability.md).",
		}, func() float64 { exported, _ := p.Stats(); return float64(exported) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "mint_trace_spans_dropped_total",
			Help: "Spans dropped because the export queue was full or their export failed: the collector is down or slow.",
		}, func() float64 { _, dropped := p.Stats(); return float64(dropped) }),
	)
}
