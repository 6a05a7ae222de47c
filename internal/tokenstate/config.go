package tokenstate

import (
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"net/http"
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
	// ClientChain, when set, returns the TLS client certificate chain of
	// a request (leaf first, nil for none): the connection's, or one a
	// trusted proxy passed on. A caller that presents one, names its
	// client_id and sends no other credentials authenticates with it
	// (RFC 8705 §2). Nil: only the request's own TLS connection is looked
	// at.
	ClientChain func(*http.Request) []*x509.Certificate
}

// chain is the request's client certificate chain (see ClientChain).
func (c *Config) chain(r *http.Request) []*x509.Certificate {
	if c.ClientChain != nil {
		return c.ClientChain(r)
	}
	if r.TLS != nil {
		return r.TLS.PeerCertificates
	}
	return nil
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
