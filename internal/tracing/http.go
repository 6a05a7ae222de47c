package tracing

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// traceContext reads the W3C traceparent (and tracestate) header.
var traceContext = propagation.TraceContext{}

// Handler starts a server span for each request traced says to trace,
// continuing the caller's trace when the request carries a valid
// traceparent, and serves it with next under that span. The span is
// named for the method and the route next's ServeMux matched (r.Pattern,
// which the mux sets on the request it is given), never for the raw
// path: a path carries ids, and a stranger chooses it.
func Handler(tracer trace.Tracer, traced func(path string) bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !traced(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		method := boundedMethod(r.Method)
		ctx := callerContext(r)
		ctx, span := tracer.Start(ctx, method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", method)))
		defer span.End()
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		r = r.WithContext(ctx)
		next.ServeHTTP(rec, r)
		if r.Pattern != "" {
			route := routeOf(r.Pattern)
			span.SetName(method + " " + route)
			span.SetAttributes(attribute.String("http.route", route))
		}
		span.SetAttributes(attribute.Int("http.response.status_code", rec.status))
		if rec.status >= http.StatusInternalServerError {
			// A 4xx is the client's doing: not an error of the server span
			// (OpenTelemetry's HTTP conventions).
			span.SetStatus(codes.Error, http.StatusText(rec.status))
		}
	})
}

// callerContext is r's context with the caller's span from a valid
// traceparent, if any, as the parent of mint's. The caller's tracestate
// is not kept: mint calls nothing downstream that could use it, and
// every span would copy a stranger's text to the collector.
func callerContext(r *http.Request) context.Context {
	ctx := r.Context()
	sc := trace.SpanContextFromContext(traceContext.Extract(ctx, propagation.HeaderCarrier(r.Header)))
	if !sc.IsValid() {
		return ctx
	}
	return trace.ContextWithRemoteSpanContext(ctx, sc.WithTraceState(trace.TraceState{}))
}

// boundedMethod is the method as an attribute: one of the methods HTTP
// defines, or "_OTHER", as OpenTelemetry's HTTP conventions ask, so that
// a stranger cannot fill the span store with made-up methods.
func boundedMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "_OTHER"
}

// routeOf is a ServeMux pattern without its method ("POST /admin/v1/apis"
// is the route "/admin/v1/apis"): the method has its own attribute.
func routeOf(pattern string) string {
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case ' ':
			return pattern[i+1:]
		case '/':
			return pattern
		}
	}
	return pattern
}

// statusWriter remembers the status the handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}
