package server_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/server"
	"github.com/mintauth/mint/internal/testdb"
)

// With a stale bound, mint on PostgreSQL keeps issuing tokens to a client
// it has seen once the database is unreachable (a relay between them
// stopped); /readyz answers 503 saying since when it is degraded and until
// when it answers from memory, and mint_cache_stale_seconds says how long.
// A client never seen is refused 503: its rows are not held.
func TestStaleBoundKeepsIssuingThroughOutage(t *testing.T) {
	dsn, err := url.Parse(testdb.New(t, "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	relay := newRelay(t, dsn.Host)
	dsn.Host = relay.addr()
	srv := newServer(t, server.Config{DB: dsn.String(), MasterKey: keyring.NewMasterKey(),
		BootstrapClientID: "admin", BootstrapClientSecret: adminSecret,
		Cache: server.CacheConfig{StaleBound: time.Hour}})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	waitWatching(t, srv, true)
	if status := tokenStatus(t, srv, "admin", adminSecret); status != http.StatusOK {
		t.Fatalf("token before the outage: %d", status)
	}
	relay.stop()
	waitWatching(t, srv, false)
	for i := range 3 {
		if status := tokenStatus(t, srv, "admin", adminSecret); status != http.StatusOK {
			t.Fatalf("token %d during the outage: %d; want 200 from memory", i, status)
		}
	}
	if status := tokenStatus(t, srv, "stranger", adminSecret); status != http.StatusServiceUnavailable {
		t.Errorf("token for a client never seen during the outage: %d; want 503", status)
	}
	status, body := getReady(t, ts.URL)
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "degraded since") {
		t.Errorf("readyz during the outage: %d %s; want 503 saying since when it is degraded", status, body)
	}
	metrics := httptest.NewServer(srv.MetricsHandler())
	defer metrics.Close()
	if v, ok := scrape(t, metrics.URL)["mint_cache_stale_answers_total"]; !ok || v == 0 {
		t.Errorf("mint_cache_stale_answers_total = %v, %v; want > 0", v, ok)
	}
	if _, ok := scrape(t, metrics.URL)["mint_cache_stale_seconds"]; !ok {
		t.Error("no mint_cache_stale_seconds")
	}
}

// waitWatching waits up to 30 s for the store cache to hear changes (or to
// have lost them).
func waitWatching(t *testing.T, srv *server.Server, watching bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for srv.CacheStats().Watching != watching {
		if time.Now().After(deadline) {
			t.Fatalf("the store cache's Watching is not %v after 30 s", watching)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
