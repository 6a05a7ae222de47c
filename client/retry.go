package client

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

const (
	// firstBackoff is the wait before the first retry; each later wait
	// doubles, up to maxBackoff.
	firstBackoff = 100 * time.Millisecond
	maxBackoff   = 5 * time.Second
	// maxRetryAfter is the longest Retry-After the client will sit out.
	// A server that asks for more is down for longer than a caller
	// should block; the error goes back to the caller instead.
	maxRetryAfter = 30 * time.Second
)

// retrieve makes a token request, retrying what is worth retrying.
func (c *Config) retrieve(ctx context.Context) (*oauth2.Token, error) {
	for attempt := 1; ; attempt++ {
		tok, err := c.fetchOnce(ctx)
		if err == nil {
			return tok, nil
		}
		wait, ok := retryWait(err, attempt)
		if !ok || attempt >= c.maxAttempts() {
			return nil, err
		}
		if serr := sleep(ctx, wait); serr != nil {
			return nil, fmt.Errorf("%w (giving up: %w)", err, serr)
		}
	}
}

// retryWait says whether a failed token request is worth another try, and
// how long to wait before it. Rate limits, server errors and network
// failures pass; 4xx answers will not change by asking again.
func retryWait(err error, attempt int) (time.Duration, bool) {
	var e *Error
	if errors.As(err, &e) {
		if e.StatusCode != http.StatusTooManyRequests && e.StatusCode < 500 {
			return 0, false
		}
		if d, ok := parseRetryAfter(e.Header.Get("Retry-After"), time.Now()); ok {
			// A little jitter so that clients told the same instant
			// do not all arrive at it.
			return d + rand.N(d/10+time.Millisecond), d <= maxRetryAfter
		}
		return backoff(attempt), true
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrRedirect) {
		return 0, false
	}
	var ue *url.Error
	return backoff(attempt), errors.As(err, &ue)
}

// backoff is the wait after the given failed attempt: exponential, with
// its upper half randomised so that a fleet's retries spread out.
func backoff(attempt int) time.Duration {
	d := maxBackoff
	if attempt < 16 {
		d = min(firstBackoff<<(attempt-1), maxBackoff)
	}
	return d/2 + rand.N(d/2+1)
}

// parseRetryAfter reads a Retry-After value, delay-seconds or HTTP-date
// (RFC 9110 §10.2.3), as a wait from now.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(min(n, 1<<30)) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// sleep waits for d, or less if ctx ends first. It does not wait at all
// when ctx's deadline would pass before d does.
func sleep(ctx context.Context, d time.Duration) error {
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return context.DeadlineExceeded
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
