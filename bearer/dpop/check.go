package dpop

import (
	"context"
	"net/http"
	"time"
)

const (
	// DefaultMaxAge is how old a proof's iat may be. RFC 9449 §11.1 leaves
	// the window to the server; a minute covers a slow network and keeps
	// the replay cache small.
	DefaultMaxAge = time.Minute
	// DefaultLeeway absorbs the client's clock running ahead (or behind,
	// on top of MaxAge).
	DefaultLeeway = 10 * time.Second
)

// Checker checks proofs against the request they came with. Its zero
// value checks everything but replay and nonces, with the default window.
// It is safe for concurrent use once its fields are set.
type Checker struct {
	// MaxAge and Leeway bound iat; zero means the defaults.
	MaxAge, Leeway time.Duration
	// Replay, when set, refuses a jti seen before (ErrReplay).
	Replay ReplayCache
	// Nonces, when set, makes a nonce it issued required (ErrUseNonce).
	Nonces *Nonces
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Request is what a proof must match.
type Request struct {
	// Method and URL of the HTTP request; URL absolute, as the client
	// addressed it (its query and fragment are ignored).
	Method, URL string
	// AccessToken is the token presented with the proof; empty at the
	// token endpoint, where ath must then be absent.
	AccessToken string
	// JKT, when set, is the thumbprint the token is bound to (cnf.jkt).
	JKT string
	// Holder, when set, names who the token was issued to (its issuer and
	// client), for a HolderCache that shares its memory among holders;
	// empty, the proof's key is its holder.
	Holder string
}

// Check parses the one proof of header h (the request's DPoP header
// values) and checks it against req. It returns the proof, or one of this
// package's errors.
func (c *Checker) Check(ctx context.Context, h http.Header, req Request) (*Proof, error) {
	values := h.Values("DPoP")
	switch {
	case len(values) == 0:
		return nil, ErrMissing
	case len(values) > 1:
		return nil, ErrMultiple
	}
	p, err := Parse(values[0])
	if err != nil {
		return nil, err
	}
	if err := c.match(p, req); err != nil {
		return p, err
	}
	if c.Nonces != nil && !c.Nonces.Valid(p.Nonce) {
		return p, ErrUseNonce
	}
	if c.Replay != nil {
		until := p.IssuedAt.Add(c.maxAge() + 2*c.leeway())
		var err error
		if hc, ok := c.Replay.(HolderCache); ok && req.Holder != "" {
			err = hc.UseFor(ctx, req.Holder, p.JKT, p.ID, until)
		} else {
			err = c.Replay.Use(ctx, p.JKT, p.ID, until)
		}
		if err != nil {
			return p, err
		}
	}
	return p, nil
}

// match compares the proof's claims with the request: htm, htu, iat, ath
// and the bound key.
func (c *Checker) match(p *Proof, req Request) error {
	now := c.now()
	switch {
	case p.Method != req.Method:
		return ErrMethod
	case !sameURL(p.URL, req.URL):
		return ErrURL
	case p.IssuedAt.Before(now.Add(-c.maxAge() - c.leeway())):
		return ErrStale
	case p.IssuedAt.After(now.Add(c.leeway())):
		return ErrFuture
	case req.AccessToken == "" && p.TokenHash != "":
		return ErrTokenHash
	case req.AccessToken != "" && !equal(p.TokenHash, TokenHash(req.AccessToken)):
		return ErrTokenHash
	case req.JKT != "" && !equal(p.JKT, req.JKT):
		return ErrKeyMismatch
	}
	return nil
}

// sameURL compares htu with the request's URL once both are normalized;
// an htu that does not parse never matches.
func sameURL(htu, request string) bool {
	a, err := NormalizeURL(htu)
	if err != nil {
		return false
	}
	b, err := NormalizeURL(request)
	return err == nil && a == b
}

func (c *Checker) maxAge() time.Duration {
	if c.MaxAge <= 0 {
		return DefaultMaxAge
	}
	return c.MaxAge
}

func (c *Checker) leeway() time.Duration {
	if c.Leeway <= 0 {
		return DefaultLeeway
	}
	return c.Leeway
}

func (c *Checker) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}
