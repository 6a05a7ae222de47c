package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestConcurrentCallersShareOneTokenRequest(t *testing.T) {
	const goroutines, perGoroutine = 10, 20
	ts := newTokenServer(t, 3600)
	ts.delay = 50 * time.Millisecond // so that first callers overlap
	api := newAPIServer(t, ts, rejectSeed)
	hc := ts.config(StyleJSON).Client(testContext(t))

	var wg sync.WaitGroup
	errs := make(chan error, goroutines*perGoroutine)
	for range goroutines {
		wg.Go(func() {
			for range perGoroutine {
				errs <- get(hc, api.URL)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := ts.count(); n != 1 {
		t.Errorf("token requests = %d, want 1", n)
	}
	if n := api.count(); n != goroutines*perGoroutine {
		t.Errorf("API calls = %d, want %d", n, goroutines*perGoroutine)
	}
}

func TestConcurrentTokenCallsShareOneRequest(t *testing.T) {
	ts := newTokenServer(t, 3600)
	ts.delay = 50 * time.Millisecond
	src := ts.config(StyleFormBasic).TokenSource(testContext(t))
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			for range 20 {
				if _, err := src.Token(); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if n := ts.count(); n != 1 {
		t.Errorf("token requests = %d, want 1", n)
	}
}

// TestTokenReplacedBeforeExpiry walks an injected clock through the life
// of a 60 s token: the refresh margin is then min(max(6s, 30s), 30s) = 30s
// plus up to 15s of jitter, so the token is replaced 15–30 s after issue.
func TestTokenReplacedBeforeExpiry(t *testing.T) {
	ts := newTokenServer(t, 60)
	api := newAPIServer(t, ts, rejectSeed)
	clock := newFakeClock()
	cfg := ts.config(StyleJSON)
	cfg.Now = clock.Now
	hc := cfg.Client(testContext(t))

	steps := []struct {
		name     string
		advance  time.Duration
		wantReqs int
	}{
		{"first call fetches", 0, 1},
		{"fresh token reused", 14 * time.Second, 1},
		{"replaced in refresh window", 16 * time.Second, 2},
		{"new token reused", 10 * time.Second, 2},
		{"expired mid-run is replaced", 2 * time.Minute, 3},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			clock.Advance(s.advance)
			if err := get(hc, api.URL); err != nil {
				t.Fatal(err)
			}
			if n := ts.count(); n != s.wantReqs {
				t.Errorf("token requests = %d, want %d", n, s.wantReqs)
			}
		})
	}
}

// TestShortLivedTokensInRealTime uses 1 s tokens that the API refuses once
// expired, and calls for 2.5 s: every call must succeed on a fresh token.
func TestShortLivedTokensInRealTime(t *testing.T) {
	ts := newTokenServer(t, 1)
	api := newAPIServer(t, ts, rejectSeed)
	hc := ts.config(StyleJSON).Client(testContext(t))
	for end := time.Now().Add(2500 * time.Millisecond); time.Now().Before(end); {
		if err := get(hc, api.URL); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Refreshed 0.25–0.5 s after issue, so 5–10 times in 2.5 s; allow slack.
	if n := ts.count(); n < 4 || n > 12 {
		t.Errorf("token requests = %d, want about 5–10", n)
	}
}

func TestFailedEarlyRefreshKeepsValidToken(t *testing.T) {
	ts := newTokenServer(t, 100)
	clock := newFakeClock()
	cfg := ts.config(StyleJSON)
	cfg.Now, cfg.MaxAttempts = clock.Now, 1
	src := cfg.TokenSource(testContext(t))
	first, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}

	ts.queue(reply{status: 503})
	clock.Advance(80 * time.Second) // past the refresh point, before expiry
	steps := []struct {
		name     string
		advance  time.Duration
		wantReqs int
		wantSame bool
	}{
		{"failed refresh returns the old token", 0, 2, true},
		{"no new request while held", retryHold / 2, 2, true},
		{"refresh tried again after the hold", retryHold, 3, false},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			clock.Advance(s.advance)
			tok, err := src.Token()
			if err != nil {
				t.Fatal(err)
			}
			if n := ts.count(); n != s.wantReqs {
				t.Errorf("token requests = %d, want %d", n, s.wantReqs)
			}
			if same := tok == first; same != s.wantSame {
				t.Errorf("got token %q, old was %q; want same = %v", tok.AccessToken, first.AccessToken, s.wantSame)
			}
		})
	}
}

func TestTokenWithoutExpiryIsKept(t *testing.T) {
	ts := newTokenServer(t, 0) // seeds 000 and 001 send no expires_in
	clock := newFakeClock()
	cfg := ts.config(StyleJSON)
	cfg.Now = clock.Now
	src := cfg.TokenSource(testContext(t))
	for range 3 {
		if _, err := src.Token(); err != nil {
			t.Fatal(err)
		}
		clock.Advance(1000 * time.Hour)
	}
	if n := ts.count(); n != 1 {
		t.Errorf("token requests = %d, want 1", n)
	}
}

func TestRefreshTime(t *testing.T) {
	now := time.Date(2019, 11, 13, 6, 26, 1, 0, time.UTC)
	tests := []struct {
		life   time.Duration
		margin time.Duration // replaced between margin and 1.5·margin before expiry
	}{
		{24 * time.Hour, 144 * time.Minute}, // 10%
		{10 * time.Minute, 60 * time.Second},
		{2 * time.Minute, 30 * time.Second}, // the 30 s floor
		{60 * time.Second, 30 * time.Second},
		{2 * time.Second, time.Second}, // capped at half the lifetime
	}
	for _, tt := range tests {
		t.Run(tt.life.String(), func(t *testing.T) {
			exp := now.Add(tt.life)
			for range 200 {
				early := exp.Sub(refreshTime(now, exp))
				if early < tt.margin || early > tt.margin*3/2 {
					t.Fatalf("refreshed %v before expiry, want %v to %v", early, tt.margin, tt.margin*3/2)
				}
			}
		})
	}
	t.Run("no expiry", func(t *testing.T) {
		if got := refreshTime(now, time.Time{}); !got.IsZero() {
			t.Errorf("refreshTime = %v, want zero", got)
		}
	})
}

// get makes one API call and insists that it succeeded.
func get(hc *http.Client, url string) error {
	resp, err := hc.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	return nil
}

// TestCanceledCallerDoesNotFailOthers checks that a caller who joined a
// token request started by one whose context then ended gets a token of
// its own rather than the other's cancellation.
func TestCanceledCallerDoesNotFailOthers(t *testing.T) {
	ts := newTokenServer(t, 3600)
	ts.delay = 300 * time.Millisecond
	api := newAPIServer(t, ts, rejectSeed)
	hc := ts.config(StyleJSON).Client(testContext(t))

	leaderCtx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	leaderReq, _ := http.NewRequestWithContext(leaderCtx, http.MethodGet, api.URL, nil)
	leaderErr := make(chan error, 1)
	go func() {
		_, err := hc.Do(leaderReq)
		leaderErr <- err
	}()
	time.Sleep(20 * time.Millisecond) // let the leader's token request start
	if err := get(hc, api.URL); err != nil {
		t.Errorf("second caller: %v", err)
	}
	if err := <-leaderErr; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("leader error = %v, want its own deadline", err)
	}
}
