package e2e_test

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/mintauth/mint/client"
	"github.com/mintauth/mint/internal/server"
)

// seedRows are the ids seedQuery finds.
var seedRows = []float64{1001, 1003}

func checkSeedRows(t *testing.T, rows []map[string]any) {
	t.Helper()
	if len(rows) != len(seedRows) {
		t.Fatalf("rows = %v, want ids %v", rows, seedRows)
	}
	for i, r := range rows {
		if r["id"] != seedRows[i] {
			t.Fatalf("rows = %v, want ids %v", rows, seedRows)
		}
	}
}

func TestConcurrentCallsShareOneTokenRequest(t *testing.T) {
	m := startMint(t, server.Config{})
	cfg := dataloy(t, m, 86400)
	api := startCargoAPI(t, m, prodAudience, 0, nil)
	hc := cfg.Client(context.Background())

	before := m.TokenRequests()
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for range 10 {
		wg.Go(func() {
			for range 20 {
				resp, err := hc.Get(api.URL + seedQuery)
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				statuses[resp.StatusCode]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if statuses[http.StatusOK] != 200 || len(statuses) != 1 {
		t.Errorf("statuses = %v, want 200 × 200 OK", statuses)
	}
	if got := m.TokenRequests() - before; got != 1 {
		t.Errorf("token requests = %d, want exactly 1 for 200 calls", got)
	}
}

// A token mint says lasts 60s but that expires 3s after issue in real time
// (mint's clock runs 57s behind): the SDK thinks it fresh, the API refuses
// it with seed 003's "Token expired.", and the SDK's transport fetches a new
// one and retries, so the caller never sees the 401.
func TestTokenExpiringMidRunIsReplaced(t *testing.T) {
	const lifetime, realLife = 60 * time.Second, 3 * time.Second
	m := startMint(t, server.Config{Now: func() time.Time { return time.Now().Add(-(lifetime - realLife)) }})
	cfg := dataloy(t, m, int(lifetime.Seconds()))
	api := startCargoAPI(t, m, prodAudience, time.Second, nil)
	hc := cfg.Client(context.Background())

	before := m.TokenRequests()
	deadline := time.Now().Add(30 * time.Second)
	calls, afterRefusal := 0, 0
	for afterRefusal < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("after %d calls in 30s the API never refused an expired token", calls)
		}
		checkSeedRows(t, getRows(t, hc, api.URL+seedQuery))
		calls++
		if api.refused.Load() > 0 {
			afterRefusal++
		}
		time.Sleep(250 * time.Millisecond)
	}
	if got := m.TokenRequests() - before; got < 2 {
		t.Errorf("token requests = %d, want at least 2: the expired token must be replaced", got)
	}
	t.Logf("%d calls, all 200; the API refused %d expired tokens; %d token requests",
		calls, api.refused.Load(), m.TokenRequests()-before)
}

// The SDK speaks each dialect to mint, at the standard path and at seed
// 002's alias, and with no audience for a client with exactly one grant.
func TestSDKAgainstMint(t *testing.T) {
	m := startMint(t, server.Config{TokenPaths: []string{"/oauth/token", "/api/getToken"}})
	partner := dataloy(t, m, 86400)
	m.createAPI(t, "Other", "https://other.example", 86400, "read:other")
	partner2 := m.createClient(t, "second partner",
		grant{prodAudience, []string{"read:cargo"}}, grant{"https://other.example", []string{"read:other"}})
	partner2.Audience = prodAudience
	single := m.createClient(t, "single-grant partner", grant{prodAudience, []string{"read:cargo"}})
	api := startCargoAPI(t, m, prodAudience, 0, nil)

	alias := m.URL + "/api/getToken"
	tests := []struct {
		name     string
		cfg      client.Config
		tokenURL string
		style    client.Style
	}{
		{"JSON", partner, "", client.StyleJSON},
		{"form post", partner, "", client.StyleFormPost},
		{"form basic", partner, "", client.StyleFormBasic},
		{"JSON at alias", partner, alias, client.StyleJSON},
		{"form post at alias", partner, alias, client.StyleFormPost},
		{"client with two grants names its audience", partner2, alias, client.StyleJSON},
		{"no audience, one grant", single, alias, client.StyleJSON},
		{"no audience, one grant, form basic", single, "", client.StyleFormBasic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.Style = tt.style
			if tt.tokenURL != "" {
				cfg.TokenURL = tt.tokenURL
			}
			before := m.TokenRequests()
			hc := cfg.Client(context.Background())
			for range 3 {
				checkSeedRows(t, getRows(t, hc, api.URL+seedQuery))
			}
			if got := m.TokenRequests() - before; got != 1 {
				t.Errorf("token requests = %d, want 1", got)
			}
		})
	}
}

// golang.org/x/oauth2 takes the SDK's token source as it is.
func TestOAuth2NewClientWithSDKTokenSource(t *testing.T) {
	m := startMint(t, server.Config{})
	cfg := dataloy(t, m, 86400)
	api := startCargoAPI(t, m, prodAudience, 0, nil)
	ctx := context.Background()

	before := m.TokenRequests()
	hc := oauth2.NewClient(ctx, cfg.TokenSource(ctx))
	for range 3 {
		checkSeedRows(t, getRows(t, hc, api.URL+seedQuery))
	}
	if got := m.TokenRequests() - before; got != 1 {
		t.Errorf("token requests = %d, want 1", got)
	}
}
