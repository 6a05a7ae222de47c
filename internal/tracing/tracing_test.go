package tracing

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

func TestEnabled(t *testing.T) {
	cases := []struct {
		name     string
		endpoint string
		env      map[string]string
		want     bool
	}{
		{"nothing", "", nil, false},
		{"flag", "http://127.0.0.1:4318", nil, true},
		{"endpoint env", "", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, true},
		{"traces endpoint env", "", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"}, true},
		{"other signals only", "", map[string]string{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://c:4318"}, false},
		{"sampler alone", "", map[string]string{"OTEL_TRACES_SAMPLER": "always_on"}, false},
		{"sdk disabled", "http://127.0.0.1:4318", map[string]string{"OTEL_SDK_DISABLED": "true"}, false},
		{"exporter none", "", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_TRACES_EXPORTER": "none"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{Endpoint: c.endpoint, Getenv: func(k string) string { return c.env[k] }}
			if got := cfg.Enabled(); got != c.want {
				t.Fatalf("Enabled() = %v, want %v", got, c.want)
			}
			p, err := New(context.Background(), cfg)
			if err != nil || (p != nil) != c.want {
				t.Fatalf("New: %v, %v; want a provider: %v", p, err, c.want)
			}
			if p != nil {
				p.Shutdown(context.Background())
			}
		})
	}
}

// TestNewRefusesBadEndpoint: an endpoint, from the flag or either
// variable, that is not an http(s) URL is refused at start, and the error
// does not repeat it (it may hold a credential).
func TestNewRefusesBadEndpoint(t *testing.T) {
	for _, e := range []string{"10.0.0.7:4318", "ftp://c:4318", "http://", "://x", "unix:///tmp/s", "user:pw@c:4318"} {
		for _, cfg := range []Config{
			{Endpoint: e},
			{Getenv: func(k string) string { return map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": e}[k] }},
			{Getenv: func(k string) string { return map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": e}[k] }},
		} {
			p, err := New(context.Background(), cfg)
			if err == nil || p != nil {
				t.Errorf("endpoint %q (%+v): %v, %v; want an error", e, cfg, p, err)
				continue
			}
			if e != "http://" && strings.Contains(err.Error(), e) { // "http://" is in the example
				t.Errorf("the error repeats the endpoint: %v", err)
			}
		}
	}
}

func TestNewRefusesGRPC(t *testing.T) {
	for _, name := range []string{"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"} {
		env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", name: "grpc"}
		if p, err := New(context.Background(), Config{Getenv: func(k string) string { return env[k] }}); err == nil || p != nil {
			t.Errorf("%s=grpc: %v, %v; want an error", name, p, err)
		}
	}
}

func TestRedactEndpoint(t *testing.T) {
	env := map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "https://user:pw@collector.example:4318/?api_key=k"}
	cases := []struct{ flag, want string }{
		{"http://127.0.0.1:4318", "http://127.0.0.1:4318"},
		{"https://key@c.example/otlp?token=t#f", "https://c.example/otlp"},
		{"", "https://collector.example:4318/"},
	}
	for _, c := range cases {
		if got := RedactEndpoint(c.flag, func(k string) string { return env[k] }); got != c.want {
			t.Errorf("RedactEndpoint(%q) = %q, want %q", c.flag, got, c.want)
		}
	}
}

// blockingExporter holds every export until release closes.
type blockingExporter struct {
	release chan struct{}
	mu      sync.Mutex
	got     int
}

func (e *blockingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	select {
	case <-e.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	e.mu.Lock()
	e.got += len(spans)
	e.mu.Unlock()
	return nil
}

func (e *blockingExporter) Shutdown(context.Context) error { return nil }

// TestQueueDropsWhatDoesNotFit: while the exporter is stuck, ending spans
// never blocks; what the queue cannot hold is dropped and counted, and
// once the exporter answers, what was queued is exported and counted.
func TestQueueDropsWhatDoesNotFit(t *testing.T) {
	exp := &blockingExporter{release: make(chan struct{})}
	p, err := New(context.Background(), Config{Exporter: exp, QueueSize: 4, BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	tracer := p.Tracer()
	const spans = 50
	for range spans {
		_, s := tracer.Start(context.Background(), "x")
		s.End()
	}
	close(exp.release)
	if err := p.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	exported, dropped := p.Stats()
	if exported+dropped != spans || dropped < spans-4-2 || exported < 4 {
		t.Fatalf("exported %d, dropped %d of %d spans; want the queue (4) and at most one batch (2) kept, the rest dropped", exported, dropped, spans)
	}
	if exp.got != int(exported) {
		t.Fatalf("exporter got %d spans, %d counted as exported", exp.got, exported)
	}
}

// TestLogger: a line logged inside a sampled span carries its trace and
// span ids; one inside an unsampled span, or with no span, carries none.
func TestLogger(t *testing.T) {
	var buf bytes.Buffer
	log := Logger(slog.New(slog.NewJSONHandler(&buf, nil))).With("component", "test")
	sampled := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled})
	unsampled := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{3}, SpanID: trace.SpanID{4}})
	cases := []struct {
		name          string
		ctx           context.Context
		trace, spanID string
	}{
		{"sampled", trace.ContextWithSpanContext(context.Background(), sampled), sampled.TraceID().String(), sampled.SpanID().String()},
		{"unsampled", trace.ContextWithSpanContext(context.Background(), unsampled), "", ""},
		{"no span", context.Background(), "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			buf.Reset()
			log.InfoContext(c.ctx, "line")
			var rec map[string]any
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatal(err)
			}
			got, _ := rec["trace_id"].(string)
			span, _ := rec["span_id"].(string)
			if got != c.trace || span != c.spanID || rec["component"] != "test" {
				t.Fatalf("line %s: want trace_id %q span_id %q", strings.TrimSpace(buf.String()), c.trace, c.spanID)
			}
		})
	}
}
