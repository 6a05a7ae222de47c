package metrics_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/metrics"
	"github.com/mintauth/mint/internal/token"
)

// observeClients has n clients take a token each, from ten APIs.
func observeClients(m *metrics.Metrics, n int) {
	ctx := context.Background()
	for i := range n {
		m.ObserveToken(ctx, token.Outcome{ClientID: fmt.Sprintf("cli_%08d", i), Audience: fmt.Sprintf("https://api%d.test", i%10),
			Alg: "EdDSA", Lifetime: time.Hour, Signing: 30 * time.Microsecond, Duration: 50 * time.Microsecond})
	}
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkScrape is GET /metrics after 100k and 1M clients each took a
// token: the time of one scrape, with the series and bytes it answers and
// the live heap the metrics hold per client.
//
//	go test -run XXX -bench Scrape -benchtime 20x ./internal/metrics
func BenchmarkScrape(b *testing.B) {
	for _, clients := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			before := liveHeap()
			m := metrics.New(metrics.Options{})
			observeClients(m, clients)
			held := liveHeap() - before
			h := m.Handler()
			var series, size int
			b.ResetTimer()
			for range b.N {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
				body := w.Body.String()
				size, series = len(body), seriesIn(body)
			}
			b.ReportMetric(float64(series), "series")
			b.ReportMetric(float64(size), "bytes")
			b.ReportMetric(float64(held)/float64(clients), "heap-B/client")
			runtime.KeepAlive(m)
		})
	}
}

// seriesIn counts the sample lines of a text exposition.
func seriesIn(body string) int {
	n := 0
	for line := range strings.Lines(body) {
		if line != "" && !strings.HasPrefix(line, "#") {
			n++
		}
	}
	return n
}

// TestLifetimesBoundedWhateverTheClients: half a million clients taking a
// token each leave at most TrackedPairs pairs counted, and the live heap
// the metrics hold does not grow with the clients past that.
func TestLifetimesBoundedWhateverTheClients(t *testing.T) {
	before := liveHeap()
	m := metrics.New(metrics.Options{})
	observeClients(m, 100_000)
	at100k := liveHeap()
	observeClients(m, 400_000)
	at500k := liveHeap()
	if n := len(m.TokensPerLifetime()); n > metrics.DefaultTracked {
		t.Errorf("%d pairs counted, want at most %d", n, metrics.DefaultTracked)
	}
	t.Logf("live heap: %.1f MB after 100k clients, %.1f MB after 400k more", float64(at100k-before)/1e6, float64(at500k-before)/1e6)
	// Unbounded, the 400k more clients held ~270 B each: 108 MB.
	if grown := int64(at500k) - int64(at100k); grown > 4<<20 {
		t.Errorf("the live heap grew by %.1f MB from 100k to 500k clients", float64(grown)/1e6)
	}
	runtime.KeepAlive(m)
}

// TestTopClientSurvivesChurn: one client taking a token every hundredth
// request, while 100k others take one each, keeps its whole count and
// stays on top: the others, with one token each, are the ones given up.
func TestTopClientSurvivesChurn(t *testing.T) {
	m := metrics.New(metrics.Options{})
	ctx := context.Background()
	hot := token.Outcome{ClientID: "hot", Audience: "https://api.test", Alg: "EdDSA", Lifetime: time.Hour}
	for range 50 {
		m.ObserveToken(ctx, hot)
	}
	for i := range 100_000 {
		m.ObserveToken(ctx, token.Outcome{ClientID: fmt.Sprintf("cli_%08d", i), Audience: "https://api.test", Alg: "EdDSA", Lifetime: time.Hour})
		if i%100 == 0 {
			m.ObserveToken(ctx, hot)
		}
	}
	top := m.TopTokensPerLifetime(3)
	if len(top) != 3 || top[0].ClientID != "hot" || top[0].Tokens != 1050 || top[1].Tokens != 1 {
		t.Fatalf("top 3: %+v, want hot with 1050 tokens, then clients with 1", top)
	}
	if got := m.ClientTokensPerLifetime("hot"); len(got) != 1 || got[0].Tokens != 1050 {
		t.Errorf("ClientTokensPerLifetime(hot): %+v", got)
	}
	if got := m.ClientTokensPerLifetime("nobody"); len(got) != 0 {
		t.Errorf("ClientTokensPerLifetime(nobody): %+v", got)
	}
}

// BenchmarkObserveTokenRotating is ObserveToken with the load rotating over
// 1M clients: every token is a new pair, which gives up another once
// TrackedPairs are counted (one window allocated, eight sampled).
func BenchmarkObserveTokenRotating(b *testing.B) {
	ids := make([]string, 1_000_000)
	for i := range ids {
		ids[i] = fmt.Sprintf("cli_%08d", i)
	}
	m := metrics.New(metrics.Options{})
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		m.ObserveToken(ctx, token.Outcome{ClientID: ids[i%len(ids)], Audience: "https://api.test", Alg: "EdDSA",
			Lifetime: time.Hour, Signing: 30 * time.Microsecond, Duration: 50 * time.Microsecond})
	}
}
