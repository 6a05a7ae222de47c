package bench

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/server"
)

// BenchmarkServe measures a whole token request as `mint serve` answers
// it, in one process: the load generator's HTTP client over loopback,
// mint's router, access log and issuance log (JSON at Info, written to
// /dev/null so that each line still costs its write), the store cache in
// front of SQLite, signing and encoding. It runs 64 keep-alive connections
// at GOMAXPROCS 2 (32 per P); ns/op is wall time per token, so 1e9/ns/op is
// tokens/s with the load generator on the same cores. The collector runs at
// mint serve's target, 400, unless GOGC is set. Profile it with
//
//	go test -run '^$' -bench Serve/EdDSA -cpuprofile cpu.out ./internal/bench/
func BenchmarkServe(b *testing.B) {
	if os.Getenv("GOGC") == "" { // mint serve's target when GOGC is unset (cmd/mint/gc.go)
		old := debug.SetGCPercent(400)
		b.Cleanup(func() { debug.SetGCPercent(old) })
	}
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		b.Run(alg, func(b *testing.B) { benchServe(b, alg) })
	}
}

func benchServe(b *testing.B, alg string) {
	ts := startMintLogging(b)
	ctx := context.Background()
	target, err := Setup(ctx, SetupConfig{Server: ts.URL, ClientID: adminID, ClientSecret: adminSecret, Alg: alg})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { target.Remove(ctx) })
	tr, err := newTokenRequest(Config{URL: ts.URL + "/oauth/token", ClientID: target.ClientID,
		ClientSecret: target.ClientSecret, Audience: target.Audience, Style: StyleJSON})
	if err != nil {
		b.Fatal(err)
	}
	const perP = 32
	b.SetParallelism(perP)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		wc, stop, err := newWireConn(ctx, tr)
		if err != nil {
			b.Error(err)
			return
		}
		defer stop()
		var buf bytes.Buffer
		for pb.Next() {
			if err := wc.send(time.Now().Add(time.Minute), &buf); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// startMintLogging is startMint with mint's Info log written as JSON to
// /dev/null, as `mint serve --log-format json` writes it to stderr.
func startMintLogging(tb testing.TB) *httptest.Server {
	tb.Helper()
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	srv, err := server.New(context.Background(), server.Config{
		DB: filepath.Join(tb.TempDir(), "mint.db"), Issuer: "http://mint.test",
		BootstrapClientID: adminID, BootstrapClientSecret: adminSecret,
		Log: slog.New(slog.NewJSONHandler(devNull, nil)),
	})
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	tb.Cleanup(func() { ts.Close(); srv.Close(); devNull.Close() })
	return ts
}
