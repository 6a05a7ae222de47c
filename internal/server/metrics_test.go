package server_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/server"
	"github.com/mintauth/mint/internal/testdb"
)

// scrape reads the text exposition at url into series → value, the series
// written as Prometheus does: name{label="value",…} with labels sorted.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", url, resp.StatusCode)
	}
	series := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		series[line[:i]] = v
	}
	return series
}

// TestMetricsAfterTokenRequests: after three tokens and two refusals, the
// scrape shows each by client, audience and outcome, the latency and
// signing histograms, the store reads and cache results of the token path,
// tokens per lifetime, and the Go and process collectors.
func TestMetricsAfterTokenRequests(t *testing.T) {
	srv := newServer(t, server.Config{BootstrapClientID: "ops-admin", BootstrapClientSecret: adminSecret})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	for range 3 {
		if got := tokenStatus(t, srv, "ops-admin", adminSecret); got != http.StatusOK {
			t.Fatalf("token: status %d", got)
		}
	}
	for _, id := range []string{"ops-admin", "made-up-client"} {
		if got := tokenStatus(t, srv, id, "wrong-"+adminSecret); got != http.StatusUnauthorized {
			t.Fatalf("wrong secret: status %d", got)
		}
	}
	mts := httptest.NewServer(srv.MetricsHandler())
	defer mts.Close()
	m := scrape(t, mts.URL+server.MetricsPath)
	admin := `audience="` + mint.AdminAudience + `",client_id="ops-admin"`
	want := map[string]float64{
		`mint_token_requests_total{` + admin + `,outcome="issued"}`:                                  3,
		`mint_token_requests_total{audience="unknown",client_id="unknown",outcome="invalid_client"}`: 2,
		`mint_token_request_duration_seconds_count{outcome="issued"}`:                                3,
		`mint_token_request_duration_seconds_count{outcome="invalid_client"}`:                        2,
		`mint_signing_duration_seconds_count{alg="RS256"}`:                                           3,
		`mint_tokens_per_lifetime{` + admin + `}`:                                                    3,
		`mint_store_duration_seconds_count{op="list_secrets"}`:                                       3, // one client each, then cached; a refusal decided on a kept answer reads again (internal/clientauth/timing.go)
	}
	for series, v := range want {
		if got, ok := m[series]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, v)
		}
	}
	secrets := m[`mint_cache_requests_total{kind="secrets",result="hit"}`] +
		m[`mint_cache_requests_total{kind="secrets",result="miss"}`] + m[`mint_cache_requests_total{kind="secrets",result="bypass"}`]
	if secrets != 5 {
		t.Errorf("secrets read %v times through the cache, want 5 (one per request)", secrets)
	}
	if m[`mint_token_request_duration_seconds_sum{outcome="issued"}`] <= 0 || m[`mint_signing_duration_seconds_sum{alg="RS256"}`] <= 0 {
		t.Error("durations not recorded")
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "mint_cache_loads_total", `mint_cache_entries{kind="clients"}`} {
		if _, ok := m[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}
	for series := range m {
		if strings.Contains(series, "made-up-client") {
			t.Errorf("an unauthenticated client id became a label: %s", series)
		}
	}
}

// TestMetricsNeverOnMainHandler: the main handler has no /metrics (it
// names clients and audiences); ServeMetrics serves it on its own
// listener, and nothing else there, until ctx ends.
func TestMetricsNeverOnMainHandler(t *testing.T) {
	srv := newServer(t, server.Config{})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	resp, err := http.Get(ts.URL + server.MetricsPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("main handler /metrics: status %d, want 404", resp.StatusCode)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeMetrics(ctx, ln) }()
	base := "http://" + ln.Addr().String()
	if m := scrape(t, base+server.MetricsPath); m["go_goroutines"] <= 0 {
		t.Error("no go_goroutines on the metrics listener")
	}
	for _, path := range []string{"/oauth/token", "/admin/v1/clients", "/readyz"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("metrics listener %s: %d, want 404", path, resp.StatusCode)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ServeMetrics: %v", err)
	}
}

func getReady(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url + server.ReadyPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(body))
}

const unavailable = `{"error":"temporarily_unavailable","error_description":"the storage does not answer"}`

// TestReadyz: 200 while the store answers, 503 temporarily_unavailable once
// it is closed.
func TestReadyz(t *testing.T) {
	srv := newServer(t, server.Config{})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	if status, body := getReady(t, ts.URL); status != http.StatusOK || body != `{"status":"ready"}` {
		t.Fatalf("readyz: %d %s", status, body)
	}
	srv.Store().Close()
	if status, body := getReady(t, ts.URL); status != http.StatusServiceUnavailable || body != unavailable {
		t.Fatalf("readyz on a closed store: %d %s", status, body)
	}
}

// TestReadyzPostgresUnreachable: mint on PostgreSQL through a TCP relay is
// ready; once the relay stops (the server is unreachable: connections cut,
// new ones refused), /readyz answers 503 within its one-second bound.
func TestReadyzPostgresUnreachable(t *testing.T) {
	dsn, err := url.Parse(testdb.New(t, "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	relay := newRelay(t, dsn.Host)
	dsn.Host = relay.addr()
	srv := newServer(t, server.Config{DB: dsn.String(), MasterKey: keyring.NewMasterKey()})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	if status, body := getReady(t, ts.URL); status != http.StatusOK {
		t.Fatalf("readyz: %d %s", status, body)
	}
	relay.stop()
	start := time.Now()
	status, body := getReady(t, ts.URL)
	if status != http.StatusServiceUnavailable || body != unavailable {
		t.Fatalf("readyz with PostgreSQL unreachable: %d %s", status, body)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("readyz took %v, want about its 1 s bound at most", took)
	}
}

// relay forwards TCP connections to target until stopped.
type relay struct {
	ln     net.Listener
	mu     sync.Mutex
	conns  []net.Conn
	closed bool
}

func newRelay(t *testing.T, target string) *relay {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln}
	t.Cleanup(r.stop)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil || !r.track(c, up) {
				c.Close()
				continue
			}
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	return r
}

func (r *relay) addr() string { return r.ln.Addr().String() }

func (r *relay) track(cs ...net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	r.conns = append(r.conns, cs...)
	return true
}

// stop refuses new connections and cuts every open one.
func (r *relay) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	if err := r.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		panic(err)
	}
	for _, c := range r.conns {
		c.Close()
	}
}
