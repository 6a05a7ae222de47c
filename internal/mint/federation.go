package mint

import (
	"context"
	"time"
)

// MaxFederatedCredentials bounds the trust rules one client holds, so that
// listing them needs no pages and checking a token against them is cheap.
const MaxFederatedCredentials = 20

// FederatedCredential is a trust rule of a client (issue 18, RFC 7523):
// a JWT signed by Issuer's keys, whose sub is Subject, whose aud contains
// Audience and whose claims satisfy Claims, authenticates the client.
type FederatedCredential struct {
	ID       string
	ClientID string
	// Issuer is the external token's exact "iss".
	Issuer string
	// Subject is the external token's exact "sub".
	Subject string
	// Audience is a value the token's "aud" must contain.
	Audience string
	// Claims maps claim names to the value each must have: exact, or a
	// pattern of package federation. Nil: no condition beyond Subject.
	Claims map[string]string
	// MaxAge bounds how long after its "iat" a token is accepted; tokens
	// without "iat" are refused when it is set.
	MaxAge time.Duration
	// JWKSURI, when set, is where Issuer's keys are fetched; empty: from
	// Issuer's OpenID discovery document.
	JWKSURI string
	// Bundle, on a SPIFFE rule, is its trust domain's bundle, a JWK Set
	// (SPIFFE Trust Domain and Bundle §4) used instead of fetching one
	// from JWKSURI. Empty for every other rule.
	Bundle    string
	CreatedAt time.Time
}

// FederatedStore keeps the trust rules of clients. The sqlite, postgres
// and storecache stores implement it beside Store; the conformance suite
// (storetest) checks it.
//
// Writes honour WithAudit as Store's admin writes do.
type FederatedStore interface {
	// CreateFederatedCredential stores a new rule. ErrNotFound: no such
	// client. ErrConflict: the ID is taken, or the client holds
	// MaxFederatedCredentials rules already.
	CreateFederatedCredential(ctx context.Context, fc FederatedCredential) error
	// GetFederatedCredential returns one rule of a client. ErrNotFound.
	GetFederatedCredential(ctx context.Context, clientID, id string) (FederatedCredential, error)
	// ListFederatedCredentials returns a client's rules, oldest first.
	// ErrNotFound: no such client.
	ListFederatedCredentials(ctx context.Context, clientID string) ([]FederatedCredential, error)
	// DeleteFederatedCredential removes one rule of a client. ErrNotFound.
	DeleteFederatedCredential(ctx context.Context, clientID, id string) error
	// FindFederatedCredentials returns the rules of every client for the
	// exact issuer and subject, oldest first, at most
	// MaxFederatedMatches; it is on the token path, so it reads an index.
	FindFederatedCredentials(ctx context.Context, issuer, subject string) ([]FederatedCredential, error)
}

// MaxFederatedMatches bounds what FindFederatedCredentials returns: more
// rules than that for one issuer and subject are an admin's mistake.
const MaxFederatedMatches = 50
