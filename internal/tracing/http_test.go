package tracing

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// recorded serves one request through Handler in front of a mux like
// mint's, and returns the spans it ended.
func recorded(t testing.TB, method, path string, header map[string]string) []sdktrace.ReadOnlySpan {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/token", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusUnauthorized) })
	admin := http.NewServeMux()
	admin.HandleFunc("GET /admin/v1/clients/{client_id}", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("{}")) })
	mux.Handle("/admin/", admin)
	h := Handler(tp.Tracer("test"), func(p string) bool { return !strings.HasPrefix(p, "/healthz") }, mux)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Method, r.URL.Path = method, path
	for k, v := range header {
		r.Header.Set(k, v)
	}
	h.ServeHTTP(httptest.NewRecorder(), r)
	return rec.Ended()
}

func attrsOf(s sdktrace.ReadOnlySpan) map[string]string {
	m := map[string]string{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}

// TestHandler: the span is named for the method and the matched route,
// never the raw path (which carries ids); a method HTTP does not define
// is "_OTHER"; an unmatched path has no route; a path not traced has no
// span; a sampled traceparent is continued, a malformed one ignored.
func TestHandler(t *testing.T) {
	const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	cases := []struct {
		name, method, path, traceparent string
		span, route, status             string
		parent                          string
	}{
		{"token", "POST", "/oauth/token", tp, "POST /oauth/token", "/oauth/token", "401", "00f067aa0ba902b7"},
		{"admin id in path", "GET", "/admin/v1/clients/secret-looking-id", "", "GET /admin/v1/clients/{client_id}", "/admin/v1/clients/{client_id}", "200", ""},
		{"made-up method", "BREW", "/oauth/token", "", "_OTHER", "", "405", ""},
		{"malformed traceparent", "POST", "/oauth/token", "00-zz-yy-01", "POST /oauth/token", "/oauth/token", "401", ""},
		{"all-zero trace id", "POST", "/oauth/token", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "POST /oauth/token", "/oauth/token", "401", ""},
		{"unknown path", "GET", "/nope/" + strings.Repeat("x", 300), "", "GET", "", "404", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			spans := recorded(t, c.method, c.path, map[string]string{"traceparent": c.traceparent, "tracestate": "vendor=leak-check"})
			if len(spans) != 1 {
				t.Fatalf("%d spans, want 1", len(spans))
			}
			s := spans[0]
			if s.SpanContext().TraceState().Len() != 0 {
				t.Fatalf("the caller's tracestate was kept: %s", s.SpanContext().TraceState())
			}
			a := attrsOf(s)
			parent := ""
			if s.Parent().IsValid() {
				parent = s.Parent().SpanID().String()
			}
			if s.Name() != c.span || a["http.route"] != c.route || a["http.response.status_code"] != c.status || parent != c.parent {
				t.Fatalf("span %q %v parent %q; want %q route %q status %s parent %q", s.Name(), a, parent, c.span, c.route, c.status, c.parent)
			}
		})
	}
	if spans := recorded(t, "GET", "/healthz", nil); len(spans) != 0 {
		t.Fatalf("untraced path made %d spans", len(spans))
	}
}

// FuzzHandler: whatever method, path and trace headers a stranger sends,
// the request is served, one span results, and its name and attributes
// are mint's own bounded values.
func FuzzHandler(f *testing.F) {
	f.Add("POST", "/oauth/token", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "a=b")
	f.Add("GET", "/admin/v1/clients/x", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", "")
	f.Add("DELETE", "/admin/v1/clients/%00", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", strings.Repeat("k=v,", 100))
	f.Fuzz(func(t *testing.T, method, path, traceparent, tracestate string) {
		if method == "" || !utf8.ValidString(path) || strings.HasPrefix(path, "/healthz") {
			return
		}
		spans := recorded(t, method, "/"+strings.TrimPrefix(path, "/"), map[string]string{"traceparent": traceparent, "tracestate": tracestate})
		if len(spans) != 1 {
			t.Fatalf("%d spans", len(spans))
		}
		s := spans[0]
		if s.SpanContext().TraceState().Len() != 0 {
			t.Fatalf("the caller's tracestate was kept: %s", s.SpanContext().TraceState())
		}
		name, route, _ := strings.Cut(s.Name(), " ")
		if boundedMethod(name) != name || (route != "" && route != "/oauth/token" && route != "/admin/v1/clients/{client_id}" && route != "/admin/") {
			t.Fatalf("span name %q", s.Name())
		}
		for _, kv := range s.Attributes() {
			if !bounded(kv) {
				t.Fatalf("attribute %s=%q", kv.Key, kv.Value.Emit())
			}
		}
	})
}

func bounded(kv attribute.KeyValue) bool {
	switch kv.Key {
	case "http.request.method":
		return boundedMethod(kv.Value.AsString()) == kv.Value.AsString()
	case "http.route":
		return len(kv.Value.AsString()) < 64
	case "http.response.status_code":
		return true
	}
	return false
}
