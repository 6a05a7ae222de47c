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

	"github.com/mintauth/mint"
	"github.com/mintauth/mint/secret"
	"github.com/mintauth/mint/server"
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
// answers.
type result struct {
	latencies        []time.Duration // of polite requests, successful or not
	politeOK, polite int
	runaway          map[int]int // status → count
}

func (r result) pct(q float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, int(q*float64(len(r.latencies))))]
}

func (r result) String() string {
	return fmt.Sprintf("polite %d/%d ok, p50 %.2f ms, p99 %.2f ms, max %.2f ms; runaway answers %v",
		r.politeOK, r.polite, ms(r.pct(.50)), ms(r.pct(.99)), ms(r.latencies[len(r.latencies)-1]), r.runaway)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// run runs the polite clients for one phase, with the runaway beside them
// when withRunaway.
func run(m mintUnderTest, withRunaway bool) result {
	ctx, cancel := context.WithTimeout(context.Background(), phase)
	defer cancel()
	var wg sync.WaitGroup
	var runaway [600]atomic.Int64
	if withRunaway {
		hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: runawayConns}}
		for range runawayConns {
			wg.Go(func() {
				for ctx.Err() == nil {
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
				res.latencies = append(res.latencies, took)
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
	slices.Sort(res.latencies)
	res.runaway = map[int]int{}
	for status := range runaway {
		if n := runaway[status].Load(); n > 0 {
			res.runaway[status] = int(n)
		}
	}
	return res
}

// TestRunawayClient: with per-client rate limits on, a runaway client
// at full speed on 8 connections gets 429s and no more tokens than its
// rate allows, and ten polite clients keep 100 % success and a median
// within 2× the baseline's + 25 ms. The p99s are logged, not asserted:
// on the two shared cores this runs on (mint, the load generator and
// whatever else the machine runs), the baseline's own p99 moved between
// 3 and 123 ms from run to run, so no tail bound both holds there and
// means something; docs/limits.md has the figures. The runaway still
// costs CPU with limits on — thousands of refused requests a second go
// through HTTP and client authentication. Without limits (logged) the
// runaway gets every signature it asks for.
func TestRunawayClient(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: 12 s")
	}
	limited := start(t, server.LimitsConfig{Rate: clientRate, Burst: clientBurst})
	run(limited, false) // warm-up: connections, caches, keys
	baseline := run(limited, false)
	t.Logf("baseline, no runaway:        %v", baseline)
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
	if most := int(clientRate*phase.Seconds()) + clientBurst + 5; withRunaway.runaway[http.StatusOK] > most {
		t.Errorf("the runaway got %d tokens, over its rate's %d", withRunaway.runaway[http.StatusOK], most)
	}
	if bound := 2*baseline.pct(.50) + 25*time.Millisecond; withRunaway.pct(.50) > bound {
		t.Errorf("polite p50 %.2f ms with the runaway, over 2 × baseline %.2f ms + 25 ms", ms(withRunaway.pct(.50)), ms(baseline.pct(.50)))
	}
}
