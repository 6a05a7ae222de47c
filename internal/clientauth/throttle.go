package clientauth

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/loglimit"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// Throttle counts authentication failures by client_id and source address
// (the address audit.SourceFrom gives: the client's, as resolved behind
// trusted proxies). *throttle.Throttle implements it.
type Throttle interface {
	// Check returns how long the pair must wait before trying; 0: now.
	Check(clientID, source string) time.Duration
	Failed(clientID, source string)
	Succeeded(clientID, source string)
	// FailureFloor is the least time a failure takes to answer, counted
	// from the start of Authenticate; 0 or less: none.
	FailureFloor() time.Duration
}

// errThrottled is the answer to a throttled pair: 429 with Retry-After.
// It is given before the credentials are looked at, so it is the same for
// a client that exists and one that does not. slow_down is the token
// endpoint's "too fast" code (RFC 8628 §3.5, in the OAuth extensions
// error registry).
var errThrottled = &oauth.Error{Code: "slow_down", Status: 429}

// throttled authenticates c unless its client_id and source failed too
// often, and counts the outcome: invalid_client is a failure, a client a
// success; a store failure counts as neither.
//
// A failure is answered no sooner than the FailureFloor after the start: a
// second line behind the equal work of every refusal (timing.go), for
// what equal work cannot hide (a slow database read, a large client key).
func (a *Authenticator) throttled(ctx context.Context, c Credentials) (mint.Client, error) {
	start := time.Now()
	source := audit.SourceFrom(ctx)
	if wait := a.Throttle.Check(c.ClientID, source); wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		if a.logAllowed(ctx) {
			a.log().InfoContext(ctx, "client authentication throttled",
				"client_id", loglimit.Clip(c.ClientID), "method", string(c.Method), "source", source, "retry_after", secs)
		}
		return mint.Client{}, errThrottled.WithHeader("Retry-After", fmt.Sprint(secs)).Describe(
			"too many failed client authentications from this address; retry after %d seconds", secs)
	}
	client, err := a.authenticate(ctx, c)
	var e *oauth.Error
	switch {
	case err == nil:
		a.Throttle.Succeeded(c.ClientID, source)
	case errors.As(err, &e) && (e.Code == oauth.ErrInvalidClient.Code || c.Method == BearerGrant && e.Code == oauth.ErrInvalidGrant.Code):
		a.Throttle.Failed(c.ClientID, source)
		waitUntil(ctx, start.Add(a.Throttle.FailureFloor()))
	}
	return client, err
}

// waitUntil sleeps until t, or until ctx ends.
func waitUntil(ctx context.Context, t time.Time) {
	d := time.Until(t)
	if d <= 0 {
		return
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
}
