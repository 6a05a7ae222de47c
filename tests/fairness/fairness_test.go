package fairness

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/latency"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
	"github.com/mintauth/mint/internal/server"
)

const (
	politeClients  = 10
	politeInterval = 200 * time.Millisecond
	runawayConns   = 8
	phase          = 4 * time.Second
	// The limits of the test: 20 requests/s per client with bursts of 40,
	// far above a polite client's 5/s.
	clientRate  = 20
	clientBurst = 40
)

var api = mint.API{ID: "api_fair", Name: "fairness", Audience: "https://fairness.test",
	Scopes: []string{"read"}, TokenLifetime: time.Hour}

type client struct{ id, secret string }

type mintUnderTest struct {
	url     string
	polite  []client
	runaway client
}

func start(t *testing.T, limits server.LimitsConfig) mintUnderTest {
	t.Helper()
	ctx := context.Background()
	srv, err := server.New(ctx, server.Config{DB: filepath.Join(t.TempDir(), "mint.db"), Issuer: "http://mint.test", Limits: limits})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	s := srv.Store()
	now := time.Now()
	api := api
	api.CreatedAt, api.UpdatedAt = now, now
	must(t, s.CreateAPI(ctx, api))
	newClient := func(name string) client {
		plain, digest := secret.New()
		c := mint.Client{ID: mint.NewClientID(), Name: name, CreatedAt: now, UpdatedAt: now}
		must(t, s.CreateClient(ctx, c, mint.Secret{ID: mint.NewID("sec"), Digest: digest, CreatedAt: now}))
		must(t, s.CreateGrant(ctx, mint.Grant{ID: mint.NewID("grt"), ClientID: c.ID, Audience: api.Audience,
			Scopes: api.Scopes, CreatedAt: now, UpdatedAt: now}))
		return client{c.ID, plain}
	}
	m := mintUnderTest{url: ts.URL, runaway: newClient("runaway")}
	for i := range politeClients {
		m.polite = append(m.polite, newClient(fmt.Sprintf("polite %d", i)))
	}
	return m
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// ask sends one token request (as an SDK with its own token reuse off
// would) and returns the status, 0 on a transport error.
func ask(hc *http.Client, base string, c client) int {
	body := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.id}, "client_secret": {c.secret},
		"audience": {api.Audience}}.Encode()
	resp, err := hc.Post(base+"/oauth/token", "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// result is what the polite clients saw in one phase, and the runaway's
// answers. The polite requests are split by whether the runaway was
// running when they began (see run).
type result struct {
	with, without    []time.Duration // latencies of polite requests, successful or not
	politeOK, polite int
	runaway          map[int]int // status → count
}

func pct(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(q*float64(len(d))))]
}

func (r result) String() string {
	return fmt.Sprintf("polite %d/%d ok; runaway running: n=%d p50 %.2f ms p99 %.2f ms; paused: n=%d p50 %.2f ms p99 %.2f ms; Mann–Whitney z=%.1f; runaway answers %v",
		r.politeOK, r.polite, len(r.with), ms(pct(r.with, .5)), ms(pct(r.with, .99)),
		len(r.without), ms(pct(r.without, .5)), ms(pct(r.without, .99)), latency.MannWhitneyZ(r.with, r.without), r.runaway)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// slice is how long the runaway runs, then pauses, in turn: the polite
// requests made while it pauses are the reference for those made while it
// runs, measured in the same phase, under whatever else the machine is
// doing at the time.
const slice = 250 * time.Millisecond

// running reports whether the runaway runs at t, a time since the phase
// began: every other slice.
func running(t time.Duration) bool { return (t/slice)%2 == 1 }

// run runs the polite clients for one phase; with a runaway, the runaway
// runs every other slice beside them.
func run(m mintUnderTest, withRunaway bool) result {
	ctx, cancel := context.WithTimeout(context.Background(), phase)
	defer cancel()
	begin := time.Now()
	var wg sync.WaitGroup
	var runaway [600]atomic.Int64
	if withRunaway {
		hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: runawayConns}}
		for range runawayConns {
			wg.Go(func() {
				for ctx.Err() == nil {
					if !running(time.Since(begin)) {
						time.Sleep(time.Millisecond)
						continue
					}
					runaway[ask(hc, m.url, m.runaway)].Add(1)
				}
			})
		}
	}
	var mu sync.Mutex
	var res result
	for i, c := range m.polite {
		wg.Go(func() {
			hc := &http.Client{Transport: &http.Transport{}}
			// Spread the polite clients over the interval.
			time.Sleep(time.Duration(i) * politeInterval / politeClients)
			tick := time.NewTicker(politeInterval)
			defer tick.Stop()
			for {
				startReq := time.Now()
				status := ask(hc, m.url, c)
				took := time.Since(startReq)
				mu.Lock()
				res.polite++
				if withRunaway && running(startReq.Sub(begin)) {
					res.with = append(res.with, took)
				} else {
					res.without = append(res.without, took)
				}
				if status == http.StatusOK {
					res.politeOK++
				}
				mu.Unlock()
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
			}
		})
	}
	wg.Wait()
	slices.Sort(res.with)
	slices.Sort(res.without)
	res.runaway = map[int]int{}
	for status := range runaway {
		if n := runaway[status].Load(); n > 0 {
			res.runaway[status] = int(n)
		}
	}
	return res
}

// TestRunawayClient: with per-client rate limits on, a runaway client at
// full speed on 8 connections gets 429s and no more tokens than its rate
// allows, and ten polite clients keep 100 % success and their pace.
// Without limits (logged) the runaway gets every signature it asks for.
//
// Only load-independent criteria are asserted. A bound on the polite
// median against a baseline measured in another phase failed once (p50
// 47 ms against a bound of 35 ms) because the machine was busier in the
// second phase; and even measured in the same phase (the runaway runs
// every other 250 ms slice, the paused slices being the reference), the
// runaway's own CPU on two shared cores makes the polite median 5–20×
// the paused one with limits on and off alike, so no latency bound both
// holds there and tells limits from none. The latencies and the rank
// statistic are logged; asserted are: every polite request succeeds; the
// runaway gets 429s and never more tokens than its rate allows
// (20/s × 4 s + 40: a busier machine only lowers that); and the polite
// clients are answered at their own pace, at least 90 % of the requests
// their 200 ms schedule asks for (a server that let the runaway starve
// them would hold their requests for whole intervals).
func TestRunawayClient(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: 12 s")
	}
	limited := start(t, server.LimitsConfig{Rate: clientRate, Burst: clientBurst})
	run(limited, false) // warm-up: connections, caches, keys
	withRunaway := run(limited, true)
	t.Logf("runaway, rate limits on:     %v", withRunaway)
	unlimited := start(t, server.LimitsConfig{})
	noLimits := run(unlimited, true)
	t.Logf("runaway, no limits (FYI):    %v", noLimits)

	if withRunaway.politeOK != withRunaway.polite {
		t.Errorf("polite success %d/%d with the runaway, want 100 %%", withRunaway.politeOK, withRunaway.polite)
	}
	if withRunaway.runaway[http.StatusTooManyRequests] == 0 {
		t.Errorf("the runaway got no 429: %v", withRunaway.runaway)
	}
	// The runaway runs half the phase, but its bucket fills while it pauses.
	if most := int(clientRate*phase.Seconds()) + clientBurst + 5; withRunaway.runaway[http.StatusOK] > most {
		t.Errorf("the runaway got %d tokens, over its rate's %d", withRunaway.runaway[http.StatusOK], most)
	}
	if asked := politeClients * int(phase/politeInterval); withRunaway.politeOK*10 < asked*9 {
		t.Errorf("the polite clients got %d tokens of the %d their schedule asks for, under 90 %%", withRunaway.politeOK, asked)
	}
}
