package token

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/debug"
	"syscall"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/logline"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/policy"
	"github.com/mintauth/mint/internal/storecache"
)

// BenchmarkIssue measures the in-process hot path of a token request as
// mint serve runs it by default: parse (JSON body, or a form with HTTP
// Basic), authenticate through the store cache in front of SQLite, resolve
// the grant, sign with each algorithm, encode the response, log the
// issuance as JSON at Info (to io.Discard) and queue its audit record
// (every token: the default audit_issuance), which an appender running
// beside it writes to the same SQLite file in batches, as mint serve's
// does. Compare with keyring's BenchmarkSign: the difference is what mint
// adds to the signature. dropped/op reports audit records the appender
// could not keep up with: anything but 0 means the benchmark skipped work.
// The collector runs at mint serve's target (mintServeGC).
func BenchmarkIssue(b *testing.B) {
	mintServeGC(b)
	f := newFixture(b)
	e, appender := servedEndpoint(b, f)
	for _, alg := range []string{mint.AlgRS256, mint.AlgES256, mint.AlgEdDSA} {
		api := mint.API{ID: "api_bench_" + alg, Name: "bench " + alg, Audience: "https://bench.test/" + alg,
			Scopes: []string{"read:orders", "write:orders"}, SigningAlg: alg}
		f.must(b, f.store.CreateAPI(context.Background(), api))
		c := f.client(b, mint.NewClientID(), time.Time{}, mint.Grant{Audience: api.Audience, Scopes: api.Scopes})
		cases := []struct {
			name string
			req  httpCase
		}{
			{"json_post", jsonReq(fmt.Sprintf(`{"client_id":%q,"client_secret":%q,"audience":%q,"grant_type":"client_credentials"}`,
				c.ID, c.Secret, api.Audience))},
			{"form_basic", basicForm(c, "audience", api.Audience, "scope", "read:orders")},
		}
		for _, tc := range cases {
			b.Run(alg+"/"+tc.name, func(b *testing.B) { benchIssue(b, e, appender, tc.req) })
		}
	}
}

func benchIssue(b *testing.B, e *Endpoint, appender *audit.Appender, req httpCase) {
	r, body, w := reusedRequest(req)
	b.ReportAllocs()
	dropped := appender.Dropped.Load()
	cpu := processCPU()
	for b.Loop() {
		body.Reset()
		w.reset()
		e.ServeHTTP(w, r)
		if w.code != http.StatusOK {
			b.Fatalf("status %d: %s", w.code, w.body.Bytes())
		}
	}
	b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(appender.Dropped.Load()-dropped)/float64(b.N), "dropped/op")
}

// processCPU is the CPU time the process has used, user and system, in
// nanoseconds. Over the loop it is what a token cost, the appender's
// batch writes and the collector included, whatever else shares the
// machine, which a loaded machine's wall time does not say.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// reusedRequest is a request for req whose body can be read again after
// body.Reset, and a ResponseWriter to answer it that keeps its header map
// and buffer: the harness then costs no allocation and no copy per
// request, so that BenchmarkIssue and TestIssueAllocations count mint's
// work only. (httptest.ResponseRecorder clones the header map on
// WriteHeader and grows a new buffer for every answer: 4 allocations and
// about 1 µs per token that mint serve, on net/http's pooled writer, does
// not spend.)
func reusedRequest(req httpCase) (*http.Request, *rewindBody, *reusedWriter) {
	body := &rewindBody{data: []byte(req.body)}
	body.Reset()
	r := httptest.NewRequest(http.MethodPost, "/oauth/token", nil)
	r.Body = body
	r.ContentLength = int64(len(req.body))
	r.Header.Set("Content-Type", req.contentType)
	if req.auth != "" {
		r.Header.Set("Authorization", req.auth)
	}
	return r, body, &reusedWriter{header: http.Header{}}
}

// rewindBody is a request body that Reset rewinds to its start.
type rewindBody struct {
	data []byte
	r    bytes.Reader
}

func (b *rewindBody) Reset()                     { b.r.Reset(b.data) }
func (b *rewindBody) Read(p []byte) (int, error) { return b.r.Read(p) }
func (b *rewindBody) Close() error               { return nil }

// servedEndpoint is the token endpoint over f as mint serve wires it by
// default (servedEndpointWith), with an appender that runs until the test
// ends, writing to f's SQLite store.
func servedEndpoint(tb testing.TB, f *fixture) (*Endpoint, *audit.Appender) {
	tb.Helper()
	appender := &audit.Appender{Store: f.store, Log: discardJSON()}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); appender.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })
	return servedEndpointWith(f, appender), appender
}

// servedEndpointWith is the token endpoint over f as mint serve wires it
// by default: the store cache in front of SQLite, the issuance log line as
// JSON at Info (to io.Discard), and every issuance audited through
// appender.
func servedEndpointWith(f *fixture, appender *audit.Appender) *Endpoint {
	return &Endpoint{Store: storecache.New(f.store, storecache.Options{}), Keys: f.ring, Issuer: testIssuer,
		Now: func() time.Time { return f.now }, Log: discardJSON(),
		Audit:    &audit.Log{Appender: appender, Now: func() time.Time { return f.now }},
		Policies: &policy.Checker{Log: discardJSON(), Audit: appender, Now: func() time.Time { return f.now }}}
}

// discardJSON is mint serve's log handler (cmd/mint) in JSON at Info,
// writing to io.Discard.
func discardJSON() *slog.Logger {
	return slog.New(logline.New(io.Discard, "json", &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// mintServeGC sets the collector's target to the one mint serve runs at
// when GOGC is not set (400, cmd/mint/gc.go) for the rest of the
// benchmark: at the test binary's 100 the collector ran four times as
// often as it does in mint serve, and the benchmark measured that. A GOGC
// in the environment is left as it is.
func mintServeGC(b *testing.B) {
	if os.Getenv("GOGC") != "" {
		return
	}
	old := debug.SetGCPercent(400)
	b.Cleanup(func() { debug.SetGCPercent(old) })
}
