package tokenstate

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/internal/clientauth"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// The paths the server mounts the endpoints at.
const (
	IntrospectionPath = "/oauth/introspect"
	RevocationPath    = "/oauth/revoke"
)

// Config is what both endpoints need. Store, Keys, Issuer and Auth are
// required.
type Config struct {
	Store mint.Store
	// Keys finds mint's signing keys: the server's key ring.
	Keys bearer.KeySource
	// Issuer is mint's "iss"; a token from any other issuer is inactive.
	Issuer string
	// Auth authenticates the calling client.
	Auth *clientauth.Authenticator
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives revocations at Info and failures; nil discards them.
	Log *slog.Logger
}

// verify checks that raw is a token mint signed and that has not expired,
// for any audience. ok is false for anything else; err is for key
// storage that cannot answer.
func (c *Config) verify(ctx context.Context, raw string) (claims *bearer.Claims, ok bool, err error) {
	v := &bearer.Verifier{Issuer: c.Issuer, AnyAudience: true, Keys: c.Keys, Now: c.Now}
	claims, err = v.Verify(ctx, raw)
	switch {
	case errors.Is(err, bearer.ErrKeysNotReady):
		return nil, false, oauth.ErrUnavailable.WithCause(err)
	case err != nil:
		return nil, false, nil
	case claims.ID == "" || claims.ClientID == "":
		return nil, false, nil // not a token mint issued
	case !c.now().Before(claims.ExpiresAt):
		return nil, false, nil // exp passed: no leeway here
	}
	return claims, true, nil
}

func (c *Config) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

var discard = slog.New(slog.DiscardHandler)

func (c *Config) log() *slog.Logger {
	if c.Log == nil {
		return discard
	}
	return c.Log
}
