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
	"testing"
	"time"

	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/mint"
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
	body := []byte(req.body)
	r := httptest.NewRequest(http.MethodPost, "/oauth/token", nil)
	r.Header.Set("Content-Type", req.contentType)
	if req.auth != "" {
		r.Header.Set("Authorization", req.auth)
	}
	b.ReportAllocs()
	dropped := appender.Dropped.Load()
	for b.Loop() {
		r.Body = io.NopCloser(bytes.NewReader(body))
		w := httptest.NewRecorder()
		e.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	b.ReportMetric(float64(appender.Dropped.Load()-dropped)/float64(b.N), "dropped/op")
}

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
		Audit: &audit.Log{Appender: appender, Now: func() time.Time { return f.now }}}
}

func discardJSON() *slog.Logger {
	return slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
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
