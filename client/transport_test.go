package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"golang.org/x/oauth2"
)

func TestTransportRetriesRejectedTokenOnce(t *testing.T) {
	tests := []struct {
		name        string
		reject      int
		stale       int // tokens the API refuses though unexpired
		body        string
		noGetBody   bool
		wantStatus  int
		wantCalls   int // reaching the API
		wantTokens  int // token requests
		wantInReply string
	}{
		{"good token is not retried", rejectSeed, 0, "", false, 200, 1, 1, "ok:"},
		{"seed 003 expired payload", rejectSeed, 1, "", false, 200, 2, 2, "ok:"},
		{"WWW-Authenticate invalid_token", rejectHeader, 1, "", false, 200, 2, 2, "ok:"},
		{"POST replayed with GetBody", rejectSeed, 1, "payload", false, 200, 2, 2, "ok:payload"},
		{"POST without GetBody not replayed", rejectSeed, 1, "payload", true, 401, 1, 1, "Token expired."},
		{"401 not about the token", rejectOther, 0, "", false, 401, 1, 1, "Client not allowed."},
		{"second rejection goes to the caller", rejectAll, 0, "", false, 401, 2, 2, "Token expired."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTokenServer(t, 3600)
			ts.stale = tt.stale
			api := newAPIServer(t, ts, tt.reject)
			hc := ts.config(StyleJSON).Client(testContext(t))

			req := newAPIRequest(t, api.URL, tt.body, tt.noGetBody)
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			reply, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(string(reply), tt.wantInReply) {
				t.Errorf("got %s %q, want %d with %q", resp.Status, reply, tt.wantStatus, tt.wantInReply)
			}
			if n := api.count(); n != tt.wantCalls {
				t.Errorf("API calls = %d, want %d", n, tt.wantCalls)
			}
			if n := ts.count(); n != tt.wantTokens {
				t.Errorf("token requests = %d, want %d", n, tt.wantTokens)
			}
			bodies, _ := api.seen()
			for i, b := range bodies {
				if b != tt.body {
					t.Errorf("API call %d had body %q, want %q", i+1, b, tt.body)
				}
			}
			if got := req.Header.Get("Authorization"); got != "" {
				t.Errorf("caller's request was changed: Authorization %q", got)
			}
		})
	}
}

func newAPIRequest(t *testing.T, url, body string, noGetBody bool) *http.Request {
	method, r := http.MethodGet, io.Reader(nil)
	if body != "" {
		method, r = http.MethodPost, strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if noGetBody {
		req.Body, req.GetBody = io.NopCloser(r), nil // a stream that cannot be read twice
	}
	return req
}

func TestConcurrentRejectionsFetchOneToken(t *testing.T) {
	ts := newTokenServer(t, 3600)
	api := newAPIServer(t, ts, rejectSeed)
	hc := ts.config(StyleJSON).Client(testContext(t))
	if err := get(hc, api.URL); err != nil {
		t.Fatal(err)
	}
	ts.revokeAll()
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if err := get(hc, api.URL); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := ts.count(); n != 2 {
		t.Errorf("token requests = %d, want 2: one at start, one after the revocation", n)
	}
}

func TestOAuth2NewClient(t *testing.T) {
	ctx := testContext(t)
	ts := newTokenServer(t, 3600)
	api := newAPIServer(t, ts, rejectSeed)
	hc := oauth2.NewClient(ctx, ts.config(StyleFormPost).TokenSource(ctx))
	for range 5 {
		if err := get(hc, api.URL); err != nil {
			t.Fatal(err)
		}
	}
	if n := ts.count(); n != 1 {
		t.Errorf("token requests = %d, want 1", n)
	}
	if _, auths := api.seen(); auths[0] != "Bearer tok-1" {
		t.Errorf("API saw Authorization %q, want %q", auths[0], "Bearer tok-1")
	}
}

// closeRecorder records whether a request body was closed.
type closeRecorder struct {
	io.Reader
	mu     sync.Mutex
	closed bool
}

func (c *closeRecorder) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}

func TestTransportTokenFailure(t *testing.T) {
	ts := newTokenServer(t, 3600)
	api := newAPIServer(t, ts, rejectSeed)
	cfg := ts.config(StyleJSON)
	cfg.ClientSecret = "wrong"
	body := &closeRecorder{Reader: strings.NewReader("payload")}
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, api.URL, body)

	_, err := cfg.Client(testContext(t)).Do(req)
	var e *Error
	if !errors.As(err, &e) || e.Code != "invalid_client" {
		t.Errorf("error = %v, want an *Error with code invalid_client", err)
	}
	if !body.closed {
		t.Error("request body not closed")
	}
	if api.count() != 0 {
		t.Errorf("API called %d times without a token", api.count())
	}
}
