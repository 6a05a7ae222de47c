package client

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestTokenEndpointFailures(t *testing.T) {
	serverError := reply{status: 500, body: `{"error":"server_error"}`}
	tests := []struct {
		name        string
		script      []reply
		secret      string // overrides the right one when set
		maxAttempts int
		minElapsed  time.Duration
		wantReqs    int
		wantStatus  int    // of the *Error; 0 means success
		wantCode    string // of the *Error
	}{{
		name:     "5xx retried until success",
		script:   []reply{serverError, {status: 503, body: "<html>down</html>"}},
		wantReqs: 3,
	}, {
		name:       "429 waits for Retry-After seconds",
		script:     []reply{{status: 429, header: map[string]string{"Retry-After": "1"}}},
		minElapsed: time.Second,
		wantReqs:   2,
	}, {
		name:        "5xx gives up after MaxAttempts",
		script:      []reply{serverError, serverError, serverError, serverError},
		maxAttempts: 3,
		wantReqs:    3, wantStatus: 500, wantCode: "server_error",
	}, {
		name:     "Retry-After too long is not waited for",
		script:   []reply{{status: 503, header: map[string]string{"Retry-After": "3600"}}},
		wantReqs: 1, wantStatus: 503,
	}, {
		name:     "invalid_client is not retried",
		script:   []reply{{status: 400, body: `{"error":"invalid_client","error_description":"Client authentication failed."}`}},
		wantReqs: 1, wantStatus: 400, wantCode: "invalid_client",
	}, {
		name:     "wrong secret is not retried",
		secret:   "wrong",
		wantReqs: 1, wantStatus: 400, wantCode: "invalid_client",
	}, {
		name:     "error with status 200",
		script:   []reply{{status: 200, body: `{"error":"invalid_scope"}`}},
		wantReqs: 1, wantStatus: 200, wantCode: "invalid_scope",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTokenServer(t, 3600)
			ts.queue(tt.script...)
			cfg := ts.config(StyleJSON)
			cfg.MaxAttempts = tt.maxAttempts
			if tt.secret != "" {
				cfg.ClientSecret = tt.secret
			}
			start := time.Now()
			tok, err := cfg.TokenSource(testContext(t)).Token()
			elapsed := time.Since(start)

			if n := ts.count(); n != tt.wantReqs {
				t.Errorf("token requests = %d, want %d", n, tt.wantReqs)
			}
			if elapsed < tt.minElapsed || elapsed > tt.minElapsed+3*time.Second {
				t.Errorf("took %v, want at least %v and not much more", elapsed, tt.minElapsed)
			}
			if tt.wantStatus == 0 {
				if err != nil || tok.AccessToken == "" {
					t.Fatalf("Token = %v, %v; want a token", tok, err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not an *Error", err, err)
			}
			if e.StatusCode != tt.wantStatus || e.Code != tt.wantCode {
				t.Errorf("Error status %d code %q, want %d %q", e.StatusCode, e.Code, tt.wantStatus, tt.wantCode)
			}
		})
	}
}

func TestNonJSONErrorIsStillUseful(t *testing.T) {
	ts := newTokenServer(t, 3600)
	page := "<html>\n<h1>502 Bad Gateway</h1>\n" + strings.Repeat("x", 4000) + "</html>"
	ts.queue(reply{status: 502, header: map[string]string{"Content-Type": "text/html"}, body: page})
	cfg := ts.config(StyleJSON)
	cfg.MaxAttempts = 1

	_, err := cfg.TokenSource(testContext(t)).Token()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if e.Code != "" || e.StatusCode != 502 || len(e.Body) != maxErrorBody || !strings.HasPrefix(string(e.Body), "<html>") {
		t.Errorf("Error = code %q status %d body %d bytes %.20q", e.Code, e.StatusCode, len(e.Body), e.Body)
	}
	msg := err.Error()
	if !strings.Contains(msg, "502 Bad Gateway: <html> <h1>502") || len(msg) > 300 {
		t.Errorf("Error() = %q, want status and the start of the page on one line", msg)
	}
}

func TestMalformedSuccessIsAnError(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"not JSON", "access_token=tok", "not a JSON token"},
		{"no access_token", `{"token_type":"Bearer"}`, "no access_token"},
		{"bad expires_in", `{"access_token":"t","expires_in":"soon"}`, "expires_in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTokenServer(t, 3600)
			ts.queue(reply{status: 200, body: tt.body})
			_, err := ts.config(StyleJSON).TokenSource(testContext(t)).Token()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one mentioning %q", err, tt.want)
			}
			if ts.count() != 1 {
				t.Errorf("token requests = %d, want 1", ts.count())
			}
		})
	}
}

func TestRetriesStopAtContextDeadline(t *testing.T) {
	// A wait that would end past the deadline is not begun: Token returns
	// while the context is still live, whatever the machine's load (the
	// deadline is far from the request's own time, the wait far past it).
	ts := newTokenServer(t, 3600)
	ts.queue(reply{status: 503, header: map[string]string{"Retry-After": "25"}}) // retried, were it not for the deadline
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	_, err := ts.config(StyleJSON).TokenSource(ctx).Token()
	if ctx.Err() != nil {
		t.Fatalf("Token returned only once the deadline had passed; a wait past it should not be begun")
	}
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != 503 || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want the 503 *Error and context.DeadlineExceeded", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2019, 11, 13, 6, 26, 1, 0, time.UTC)
	tests := []struct {
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"1", time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"0", 0, true},
		{now.Add(3 * time.Second).Format(http.TimeFormat), 3 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"", 0, false},
		{"-1", 0, false},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseRetryAfter(tt.in, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestBackoffGrowsWithinBounds(t *testing.T) {
	for attempt := 1; attempt <= 40; attempt++ {
		d := min(firstBackoff<<min(attempt-1, 16), maxBackoff)
		if got := backoff(attempt); got < d/2 || got > d {
			t.Errorf("backoff(%d) = %v, want within [%v, %v]", attempt, got, d/2, d)
		}
	}
}
