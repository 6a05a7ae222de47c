package bench

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sync"
	"time"
)

// Config is one load run at one token endpoint.
type Config struct {
	URL          string // the token endpoint, e.g. http://127.0.0.1:8080/oauth/token
	ClientID     string
	ClientSecret string
	Audience     string // empty: none sent
	Style        string // StyleJSON (default), StyleForm or StyleBasic
	Connections  int    // concurrent connections, one goroutine each; default 1
	Duration     time.Duration
	Warmup       time.Duration // load sent but not counted, before Duration
}

// Result is what one run measured. Latencies are those of successful
// requests only, from sending the request to reading the last byte of the
// answer.
type Result struct {
	Requests     int64         `json:"requests"` // requests started in the measured window, errors included
	Errors       int64         `json:"errors"`
	Duration     time.Duration `json:"duration_ns"`       // the measured window
	PerSecond    float64       `json:"tokens_per_second"` // successful requests per second
	P50          time.Duration `json:"p50_ns"`
	P90          time.Duration `json:"p90_ns"`
	P99          time.Duration `json:"p99_ns"`
	Max          time.Duration `json:"max_ns"`
	ErrorSamples []string      `json:"error_samples,omitempty"` // the first few distinct errors
}

const (
	// grace is how long a request sent just before the end of the run may
	// take before it is abandoned and counted as an error: it bounds a run
	// at Warmup + Duration + grace.
	grace = time.Second
	// maxAnswerBytes bounds what is read of one answer.
	maxAnswerBytes = 1 << 20
	// maxErrorSamples is how many distinct error messages a run keeps.
	maxErrorSamples = 5
)

// Run sends token requests on cfg.Connections connections, as fast as
// answers come, for cfg.Warmup and then cfg.Duration, and returns what the
// Duration part measured. A request succeeds when the answer is 200 and holds
// an access_token. Run stops early, returning what it measured so far, when
// ctx ends.
func Run(ctx context.Context, cfg Config) (Result, error) {
	t, err := run(ctx, cfg)
	if err != nil {
		return Result{}, err
	}
	return t.result(), nil
}

// tally is what a run counted: the merge of every load goroutine's counts.
type tally struct {
	hist     histogram
	requests int64
	errors   int64
	window   time.Duration
	samples  []string
}

func (t *tally) merge(o *tally) {
	t.hist.merge(&o.hist)
	t.requests += o.requests
	t.errors += o.errors
	t.window += o.window
	for _, s := range o.samples {
		t.addSample(s)
	}
}

func (t *tally) addSample(msg string) {
	if len(t.samples) >= maxErrorSamples {
		return
	}
	for _, s := range t.samples {
		if s == msg {
			return
		}
	}
	t.samples = append(t.samples, msg)
}

func (t *tally) result() Result {
	r := Result{
		Requests: t.requests, Errors: t.errors, Duration: t.window,
		P50: t.hist.percentile(50), P90: t.hist.percentile(90), P99: t.hist.percentile(99), Max: t.hist.max,
		ErrorSamples: t.samples,
	}
	if t.window > 0 {
		r.PerSecond = float64(t.requests-t.errors) / t.window.Seconds()
	}
	return r
}

func run(ctx context.Context, cfg Config) (*tally, error) {
	if cfg.Duration <= 0 {
		return nil, errors.New("the duration must be positive")
	}
	conns := max(cfg.Connections, 1)
	tr, err := newTokenRequest(cfg)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	w := window{from: start.Add(cfg.Warmup), to: start.Add(cfg.Warmup + cfg.Duration)}
	// Requests still out grace after the end are abandoned.
	deadline := w.to.Add(grace)

	wcs := make([]*wireConn, conns)
	for i := range wcs {
		wc, stop, err := newWireConn(ctx, tr)
		if err != nil {
			return nil, err
		}
		defer stop()
		wcs[i] = wc
	}
	tallies := make([]*tally, conns)
	var wg sync.WaitGroup
	for i, wc := range wcs {
		tallies[i] = new(tally)
		wg.Go(func() { drive(ctx, wc, deadline, w, tallies[i]) })
	}
	wg.Wait()

	total := new(tally)
	for _, t := range tallies {
		total.merge(t)
	}
	end := w.to
	if now := time.Now(); ctx.Err() != nil && now.Before(end) {
		end = now // cut short by the caller
	}
	total.window = max(end.Sub(w.from), 0)
	return total, nil
}

// newTransport returns a transport that keeps one connection per load
// goroutine alive and never compresses, as a token client would.
func newTransport(conns int) *http.Transport {
	return &http.Transport{
		MaxConnsPerHost:     conns,
		MaxIdleConnsPerHost: conns,
		MaxIdleConns:        conns,
		DisableCompression:  true,
		IdleConnTimeout:     time.Minute,
	}
}

// window is the measured part of a run: requests sent in [from, to) count.
type window struct{ from, to time.Time }

// drive is one load goroutine: it sends requests one after another until
// the window closes or ctx ends, and counts those sent inside the window.
func drive(ctx context.Context, wc *wireConn, deadline time.Time, w window, t *tally) {
	var buf bytes.Buffer
	for ctx.Err() == nil {
		sent := time.Now()
		if !sent.Before(w.to) {
			return
		}
		err := wc.send(deadline, &buf)
		took := time.Since(sent)
		if sent.Before(w.from) || ctx.Err() != nil {
			continue // warming up, or stopped by the caller: not counted
		}
		t.requests++
		if err != nil {
			t.errors++
			t.addSample(err.Error())
			continue
		}
		t.hist.record(took)
	}
}

// clip shortens an answer body for an error message.
func clip(body []byte) string {
	const n = 200
	s := string(bytes.TrimSpace(body))
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
