package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/server"
	"github.com/mintauth/mint/internal/testdb"
	"github.com/mintauth/mint/internal/tracing"
	"github.com/mintauth/mint/internal/tracing/otlptest"
)

// tracedServer is mint with traces exported to a real OTLP/HTTP receiver
// on loopback, its JSON log kept in log.
type tracedServer struct {
	url      string
	receiver *otlptest.Receiver
	traces   *tracing.Provider
	log      *lockedLog
	metrics  string // the /metrics URL
}

func serveTraced(t *testing.T, backend string, tc tracing.Config) tracedServer {
	t.Helper()
	receiver := otlptest.New(t)
	if tc.Endpoint == "" {
		tc.Endpoint = receiver.URL
	}
	p, err := tracing.New(context.Background(), tc)
	mustDo(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		p.Shutdown(ctx)
	})
	log := &lockedLog{}
	srv := newServer(t, server.Config{DB: testdb.New(t, backend), MasterKey: keyring.NewMasterKey(), Traces: p,
		Log:               slog.New(slog.NewJSONHandler(log, &slog.HandlerOptions{Level: slog.LevelInfo})),
		BootstrapClientID: "ops-admin", BootstrapClientSecret: adminSecret})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	mln, err := net.Listen("tcp", "127.0.0.1:0")
	mustDo(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); srv.ServeMetrics(ctx, mln) }()
	t.Cleanup(func() { cancel(); <-done })
	return tracedServer{url: ts.URL, receiver: receiver, traces: p, log: log, metrics: "http://" + mln.Addr().String() + server.MetricsPath}
}

// post sends a form to path with headers; it returns the status and body.
func (s tracedServer) post(t *testing.T, path string, form url.Values, header ...string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+path, strings.NewReader(form.Encode()))
	mustDo(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	mustDo(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

func (s tracedServer) flush(t *testing.T) []otlptest.Span {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	mustDo(t, s.traces.ForceFlush(ctx))
	return s.receiver.Spans()
}

// Two callers' traces, as their traceparent headers carry them.
const (
	callerTrace   = "4bf92f3577b34da6a3ce929d0e0e4736"
	callerSpan    = "00f067aa0ba902b7"
	refusedTrace  = "0af7651916cd43dd8448eb211c80319c"
	refusedSpan   = "b7ad6b7169203331"
	unsampledSpan = "53995c3f42cd8ad8"
)

// tracestateMark is a caller's tracestate value, which must not travel.
const tracestateMark = "strangers-text-0123"

func traceparent(trace, span, flags string) string { return "00-" + trace + "-" + span + "-" + flags }

// TestTraces drives a traced mint over HTTP and reads what a collector
// receives: the token request's server span continues the caller's trace
// with its four parts as children; a refused request carries the error
// code and no client id; an admin write has its store transaction as a
// child; an unsampled caller's request is not exported; the log lines of
// a sampled request carry its trace and span ids; and nothing secret is
// in the exported bytes.
func TestTraces(t *testing.T) {
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) { testTraces(t, backend) })
	}
}

func testTraces(t *testing.T, backend string) {
	s := serveTraced(t, backend, tracing.Config{})
	wrongSecret := adminSecret + "-wrong"
	assertion := "eyJhbGciOiJub25lIn0.eyJzZWNyZXQiOiJhc3NlcnRpb24ifQ.c2lnbmF0dXJlLXRoYXQtbXVzdC1ub3QtbGVhaw"
	status, body := s.post(t, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "audience": {mint.AdminAudience}},
		"Authorization", basic("ops-admin", adminSecret), "traceparent", traceparent(callerTrace, callerSpan, "01"),
		"tracestate", "caller="+tracestateMark)
	if status != http.StatusOK {
		t.Fatalf("token: %d %s", status, body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	mustDo(t, json.Unmarshal(body, &tok))
	if status, body := s.post(t, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"ops-admin"},
		"client_secret": {wrongSecret}}, "traceparent", traceparent(refusedTrace, refusedSpan, "01")); status != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %d %s", status, body)
	}
	s.post(t, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {"ops-admin"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion}})
	s.post(t, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "audience": {mint.AdminAudience}},
		"Authorization", basic("ops-admin", adminSecret), "traceparent", traceparent(refusedTrace, unsampledSpan, "00"))
	req, _ := http.NewRequest(http.MethodPost, s.url+"/admin/v1/apis",
		strings.NewReader(`{"name":"Orders","audience":"https://orders.test","scopes":["read:orders"]}`))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	if status, body := do(t, req); status != http.StatusCreated {
		t.Fatalf("admin create: %d %s", status, body)
	}
	// Introspection and revocation carry a token in the body: traced, never copied.
	s.post(t, "/oauth/introspect", url.Values{"token": {tok.AccessToken}}, "Authorization", basic("ops-admin", adminSecret))
	spans := s.flush(t)
	checkSpan(t, findSpan(t, spans, "POST /oauth/introspect", ""), "server", "", map[string]string{"http.route": "/oauth/introspect"})

	root := findSpan(t, spans, "POST /oauth/token", callerTrace)
	want := map[string]string{"http.request.method": "POST", "http.route": "/oauth/token", "http.response.status_code": "200",
		tracing.AttrClientID: "ops-admin", tracing.AttrAudience: mint.AdminAudience}
	checkSpan(t, root, "server", callerSpan, want)
	if root.Service != "mint" {
		t.Errorf("service.name %q, want mint", root.Service)
	}
	for _, name := range []string{"client authentication", "grant resolution", "sign", "audit enqueue"} {
		child := findSpan(t, spans, name, callerTrace)
		checkSpan(t, child, "internal", root.SpanID, nil)
		if child.StatusError {
			t.Errorf("%s: error status on an issued token", name)
		}
	}

	refused := findSpan(t, spans, "POST /oauth/token", refusedTrace)
	checkSpan(t, refused, "server", refusedSpan, map[string]string{"http.response.status_code": "401", tracing.AttrError: "invalid_client"})
	if _, ok := refused.Attrs[tracing.AttrClientID]; ok {
		t.Errorf("refused request names a client it did not prove: %v", refused.Attrs)
	}
	if auth := findSpan(t, spans, "client authentication", refusedTrace); !auth.StatusError || auth.StatusMessage != "invalid_client" {
		t.Errorf("refused authentication span: error %v %q, want invalid_client", auth.StatusError, auth.StatusMessage)
	}
	for _, sp := range spans {
		if sp.ParentSpanID == unsampledSpan {
			t.Errorf("a caller that did not sample got span %q exported", sp.Name)
		}
	}

	adminSpan := findSpan(t, spans, "POST /admin/v1/apis", "")
	checkSpan(t, adminSpan, "server", "", map[string]string{"http.route": "/admin/v1/apis", "http.response.status_code": "201"})
	tx := findSpan(t, spans, "store CreateAPI", adminSpan.TraceID)
	checkSpan(t, tx, "client", adminSpan.SpanID, map[string]string{"db.operation.name": "CreateAPI"})

	checkBounded(t, spans)
	raw := s.receiver.Raw()
	for what, secret := range map[string]string{"client secret": adminSecret, "wrong secret": wrongSecret,
		"Authorization header": basic("ops-admin", adminSecret), "access token": tok.AccessToken, "assertion": assertion,
		"token signature": tok.AccessToken[strings.LastIndexByte(tok.AccessToken, '.')+1:], "caller's tracestate": tracestateMark} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the exported spans carry the %s", what)
		}
	}
	log := s.log.String()
	checkLogIDs(t, log, root, "token issued")
	checkLogIDs(t, log, refused, "http")
	checkLogIDs(t, log, adminSpan, "http", "admin change")
	untraced := 0
	for line := range strings.Lines(log) {
		if strings.Contains(line, `"msg":"token issued"`) && !strings.Contains(line, `"trace_id"`) {
			untraced++
		}
	}
	if untraced != 1 { // the caller that did not sample
		t.Errorf("%d issuance lines without a trace id, want 1 (the unsampled request's):\n%s", untraced, log)
	}
}

func basic(id, secret string) string {
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(id, secret)
	return r.Header.Get("Authorization")
}

// findSpan is the one span named name in trace (any trace for "").
func findSpan(t *testing.T, spans []otlptest.Span, name, trace string) otlptest.Span {
	t.Helper()
	var found []otlptest.Span
	for _, s := range spans {
		if s.Name == name && (trace == "" || s.TraceID == trace) {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d spans %q in trace %q, want 1; received: %+v", len(found), name, trace, spans)
	}
	return found[0]
}

// checkSpan: s has kind, parent ("" for a root) and at least attrs.
func checkSpan(t *testing.T, s otlptest.Span, kind, parent string, attrs map[string]string) {
	t.Helper()
	if s.Kind != kind || s.ParentSpanID != parent {
		t.Errorf("span %q: kind %s parent %q, want %s %q", s.Name, s.Kind, s.ParentSpanID, kind, parent)
	}
	for k, v := range attrs {
		if s.Attrs[k] != v {
			t.Errorf("span %q: %s = %q, want %q (all: %v)", s.Name, k, s.Attrs[k], v, s.Attrs)
		}
	}
}

// checkBounded: every attribute is one mint sets on purpose, with a value
// of bounded length: nothing a stranger sends is copied in.
func checkBounded(t *testing.T, spans []otlptest.Span) {
	t.Helper()
	allowed := map[string]bool{"http.request.method": true, "http.route": true, "http.response.status_code": true,
		tracing.AttrClientID: true, tracing.AttrAudience: true, tracing.AttrError: true, tracing.AttrReused: true,
		"db.operation.name": true}
	for _, s := range spans {
		if len(s.Name) > 64 {
			t.Errorf("span name %q is long", s.Name)
		}
		for k, v := range s.Attrs {
			if !allowed[k] || len(v) > 256 {
				t.Errorf("span %q: attribute %s=%q is not one of mint's bounded attributes", s.Name, k, v)
			}
		}
	}
}

// checkLogIDs: the lines with the messages msgs logged while serving the
// request whose server span is root carry its trace id and its span id.
func checkLogIDs(t *testing.T, log string, root otlptest.Span, msgs ...string) {
	t.Helper()
	found := map[string]bool{}
	for line := range strings.Lines(log) {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["trace_id"] != root.TraceID {
			continue
		}
		if rec["span_id"] != root.SpanID {
			continue // a line logged under one of its child spans
		}
		found[rec["msg"].(string)] = true
	}
	for _, msg := range msgs {
		if !found[msg] {
			t.Errorf("no %q line with trace_id %s span_id %s in:\n%s", msg, root.TraceID, root.SpanID, log)
		}
	}
}

// TestTracesCollectorDownOrSlow: with the collector refusing connections,
// or accepting them and never answering, every token request is answered
// at once as usual, the spans that do not fit the bounded queue are
// dropped and counted, and shutting down gives up within its deadline.
func TestTracesCollectorDownOrSlow(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	mustDo(t, err)
	down := "http://" + closed.Addr().String()
	closed.Close()
	for _, tc := range []struct {
		name     string
		endpoint string
	}{
		{"down", down},
		{"slow", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := serveTraced(t, "sqlite", tracing.Config{Endpoint: tc.endpoint, QueueSize: 8, BatchSize: 4})
			if tc.endpoint == "" {
				s.receiver.Stall()
			}
			const requests = 40
			for range requests {
				if status, body := s.post(t, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "audience": {mint.AdminAudience}},
					"Authorization", basic("ops-admin", adminSecret)); status != http.StatusOK {
					t.Fatalf("token with the collector %s: %d %s", tc.name, status, body)
				}
			}
			// 5 spans a request; the queue holds 8 and one batch of 4 is
			// in flight at most.
			if _, dropped := s.traces.Stats(); dropped < requests*5-8-4 {
				t.Errorf("%d spans dropped, want at least %d", dropped, requests*5-8-4)
			}
			if got := scrape(t, s.metrics)["mint_trace_spans_dropped_total"]; got < requests*5-8-4 {
				t.Errorf("mint_trace_spans_dropped_total %v, want at least %d", got, requests*5-8-4)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			s.traces.Shutdown(ctx) // returns: the test would hang otherwise
			if exported, _ := s.traces.Stats(); exported != 0 {
				t.Errorf("%d spans counted as exported to a collector that took none", exported)
			}
		})
	}
}

// TestNoTracesWhenOff: without Config.Traces, a request carrying a
// sampled traceparent is served and logged as before: no trace ids in the
// lines, no trace series in the metrics.
func TestNoTracesWhenOff(t *testing.T) {
	log := &lockedLog{}
	s := serveReal(t, server.Config{BootstrapClientID: "ops-admin", BootstrapClientSecret: adminSecret,
		Log: slog.New(slog.NewJSONHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	ts := tracedServer{url: "http://" + s.addr}
	if status, body := ts.post(t, "/oauth/token", url.Values{"grant_type": {"client_credentials"}, "audience": {mint.AdminAudience}},
		"Authorization", basic("ops-admin", adminSecret), "traceparent", traceparent(callerTrace, callerSpan, "01")); status != http.StatusOK {
		t.Fatalf("token: %d %s", status, body)
	}
	if !strings.Contains(log.String(), `"msg":"token issued"`) || strings.Contains(log.String(), "trace_id") {
		t.Errorf("with traces off, want the issuance line without trace ids:\n%s", log)
	}
	for series := range scrape(t, "http://"+s.metrics+server.MetricsPath) {
		if strings.HasPrefix(series, "mint_trace_") {
			t.Errorf("with traces off, /metrics has %s", series)
		}
	}
}
