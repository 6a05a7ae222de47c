package token

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/tracing"
	"github.com/mintauth/mint/internal/tracing/otlptest"
	"github.com/mintauth/mint/oauth"
)

// TestUntracedSpansCostNothing: with no Tracer, starting and ending the
// token path's spans, failed ones included, allocates nothing: the
// endpoint costs what it did before traces (TestIssueAllocations pins the
// whole request).
func TestUntracedSpansCostNothing(t *testing.T) {
	e := &Endpoint{}
	ctx := context.Background()
	var fail error = oauth.ErrInvalidClient
	got := testing.AllocsPerRun(100, func() {
		for _, name := range []string{spanAuthenticate, spanGrant, spanSign, spanAudit} {
			c, span := e.startSpan(ctx, name)
			if c != ctx {
				t.Fatal("an untraced span changed the context")
			}
			endSpan(span, fail)
		}
	})
	if got != 0 {
		t.Fatalf("%v allocations for the untraced spans of one request, want 0", got)
	}
}

// TestSpansOnlyUnderARequestSpan: a traced endpoint makes its four child
// spans under the request's span, and none for a request that has no
// span (the console's, made in-process past the tracing middleware),
// which would otherwise make each part a trace of its own.
func TestSpansOnlyUnderARequestSpan(t *testing.T) {
	f := newFixture(t)
	e, _ := servedEndpoint(t, f)
	rec := tracetest.NewSpanRecorder()
	tracer := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)).Tracer("test")
	e.Tracer = tracer
	c := f.client(t, mint.NewClientID(), time.Time{}, mint.Grant{Audience: apiSingle.Audience, Scopes: apiSingle.Scopes})
	req := jsonReq(fmt.Sprintf(`{"client_id":%q,"client_secret":%q,"audience":%q,"grant_type":"client_credentials"}`,
		c.ID, c.Secret, apiSingle.Audience))
	for _, traced := range []bool{false, true} {
		ctx := context.Background()
		if traced {
			var root trace.Span
			ctx, root = tracer.Start(ctx, "request")
			defer root.End()
		}
		r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/oauth/token", strings.NewReader(req.body))
		r.Header.Set("Content-Type", req.contentType)
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		var names []string
		for _, s := range rec.Ended() {
			names = append(names, s.Name())
		}
		want := []string{}
		if traced {
			want = []string{spanAuthenticate, spanGrant, spanSign, spanAudit}
		}
		if !slices.Equal(names, want) {
			t.Fatalf("traced %v: spans %q, want %q", traced, names, want)
		}
	}
}

// BenchmarkIssueTraced compares the token path untraced ("off", as mint
// serve runs without an OTLP endpoint) with the same path traced ("on":
// the server span of package tracing's middleware, the four child spans,
// every trace sampled, exported over OTLP/HTTP to a receiver on
// loopback that decodes and discards them). Compare the two in one run:
// the ratio is the cost of tracing.
func BenchmarkIssueTraced(b *testing.B) {
	mintServeGC(b)
	f := newFixture(b)
	e, appender := servedEndpoint(b, f)
	receiver := otlptest.New(b)
	receiver.Discard = true
	p, err := tracing.New(context.Background(), tracing.Config{Endpoint: receiver.URL})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		p.Shutdown(ctx)
	})
	traced := *e
	traced.Tracer = p.Tracer()
	handlers := map[string]http.Handler{
		"off": e,
		"on":  tracing.Handler(p.Tracer(), func(string) bool { return true }, &traced),
	}
	for _, alg := range []string{mint.AlgEdDSA, mint.AlgES256} {
		api := mint.API{ID: "api_traced_" + alg, Name: "traced " + alg, Audience: "https://traced.test/" + alg,
			Scopes: []string{"read:orders"}, SigningAlg: alg}
		f.must(b, f.store.CreateAPI(context.Background(), api))
		c := f.client(b, mint.NewClientID(), time.Time{}, mint.Grant{Audience: api.Audience, Scopes: api.Scopes})
		req := jsonReq(fmt.Sprintf(`{"client_id":%q,"client_secret":%q,"audience":%q,"grant_type":"client_credentials"}`,
			c.ID, c.Secret, api.Audience))
		for _, mode := range []string{"off", "on"} {
			b.Run(alg+"/"+mode, func(b *testing.B) { benchTraced(b, handlers[mode], appender, req) })
		}
	}
	_, dropped := p.Stats()
	if dropped > 0 {
		b.Logf("%d spans dropped: the export queue did not keep up", dropped)
	}
}

// benchTraced is benchIssue through h, reporting also the process's CPU
// time per token (user and system, every goroutine: the appender's
// writes and the exporter's encoding and requests included), which a
// machine loaded by others disturbs far less than the wall time.
func benchTraced(b *testing.B, h http.Handler, appender *audit.Appender, req httpCase) {
	body := []byte(req.body)
	r := httptest.NewRequest(http.MethodPost, "/oauth/token", nil)
	r.Header.Set("Content-Type", req.contentType)
	b.ReportAllocs()
	dropped := appender.Dropped.Load()
	cpu := cpuTime()
	for b.Loop() {
		r.Body = io.NopCloser(bytes.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(appender.Dropped.Load()-dropped)/float64(b.N), "dropped/op")
}
