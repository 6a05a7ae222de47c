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
	"audit:read",
}

// The JWS algorithms mint signs access tokens with (RFC 7518 §3, RFC 8037).
const (
	AlgRS256 = "RS256" // the default, as in the seed APIs
	AlgPS256 = "PS256"
	AlgES256 = "ES256"
	AlgEdDSA = "EdDSA" // Ed25519
)

// SigningAlgorithms lists the algorithms an API may choose, default first.
var SigningAlgorithms = []string{AlgRS256, AlgPS256, AlgES256, AlgEdDSA}

// API is a resource server: something that accepts mint's tokens. It is
// named on the wire by its Audience.
type API struct {
	ID            string
	Name          string
	Audience      string
	Scopes        []string
	TokenLifetime time.Duration
	// SigningAlg is the algorithm of the API's tokens; empty means AlgRS256.
	SigningAlg string
	// AuditIssuance says which token issuances for the API the audit log
	// records: AuditAll (also when empty), "sample:N" (one in N) or
	// AuditOff. Failures and admin changes are always recorded.
	AuditIssuance string
	// TokenBinding is BindingAny (also when empty), BindingDPoP or BindingMTLS: whether
	// the API's tokens must be sender-constrained (binding.go).
	TokenBinding string
	// TokenReuse: a repeated request of one client for the API with the
	// same scopes gets the still-valid token it was issued before, while
	// more than half of its lifetime remains, instead of a new signature
	// (see docs/limits.md). Off by default.
	TokenReuse bool
	// Policy is the API's issuance policy, a CEL expression (package
	// policy, docs/policies.md); empty: none.
	Policy    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Alg returns the API's signing algorithm, AlgRS256 when unset.
func (a API) Alg() string {
	if a.SigningAlg == "" {
		return AlgRS256
	}
	return a.SigningAlg
}

// Client is a machine that asks for tokens with the client_credentials grant.
type Client struct {
	ID   string
	Name string
	// JWKS is the client's public JWK Set (RFC 7517 §5) as JSON, for
	// private_key_jwt authentication (RFC 7523 §2.2); empty when the client
	// authenticates with secrets only.
	JWKS []byte
	// IntrospectAll lets the client introspect (RFC 7662) tokens issued to
	// other clients; every client may introspect and revoke its own.
	IntrospectAll bool
	// TokensRevokedBefore: tokens issued to the client before this time are
	// revoked (introspection and the admin API refuse them). Zero: none. A
	// client created with the ID of a deleted one never has it before its
	// CreatedAt (see Store.CreateClient).
	TokensRevokedBefore time.Time
	// TokenBinding is BindingAny (also when empty), BindingDPoP or BindingMTLS: whether
	// the client's tokens must be sender-constrained (binding.go).
	TokenBinding string
	// TLSAuth lets the client authenticate with a TLS client certificate
	// instead of a secret (RFC 8705 §2, tlsauth.go); zero: it may not.
	TLSAuth TLSAuth
	// TokensPerHour and TokensPerDay cap the tokens issued to the client in
	// each clock hour and UTC day (docs/limits.md). nil: the server's
	// default; 0: no cap for this client.
	TokensPerHour *int64
	TokensPerDay  *int64
	// Metadata are string key/values the issuance policies read
	// (policy.CheckMetadata bounds them); nil: none.
	Metadata map[string]string
	// Policy is the client's own issuance policy, run after its API's
	// (docs/policies.md); empty: none.
	Policy    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ReusingID returns c as it is stored when its ID belonged to a client
// deleted before: every token issued under that ID before c was created
// belongs to the deleted client and stays revoked for its whole life.
func (c Client) ReusingID() Client {
	if c.TokensRevokedBefore.Before(c.CreatedAt) {
		c.TokensRevokedBefore = c.CreatedAt
	}
	return c
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
	// KeyNext is published but does not sign until ActivateAt, so that
	// verifiers caching the JWKS learn it before they meet tokens it signed.
	KeyNext KeyState = "next"
	// KeyActive signs new tokens and is published.
	KeyActive KeyState = "active"
	// KeyRetired no longer signs but stays published until RemoveAt, when
	// every token it signed has expired.
	KeyRetired KeyState = "retired"
)

// SigningKey is a private key that signs access tokens.
type SigningKey struct {
	ID        string // the JWS "kid"
	Algorithm string // the JWS "alg", one of SigningAlgorithms
	// PrivateKey is the key as the key ring stores it: PKCS #8 sealed with
	// the master key. Stores keep it as opaque bytes.
	PrivateKey []byte
	State      KeyState
	CreatedAt  time.Time
	ActivateAt time.Time // KeyNext: when it starts signing
	RetiredAt  time.Time // KeyRetired: when it stopped signing
	RemoveAt   time.Time // KeyRetired: when it leaves the JWKS
}

// RevokedToken is an access token revoked before its expiry (RFC 7009),
// remembered until then.
type RevokedToken struct {
	ID        string // the token's "jti"
	ClientID  string
	ExpiresAt time.Time
}

// Errors every Store returns, wrapped with context. Test with errors.Is.
var (
	// ErrNotFound: the thing asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the change would break a uniqueness rule (a second API
	// with the same audience, a second grant for one client and API, …).
	ErrConflict = errors.New("conflict")
)

// Values of API.AuditIssuance besides "sample:N".
const (
	AuditAll = "all"
	AuditOff = "off"
)

// Kinds of audit records besides the admin changes, whose kind is
// "admin.<resource>.<action>" (admin.clients.create, admin.keys.rotate, …).
const (
	AuditTokenIssued = "token.issued"
	AuditAuthFailure = "auth.failure"
	// AuditTokenDenied: an issuance policy refused a token.
	AuditTokenDenied = "token.denied"
)

// AuditRecord is one entry of the audit log: an admin change, a failed
// client authentication or a token issued. Records form a hash chain: each
// one's Hash covers its fields and the Hash of the record before it (see
// package audit), so a changed or missing record breaks the chain.
type AuditRecord struct {
	// Seq numbers the records of a deployment 1, 2, 3, … without gaps; the
	// store assigns it.
	Seq int64
	// Time is when it happened, in UTC to the microsecond.
	Time time.Time
	Kind string
	// Actor is who acted: the admin client for an admin change, the
	// client (as it named itself, for a failure) otherwise.
	Actor string
	// ClientID is the client the record is about, if any: the client
	// changed, or whose grant or secret was; the client of a token.
	ClientID string
	// Subject is the ID of the resource acted on (API, client, grant,
	// key), or the "jti" of a token issued.
	Subject string
	// Source is the network address the request came from.
	Source string
	// Details is a JSON object: before and after for an admin change,
	// audience, scopes and jti for a token, method and reason for a
	// failure. Never a secret, digest or key material.
	Details []byte
	// PrevHash and Hash chain the records; the store sets both.
	PrevHash []byte
	Hash     []byte
}

// AuditFilter selects audit records; zero fields select all.
type AuditFilter struct {
	// ClientID selects records whose Actor or ClientID is this client.
	ClientID string
	// Kind selects one kind, or every kind under a prefix ending in "."
	// ("admin.").
	Kind string
	// Since and Until bound Time: Since ≤ Time < Until.
	Since, Until time.Time
	// AfterSeq selects records with a greater Seq, for paging and
	// following.
	AfterSeq int64
	// BeforeSeq, when not 0, selects records with a smaller Seq: the next
	// page of a newest-first listing.
	BeforeSeq int64
	// NewestFirst lists by Seq descending, so that Limit keeps the newest
	// records.
	NewestFirst bool
	// Limit is the most records returned; 0 means 1000.
	Limit int
}

// AuditAnchor is where the kept chain starts: the last record pruned (zero
// when nothing was), whose Hash the first kept record's PrevHash must be.
type AuditAnchor struct {
	Seq  int64
	Hash []byte
	// Pruned is when pruning last moved the anchor.
	Pruned time.Time
	// HeadSeq is the Seq of the last record appended, kept apart from the
	// records so that deleting the newest ones shows too.
	HeadSeq int64
}
