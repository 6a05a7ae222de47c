package tracing

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// instrumentation is the instrumentation scope mint's spans carry.
const instrumentation = "github.com/mintauth/mint"

// Config says whether and where traces go.
type Config struct {
	// Endpoint is the OTLP/HTTP base URL (mint serve --otlp-endpoint),
	// e.g. http://127.0.0.1:4318: spans are POSTed to Endpoint +
	// "/v1/traces", as for OTEL_EXPORTER_OTLP_ENDPOINT. It overrides the
	// environment's endpoints.
	Endpoint string
	// Getenv reads the environment (nil: none); Enabled reads the
	// standard OTEL_ variables through it. The exporter and the sampler
	// read the rest of them (headers, timeout, OTEL_TRACES_SAMPLER and
	// its argument, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) from the
	// process's environment themselves.
	Getenv func(string) string
	// Version is the service.version resource attribute.
	Version string
	// QueueSize bounds the spans waiting for export (DefaultQueueSize
	// when 0); BatchSize, the spans per export request
	// (DefaultBatchSize); Interval, how long an unfilled batch waits
	// (DefaultInterval).
	QueueSize, BatchSize int
	Interval             time.Duration
	// Exporter replaces the OTLP/HTTP exporter (tests, benchmarks).
	Exporter sdktrace.SpanExporter
}

// Enabled reports whether c asks for traces: an endpoint given, or one of
// OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_TRACES_ENDPOINT set,
// unless OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none (the
// specification's switches for "off").
func (c Config) Enabled() bool {
	getenv := c.getenv()
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") || strings.EqualFold(getenv("OTEL_TRACES_EXPORTER"), "none") {
		return false
	}
	return c.Endpoint != "" || c.Exporter != nil ||
		getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

func (c Config) getenv() func(string) string {
	if c.Getenv == nil {
		return func(string) string { return "" }
	}
	return c.Getenv
}

// Provider is mint's tracer provider and its export queue.
type Provider struct {
	sdk   *sdktrace.TracerProvider
	queue *queue
}

// New builds the provider c asks for, or returns nil, nil when c is not
// Enabled: callers test for nil and leave tracing out entirely.
func New(ctx context.Context, c Config) (*Provider, error) {
	if !c.Enabled() {
		return nil, nil
	}
	if err := c.checkEnv(); err != nil {
		return nil, err
	}
	exp := c.Exporter
	if exp == nil {
		var err error
		if exp, err = otlpExporter(c.Endpoint); err != nil {
			return nil, err
		}
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "mint"), attribute.String("service.version", c.Version)),
		resource.WithTelemetrySDK(), resource.WithFromEnv())
	if err != nil {
		return nil, fmt.Errorf("tracing resource: %w", err)
	}
	q := newQueue(exp, c.QueueSize, c.BatchSize, c.Interval)
	// The sampler is the SDK's default: parent-based, always sampling a
	// new trace, replaced by OTEL_TRACES_SAMPLER(_ARG) when set.
	sdk := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithSpanProcessor(q))
	return &Provider{sdk: sdk, queue: q}, nil
}

// otlpExporter is the OTLP/HTTP exporter, configured by the environment
// and, when endpoint is set, sending there.
func otlpExporter(endpoint string) (sdktrace.SpanExporter, error) {
	var opts []otlptracehttp.Option
	if endpoint != "" {
		if err := checkURL("--otlp-endpoint", endpoint); err != nil {
			return nil, err
		}
		opts = append(opts, otlptracehttp.WithEndpointURL(strings.TrimSuffix(endpoint, "/")+"/v1/traces"))
	}
	// Nothing is dialled before the first export: a collector that is
	// down does not keep mint from starting.
	return otlptracehttp.New(context.Background(), opts...)
}

// Tracer is the tracer mint's spans are made with.
func (p *Provider) Tracer() trace.Tracer { return p.sdk.Tracer(instrumentation) }

// Stats returns the spans exported, and those dropped because the queue
// was full or their export failed.
func (p *Provider) Stats() (exported, dropped uint64) {
	return p.queue.exported.Load(), p.queue.dropped.Load()
}

// Shutdown exports what is queued, within ctx, and stops.
func (p *Provider) Shutdown(ctx context.Context) error { return p.sdk.Shutdown(ctx) }

// ForceFlush exports what is queued now, within ctx.
func (p *Provider) ForceFlush(ctx context.Context) error { return p.sdk.ForceFlush(ctx) }

// RedactEndpoint is the collector address traces go to, for the log: the
// flag's, else the environment's, without user information or query
// (either can hold a credential; headers are never shown).
func RedactEndpoint(flag string, getenv func(string) string) string {
	e := flag
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"} {
		if e == "" && getenv != nil {
			e = getenv(name)
		}
	}
	u, err := url.Parse(e)
	if err != nil {
		return "(unparsable)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// checkEnv refuses an endpoint variable the exporter could not use (it
// would fall back to localhost) and the gRPC protocol, which the HTTP
// exporter does not speak: either would drop every span, which an
// operator would learn only from the drop counter.
func (c Config) checkEnv() error {
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if c.getenv()(name) == "grpc" {
			return fmt.Errorf("%s=grpc: mint exports OTLP over HTTP only; use http/protobuf and the collector's OTLP/HTTP port (4318)", name)
		}
	}
	if c.Endpoint != "" {
		return nil // the flag wins
	}
	for _, name := range []string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"} {
		if v := c.getenv()(name); v != "" {
			return checkURL(name, v)
		}
	}
	return nil
}

// checkURL: an OTLP/HTTP endpoint is an http:// or https:// URL with a
// host. The value is not repeated in the error: it may hold a credential.
func checkURL(name, v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s: want an http:// or https:// URL such as http://127.0.0.1:4318", name)
	}
	return nil
}
