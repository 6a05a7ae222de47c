package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/bearer/dpop"
	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/server"
	"github.com/mintauth/mint/internal/testdb"
)

// TestReplayUseMetrics: the replay group commit's series read the real
// store's batcher. At rest nothing waits and nothing was refused; while
// the table of used jti cannot be written (another connection holds
// SQLite's write lock, or a PostgreSQL session locks the table), a DPoP
// token request waits (mint_replay_uses_waiting 1) and is answered 503
// after the batcher's 5 s, counted as a timeout; once the database is
// back, nothing waits and a new proof gets a token.
func TestReplayUseMetrics(t *testing.T) {
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) {
			dsn := testdb.New(t, backend)
			r := startReplica(t, server.Config{DB: dsn, MasterKey: keyring.NewMasterKey()})
			c := setUpLimits(t, r.srv.Store(), nil, nil)
			mts := httptest.NewServer(r.srv.MetricsHandler())
			defer mts.Close()
			p, err := dpop.GenerateProver()
			if err != nil {
				t.Fatal(err)
			}
			proof := func() string {
				raw, err := p.Proof("POST", "http://mint.test/oauth/token", "", "")
				if err != nil {
					t.Fatal(err)
				}
				return raw
			}
			const (
				waiting   = `mint_replay_uses_waiting`
				queueFull = `mint_replay_uses_refused_total{reason="queue_full"}`
				timeout   = `mint_replay_uses_refused_total{reason="timeout"}`
			)
			want := func(why string, series map[string]float64) {
				t.Helper()
				got := scrape(t, mts.URL+server.MetricsPath)
				for name, v := range series {
					if g, ok := got[name]; !ok || g != v {
						t.Fatalf("%s: %s = %v (exported %v), want %v", why, name, g, ok, v)
					}
				}
			}
			if resp, m := dpopToken(t, r.url, c, proof()); resp.StatusCode != 200 {
				t.Fatalf("before the lock: %d %v", resp.StatusCode, m)
			}
			want("at rest", map[string]float64{waiting: 0, queueFull: 0, timeout: 0})

			release := testdb.LockUsedAssertions(t, backend, dsn)
			// The use waits 5 s: the gauge is watched meanwhile.
			stop, seen := make(chan struct{}), make(chan bool, 1)
			go func() { seen <- watchSeries(mts.URL+server.MetricsPath, waiting, 1, stop) }()
			resp, answer := dpopToken(t, r.url, c, proof())
			close(stop)
			if !<-seen {
				t.Errorf("%s never read 1 while the use waited", waiting)
			}
			if resp.StatusCode != 503 || answer["error"] != "temporarily_unavailable" {
				t.Fatalf("with the table locked: %d %v, want 503 temporarily_unavailable", resp.StatusCode, answer)
			}
			want("after the wait ran out", map[string]float64{queueFull: 0, timeout: 1})
			release()
			waitSeries(t, mts.URL+server.MetricsPath, waiting, 0)
			if resp, m := dpopToken(t, r.url, c, proof()); resp.StatusCode != 200 {
				t.Fatalf("after the lock: %d %v", resp.StatusCode, m)
			}
			want("after the lock", map[string]float64{waiting: 0, queueFull: 0, timeout: 1})
		})
	}
}

// waitSeries waits up to a minute for series to read v.
func waitSeries(t *testing.T, url, series string, v float64) {
	t.Helper()
	var got float64
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if got = scrape(t, url)[series]; got == v {
			return
		}
	}
	t.Fatalf("%s = %v after a minute, want %v", series, got, v)
}

// watchSeries scrapes url until series reads v (true) or stop is closed
// (false). It runs in a goroutine of its own: it reports, never fails.
func watchSeries(url, series string, v float64, stop <-chan struct{}) bool {
	for {
		if resp, err := http.Get(url); err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for line := range strings.Lines(string(body)) {
				if name, val, ok := strings.Cut(strings.TrimSpace(line), " "); ok && name == series {
					if f, err := strconv.ParseFloat(val, 64); err == nil && f == v {
						return true
					}
				}
			}
		}
		select {
		case <-stop:
			return false
		case <-time.After(10 * time.Millisecond):
		}
	}
}
