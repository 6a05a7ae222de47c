package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/server"
	"github.com/mintauth/mint/internal/throttle"
)

// These tests drive a real mint: server.New on a fresh SQLite file behind
// httptest, with a bootstrapped admin client whose admin-API tokens are
// ordinary RS256 tokens.

const (
	adminID     = "bench-admin"
	adminSecret = "bench-admin-secret-0123456789abcdefghij"
)

func startMint(t *testing.T) *httptest.Server {
	t.Helper()
	srv, err := server.New(context.Background(), server.Config{
		DB: filepath.Join(t.TempDir(), "mint.db"), Issuer: "http://mint.test",
		BootstrapClientID: adminID, BootstrapClientSecret: adminSecret,
		// A load of refused requests is what these tests measure, not
		// the throttle that would turn it into 429s after 10.
		AuthThrottle: throttle.Config{PairLimit: 1 << 30, SourceLimit: 1 << 30},
	})
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Close() })
	return ts
}

// adminLoad is a short load of admin-token requests at ts.
func adminLoad(ts *httptest.Server, d time.Duration) Config {
	return Config{
		URL: ts.URL + "/oauth/token", ClientID: adminID, ClientSecret: adminSecret, Audience: adminAudience,
		Connections: 4, Duration: d, Warmup: 200 * time.Millisecond,
	}
}

func TestRunAgainstMint(t *testing.T) {
	ts := startMint(t)
	for _, style := range []string{StyleJSON, StyleForm, StyleBasic} {
		t.Run(style, func(t *testing.T) {
			cfg := adminLoad(ts, time.Second)
			cfg.Style = style
			r, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			if r.Requests == 0 || r.Errors != 0 || r.PerSecond <= 0 {
				t.Fatalf("result %+v: want requests, no errors", r)
			}
			if !(0 < r.P50 && r.P50 <= r.P90 && r.P90 <= r.P99 && r.P99 <= r.Max) {
				t.Errorf("percentiles p50 %v p90 %v p99 %v max %v: want 0 < p50 ≤ p90 ≤ p99 ≤ max", r.P50, r.P90, r.P99, r.Max)
			}
			if r.Duration != cfg.Duration {
				t.Errorf("measured window %v, want %v", r.Duration, cfg.Duration)
			}
		})
	}
}

func TestRunCountsRefusalsAsErrors(t *testing.T) {
	ts := startMint(t)
	cfg := adminLoad(ts, 500*time.Millisecond)
	cfg.ClientSecret = "wrong-" + adminSecret
	r, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests == 0 || r.Errors != r.Requests || r.PerSecond != 0 {
		t.Fatalf("result %+v: want every request an error", r)
	}
	if len(r.ErrorSamples) != 1 || !strings.Contains(r.ErrorSamples[0], "401") || !strings.Contains(r.ErrorSamples[0], "invalid_client") {
		t.Errorf("error samples %q: want one naming 401 invalid_client", r.ErrorSamples)
	}
}

func TestBaselineAnswersAsMintDoes(t *testing.T) {
	ts := startMint(t)
	cfg := adminLoad(ts, time.Second)
	ans, err := Fetch(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := Baseline(context.Background(), ans)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	mintBody, mintHeader := post(t, cfg)
	cfg.URL = url
	baseBody, baseHeader := post(t, cfg)
	if len(baseBody) != len(mintBody) {
		t.Errorf("baseline body is %d bytes, mint's %d", len(baseBody), len(mintBody))
	}
	mintHeader.Del("Date")
	baseHeader.Del("Date")
	if !equalHeaders(mintHeader, baseHeader) {
		t.Errorf("baseline headers %v, mint's %v", baseHeader, mintHeader)
	}
	if ans.Alg() != "RS256" {
		t.Errorf("Alg() = %q, want RS256", ans.Alg())
	}
}

// post makes one token request and returns the answer's body and headers.
func post(t *testing.T, cfg Config) ([]byte, http.Header) {
	t.Helper()
	ans, err := Fetch(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ans.Body, ans.Header
}

func equalHeaders(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func TestRunStopsAtItsDeadline(t *testing.T) {
	ts := startMint(t)
	cfg := adminLoad(ts, time.Second)
	cfg.Connections = 16
	start := time.Now()
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if took, limit := time.Since(start), cfg.Warmup+cfg.Duration+2*time.Second; took > limit {
		t.Errorf("run took %v, want under %v", took, limit)
	}
	// A caller's cancellation ends the run early too.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	cfg.Duration = time.Hour
	start = time.Now()
	if _, err := Run(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("cancelled run took %v", took)
	}
}

func TestSetupAndCompare(t *testing.T) {
	ts := startMint(t)
	ctx := context.Background()
	target, err := Setup(ctx, SetupConfig{Server: ts.URL, ClientID: adminID, ClientSecret: adminSecret})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(target.Audience, "https://bench.invalid/") || target.ClientID == "" || target.ClientSecret == "" {
		t.Fatalf("target %+v: want a new audience and client", target)
	}
	cfg := Config{
		URL: ts.URL + "/oauth/token", ClientID: target.ClientID, ClientSecret: target.ClientSecret, Audience: target.Audience,
		Connections: 2, Duration: time.Second, Warmup: 100 * time.Millisecond,
	}
	rep, err := Compare(ctx, cfg, CompareOptions{Baseline: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Mint.Requests == 0 || rep.Mint.Errors != 0 || rep.Baseline == nil || rep.Baseline.Errors != 0 || rep.Ratio <= 0 {
		t.Fatalf("report %+v: want both loaded without errors, and a ratio", rep)
	}
	if rep.Alg != "RS256" || rep.Mint.Duration != cfg.Duration {
		t.Errorf("alg %q, mint measured %v: want RS256 over %v in parts", rep.Alg, rep.Mint.Duration, cfg.Duration)
	}
	if rep.Signing == nil || rep.Signing.Errors != 0 || rep.SigningRatio <= 0 || rep.Order != OrderSigning {
		t.Errorf("report %+v: want the signing baseline loaded without errors, and its ratio", rep)
	}
	var table strings.Builder
	if err := rep.WriteTable(&table); err != nil || !strings.Contains(table.String(), "mint/baseline:") || !strings.Contains(table.String(), "mint/signing baseline:") {
		t.Errorf("table:\n%s\nerr %v", table.String(), err)
	}
	if err := target.Remove(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := Fetch(ctx, cfg); err == nil {
		t.Error("the removed client still gets tokens")
	}
}
