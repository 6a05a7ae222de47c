// Package otlptest is an OTLP/HTTP trace receiver for tests: an HTTP
// server on 127.0.0.1 that decodes the protobuf export requests of the
// OTLP specification (POST /v1/traces, application/x-protobuf, gzip
// allowed) as a collector would, and keeps their spans and raw bytes.
package otlptest

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/proto"
)

// Span is an exported span, flattened for assertions.
type Span struct {
	Name, TraceID, SpanID, ParentSpanID string
	Kind                                string // "server", "client", "internal", …
	Attrs                               map[string]string
	StatusError                         bool
	StatusMessage                       string
	Service                             string // the resource's service.name
}

// Receiver is a running OTLP/HTTP receiver.
type Receiver struct {
	// URL is the base URL to configure as the OTLP endpoint.
	URL string
	// Discard reads and answers requests without decoding or keeping
	// them: a collector that costs the process under test nothing
	// (benchmarks).
	Discard bool

	mu       sync.Mutex
	raw      bytes.Buffer
	spans    []Span
	requests int
	stall    chan struct{} // non-nil: requests wait until it closes
}

// New starts a receiver that runs until the test ends.
func New(tb testing.TB) *Receiver {
	tb.Helper()
	r := &Receiver{}
	ts := httptest.NewServer(http.HandlerFunc(r.serve))
	tb.Cleanup(func() {
		r.mu.Lock()
		if r.stall != nil {
			close(r.stall)
			r.stall = nil
		}
		r.mu.Unlock()
		ts.CloseClientConnections()
		ts.Close()
	})
	r.URL = ts.URL
	return r
}

// Stall makes every request from now on wait, unanswered, until the test
// ends: a collector that has stopped answering.
func (r *Receiver) Stall() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stall == nil {
		r.stall = make(chan struct{})
	}
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	stall := r.stall
	r.mu.Unlock()
	if stall != nil {
		select {
		case <-stall:
		case <-req.Context().Done():
		}
		return
	}
	if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "want POST /v1/traces application/x-protobuf", http.StatusBadRequest)
		return
	}
	if r.Discard {
		io.Copy(io.Discard, req.Body)
		w.Header().Set("Content-Type", "application/x-protobuf")
		return
	}
	body, err := readBody(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var export coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &export); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.keep(body, &export)
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

func readBody(req *http.Request) ([]byte, error) {
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(req.Body)
		if err != nil {
			return nil, err
		}
		body = gz
	}
	return io.ReadAll(io.LimitReader(body, 64<<20))
}

func (r *Receiver) keep(body []byte, export *coltracepb.ExportTraceServiceRequest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	r.raw.Write(body)
	for _, rs := range export.ResourceSpans {
		service := attrs(rs.GetResource().GetAttributes())["service.name"]
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				r.spans = append(r.spans, Span{
					Name: s.Name, TraceID: hex.EncodeToString(s.TraceId), SpanID: hex.EncodeToString(s.SpanId),
					ParentSpanID: hex.EncodeToString(s.ParentSpanId), Kind: kind(int32(s.Kind)), Attrs: attrs(s.Attributes),
					StatusError: s.GetStatus().GetCode() == 2, StatusMessage: s.GetStatus().GetMessage(), Service: service,
				})
			}
		}
	}
}

func kind(k int32) string {
	return map[int32]string{1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}[k]
}

// attrs renders attribute values as strings (ints in decimal, bools as
// true/false), which is all the assertions need.
func attrs(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		switch v := kv.Value.GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			m[kv.Key] = v.StringValue
		case *commonpb.AnyValue_IntValue:
			m[kv.Key] = strconv.FormatInt(v.IntValue, 10)
		case *commonpb.AnyValue_BoolValue:
			m[kv.Key] = map[bool]string{true: "true", false: "false"}[v.BoolValue]
		default:
			m[kv.Key] = kv.Value.String()
		}
	}
	return m
}

// Spans returns the spans received so far.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.spans...)
}

// Raw returns every export request's body as received (decompressed).
func (r *Receiver) Raw() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.raw.Bytes())
}
