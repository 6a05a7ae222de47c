// Package mint holds the domain of the mint token server: the APIs that
// accept tokens, the clients that ask for them, the grants that join the two,
// the client secrets and signing keys, and the Store interface every storage
// backend implements.
//
// The HTTP, SQL and crypto parts live in packages named for what they do
// (token, admin, sqlite, keyring, …); this package only names things.
package mint

import (
	"errors"
	"time"
)

// DefaultTokenLifetime is the lifetime of access tokens for an API that does
// not set its own: one day, as in the seed pages and Auth0.
const DefaultTokenLifetime = 86400 * time.Second

// AdminAudience is the audience of mint's own admin API.
const AdminAudience = "urn:mint:admin"

// AdminScopes are the scopes of the admin API, one read and one write per
// resource kind.
var AdminScopes = []string{
	"apis:read", "apis:write",
	"clients:read", "clients:write",
	"grants:read", "grants:write",
	"keys:read", "keys:write",
}

// API is a resource server: something that accepts mint's tokens. It is
// named on the wire by its Audience.
type API struct {
	ID            string
	Name          string
	Audience      string
	Scopes        []string
	TokenLifetime time.Duration
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Client is a machine that asks for tokens with the client_credentials grant.
type Client struct {
	ID        string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Secret is one credential of a client. Only a digest of the secret is kept;
// see package secret for the scheme.
type Secret struct {
	ID         string
	ClientID   string
	Digest     []byte
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: does not expire
	LastUsedAt time.Time // zero: never used
}

// Live reports whether the secret may still authenticate at t.
func (s Secret) Live(t time.Time) bool {
	return s.ExpiresAt.IsZero() || t.Before(s.ExpiresAt)
}

// Grant lets a client get tokens for one API, with at most Scopes.
type Grant struct {
	ID        string
	ClientID  string
	Audience  string
	Scopes    []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// KeyState is where a signing key stands in its life.
type KeyState string

const (
	// KeyActive signs new tokens and is published.
	KeyActive KeyState = "active"
	// KeyRetired no longer signs but stays published until the tokens it
	// signed have expired.
	KeyRetired KeyState = "retired"
)

// SigningKey is a private key that signs access tokens.
type SigningKey struct {
	ID         string // the JWS "kid"
	Algorithm  string // the JWS "alg", e.g. RS256
	PrivateKey []byte // PKCS #8, DER
	State      KeyState
	CreatedAt  time.Time
}

// Errors every Store returns, wrapped with context. Test with errors.Is.
var (
	// ErrNotFound: the thing asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the change would break a uniqueness rule (a second API
	// with the same audience, a second grant for one client and API, …).
	ErrConflict = errors.New("conflict")
)
