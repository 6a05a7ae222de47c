package bearer

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"
)

// Claims are the verified claims of an access token (RFC 9068 §2.2).
type Claims struct {
	Issuer    string
	Subject   string
	Audience  []string
	ClientID  string
	Scopes    []string
	ID        string // "jti"
	IssuedAt  time.Time
	ExpiresAt time.Time
	// JKT is cnf.jkt (RFC 9449 §6.1): the thumbprint of the key the token
	// is bound to. Empty for a bearer token.
	JKT string
	// X5T is cnf.x5t#S256 (RFC 8705 §3.1): the thumbprint of the TLS
	// client certificate the token is bound to. Empty when not bound so.
	X5T string

	cnf bool // the token has a "cnf" claim: bound to something
}

type extraClaims struct {
	ClientID string        `json:"client_id"`
	AZP      string        `json:"azp"`
	Scope    string        `json:"scope"`
	Cnf      *confirmation `json:"cnf"`
}

// confirmation is the "cnf" claim (RFC 7800 §3.1).
type confirmation struct {
	JKT string `json:"jkt"`
	X5T string `json:"x5t#S256"`
}

func newClaims(std jwt.Claims, extra extraClaims) *Claims {
	c := &Claims{
		Issuer:   std.Issuer,
		Subject:  std.Subject,
		Audience: std.Audience,
		ClientID: extra.ClientID,
		Scopes:   strings.Fields(extra.Scope),
		ID:       std.ID,
	}
	if c.ClientID == "" {
		c.ClientID = extra.AZP
	}
	if extra.Cnf != nil {
		c.JKT, c.X5T, c.cnf = extra.Cnf.JKT, extra.Cnf.X5T, true
	}
	if std.IssuedAt != nil {
		c.IssuedAt = std.IssuedAt.Time()
	}
	c.ExpiresAt = std.Expiry.Time()
	return c
}

// Bound reports whether the token is sender-constrained: it carries a
// "cnf" claim (RFC 7800), whatever it confirms. A bound token must never
// be taken as a bearer token.
func (c *Claims) Bound() bool { return c.cnf }

// HasScopes reports whether the token carries every scope given.
func (c *Claims) HasScopes(scopes ...string) bool {
	for _, s := range scopes {
		if !slices.Contains(c.Scopes, s) {
			return false
		}
	}
	return true
}

type claimsKey struct{}

// WithClaims returns a context that carries c.
func WithClaims(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// FromContext returns the claims the middleware verified for this request.
func FromContext(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok && c != nil
}

// ClientID returns the client id of the verified token of this request, or
// "" when the request was not verified.
func ClientID(ctx context.Context) string {
	if c, ok := FromContext(ctx); ok {
		return c.ClientID
	}
	return ""
}

// Scopes returns the scopes of the verified token of this request.
func Scopes(ctx context.Context) []string {
	if c, ok := FromContext(ctx); ok {
		return slices.Clone(c.Scopes)
	}
	return nil
}

// Audience returns the audiences of the verified token of this request.
func Audience(ctx context.Context) []string {
	if c, ok := FromContext(ctx); ok {
		return slices.Clone(c.Audience)
	}
	return nil
}
