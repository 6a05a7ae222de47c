package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/sync/singleflight"
)

const (
	// minRefreshMargin and refreshFraction set how long before expiry a
	// token is replaced: the larger of the two, capped at half the
	// lifetime so that short-lived tokens are still used.
	minRefreshMargin = 30 * time.Second
	refreshFraction  = 10
	// retryHold is how long a still-valid token is used after a failed
	// early refresh before the refresh is tried again, so that an outage
	// of the token endpoint does not turn every API call into a token
	// request.
	retryHold = 5 * time.Second
)

// tokenCache holds one token and the time it should be replaced.
type tokenCache struct {
	cfg    Config
	flight singleflight.Group

	mu        sync.Mutex
	tok       *oauth2.Token // nil when there is none
	refreshAt time.Time     // zero when tok never expires
}

func newTokenCache(c *Config) *tokenCache {
	cfg := *c
	// Later changes to the caller's slice must not race with requests.
	cfg.Scopes = append([]string(nil), c.Scopes...)
	if cfg.Certificate != nil {
		cfg.withCertificate()
	}
	return &tokenCache{cfg: cfg}
}

// token returns the cached token if it is fresh, else a new one. If the
// refresh fails while the cached token has not yet expired, the cached
// token is returned and the refresh tried again after retryHold.
func (c *tokenCache) token(ctx context.Context) (*oauth2.Token, error) {
	now := c.cfg.now()
	tok, fresh := c.cached(now)
	if fresh {
		return tok, nil
	}
	next, err := c.refresh(ctx)
	if err == nil {
		return next, nil
	}
	if tok != nil && (tok.Expiry.IsZero() || now.Before(tok.Expiry)) && ctx.Err() == nil {
		c.hold(tok, now)
		return tok, nil
	}
	return nil, err
}

// cached returns the cached token and whether it is fresh at now.
func (c *tokenCache) cached(now time.Time) (*oauth2.Token, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok == nil {
		return nil, false
	}
	return c.tok, c.refreshAt.IsZero() || now.Before(c.refreshAt)
}

// hold postpones the next refresh of tok by retryHold, but not past its
// expiry.
func (c *tokenCache) hold(tok *oauth2.Token, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok == tok {
		c.refreshAt = now.Add(retryHold)
		if !tok.Expiry.IsZero() && tok.Expiry.Before(c.refreshAt) {
			c.refreshAt = tok.Expiry
		}
	}
}

// invalidate drops tok if it is still the cached token. A caller holding
// an older token must not throw away the new one another caller fetched.
func (c *tokenCache) invalidate(tok *oauth2.Token) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok != nil && c.tok.AccessToken == tok.AccessToken {
		c.tok, c.refreshAt = nil, time.Time{}
	}
}

// refresh fetches a token, sharing one request among concurrent callers.
// The request runs under the first caller's context; if that caller goes
// away, the others, whose contexts still live, try again rather than
// inherit its cancellation.
func (c *tokenCache) refresh(ctx context.Context) (*oauth2.Token, error) {
	for range 3 {
		ch := c.flight.DoChan("token", func() (any, error) { return c.fetch(ctx) })
		var r singleflight.Result
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case r = <-ch:
		}
		if r.Err == nil {
			return r.Val.(*oauth2.Token), nil
		}
		if !r.Shared || ctx.Err() != nil || !isContextErr(r.Err) {
			return nil, r.Err
		}
	}
	return nil, errors.New("client: token request abandoned by other callers")
}

// fetch gets a new token and caches it. It first looks again, because a
// request that finished just before this one was started has already done
// the work.
func (c *tokenCache) fetch(ctx context.Context) (*oauth2.Token, error) {
	if tok, fresh := c.cached(c.cfg.now()); fresh {
		return tok, nil
	}
	tok, err := c.cfg.retrieve(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tok, c.refreshAt = tok, refreshTime(c.cfg.now(), tok.Expiry)
	return tok, nil
}

// refreshTime is when a token received at now that expires at expiry
// should be replaced: margin = max(lifetime/10, 30s) capped at
// lifetime/2, plus a random extra of up to margin/2, before expiry.
func refreshTime(now, expiry time.Time) time.Time {
	if expiry.IsZero() {
		return time.Time{}
	}
	life := expiry.Sub(now)
	if life <= 0 {
		return now
	}
	margin := min(max(life/refreshFraction, minRefreshMargin), life/2)
	return expiry.Add(-margin - rand.N(margin/2+1))
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
