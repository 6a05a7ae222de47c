package clientauth

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"log/slog"
	"strings"
	"time"
	"unsafe"

	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/federation"
	"github.com/mintauth/mint/internal/loglimit"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
	"github.com/mintauth/mint/oauth"
)

// Authenticator checks the credentials of a client. Store and Issuer are
// required; it is safe for concurrent use once its fields are set.
type Authenticator struct {
	Store mint.Store
	// Issuer is mint's issuer; a client assertion's aud may name it.
	Issuer string
	// TokenEndpoint is the absolute URL of the token endpoint discovery
	// advertises; a client assertion's aud may name it. Empty: the issuer
	// followed by /oauth/token.
	TokenEndpoint string
	// Uses, when set, records each successful secret use (LastUsedAt).
	Uses *Recorder
	// Audit, when set, is told of every failure, for the audit log.
	Audit audit.Failures
	// Throttle, when set, refuses a client_id and source address that
	// failed too often, before their credentials are checked
	// (internal/clientauth/throttle.go).
	Throttle Throttle
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives failures at Info with the client_id and, for
	// assertions, the reason, both clipped; nil discards them.
	Log *slog.Logger
	// Federation, when set, checks external tokens against clients'
	// trust rules (issue 18): client assertions whose iss and sub differ,
	// and the JWT bearer grant. Nil: neither is accepted.
	Federation *federation.Verifier
	// ClientCAs are the CAs whose certificates tls_client_auth accepts
	// (RFC 8705 §2.1); nil: that method refuses every client (the
	// self-signed one needs none).
	ClientCAs *x509.CertPool
	// LogLimit, when set, bounds the failure lines each source can make
	// Log write (issue 13); nil: one line per failure.
	LogLimit *loglimit.Limiter
}

// errAuthFailed is the one answer for an unknown client, a wrong or
// expired secret and any refused assertion, so that callers cannot tell
// them apart.
var errAuthFailed = oauth.ErrInvalidClient.Describe("client authentication failed")

// Authenticate checks c and returns the client it proves. Every error is
// an *oauth.Error: invalid_client (401) for credentials that do not
// authenticate, with the Basic challenge when Basic was used; slow_down
// (429) when the Throttle refuses; server_error carrying the cause when
// the store fails.
func (a *Authenticator) Authenticate(ctx context.Context, c Credentials) (mint.Client, error) {
	if a.Throttle != nil {
		return a.throttled(ctx, c)
	}
	return a.authenticate(ctx, c)
}

func (a *Authenticator) authenticate(ctx context.Context, c Credentials) (mint.Client, error) {
	switch c.Method {
	case SecretBasic, SecretPost:
		return a.secret(ctx, c)
	case PrivateKeyJWT:
		if a.Federation != nil && federatedShape(c.Assertion) {
			c.Method = FederatedJWT
			return a.federated(ctx, c, oauth.ErrInvalidClient)
		}
		return a.assertion(ctx, c)
	case TLSClientAuth:
		return a.tlsAuth(ctx, c)
	case SPIFFEJWT:
		if a.Federation == nil {
			return mint.Client{}, oauth.ErrInvalidClient.Describe("this server has no SPIFFE trust rules")
		}
		return a.federated(ctx, c, oauth.ErrInvalidClient)
	case BearerGrant:
		if a.Federation == nil {
			return mint.Client{}, oauth.ErrInvalidGrant.Describe("this server has no trust rules for the jwt-bearer grant")
		}
		return a.federated(ctx, c, oauth.ErrInvalidGrant)
	}
	return mint.Client{}, errNoCredentials
}

func (a *Authenticator) secret(ctx context.Context, c Credentials) (mint.Client, error) {
	secrets, fromMemory, err := a.lookupSecrets(ctx, c.ClientID)
	if err != nil && !errors.Is(err, mint.ErrNotFound) {
		return mint.Client{}, oauth.ErrServer.WithCause(err)
	}
	now := a.now()
	d := digestOf(c.Secret)
	digest := d[:]
	id, ok := matchDigest(digest, secrets, now)
	if !ok {
		// One database read for every refusal (timing.go).
		if id, err = a.confirmSecrets(ctx, c.ClientID, digest, fromMemory); err != nil {
			return mint.Client{}, oauth.ErrServer.WithCause(err)
		}
		if id == "" {
			return mint.Client{}, a.refuse(ctx, c, "no live secret matches")
		}
	}
	client, err := a.Store.GetClient(ctx, c.ClientID)
	if errors.Is(err, mint.ErrNotFound) { // deleted since ListSecrets
		return mint.Client{}, a.refuse(ctx, c, "unknown client")
	}
	if err != nil {
		return mint.Client{}, oauth.ErrServer.WithCause(err)
	}
	a.Uses.RecordUse(id, lastUse(secrets, id), now)
	return client, nil
}

// refuse logs why c failed and returns the one failure answer, with the
// Basic challenge when Basic was used (RFC 6749 §5.2).
func (a *Authenticator) refuse(ctx context.Context, c Credentials, reason string) error {
	if a.logAllowed(ctx) {
		a.log().InfoContext(ctx, "client authentication failed",
			"client_id", loglimit.Clip(c.ClientID), "method", string(c.Method), "reason", loglimit.Clip(reason))
	}
	if a.Audit != nil {
		a.Audit.AuthFailed(ctx, c.ClientID, string(c.Method), reason)
	}
	if c.Method == SecretBasic {
		return errAuthFailed.WithHeader("WWW-Authenticate", basicChallenge)
	}
	return errAuthFailed
}

// digestOf is secret.Digest(plain) on the stack, hashing plain's bytes
// where they are: a secret is longer than the 32 bytes a conversion to
// []byte may keep on the stack, so secret.Digest copied it to the heap on
// every token request. TestDigestOf holds the two equal.
func digestOf(plain string) [sha256.Size]byte {
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(plain), len(plain))) // read only
}

// dummyDigest stands in for the secrets of an unknown client, so that a
// request for one costs what a request with a wrong secret costs.
var dummyDigest = secret.Digest("mint_unknown-client-dummy-secret")

// matchDigest returns the ID of the live secret whose digest is digest. It
// compares against every secret, live or not, without stopping at a match,
// and against a dummy digest when there is none, so its cost does not say
// which secret matched or whether the client exists.
func matchDigest(digest []byte, secrets []mint.Secret, now time.Time) (string, bool) {
	if len(secrets) == 0 {
		secret.MatchDigest(digest, dummyDigest)
		return "", false
	}
	matched := ""
	for _, s := range secrets {
		ok := secret.MatchDigest(digest, s.Digest)
		if ok && s.Live(now) && matched == "" {
			matched = s.ID
		}
	}
	return matched, matched != ""
}

// lastUse returns the stored last use of the secret id among secrets
// (zero if none is known: a secret found only by confirmSecrets).
func lastUse(secrets []mint.Secret, id string) time.Time {
	for _, s := range secrets {
		if s.ID == id {
			return s.LastUsedAt
		}
	}
	return time.Time{}
}

// audiences are the aud values a client assertion may use.
func (a *Authenticator) audiences() []string {
	tokenURL := a.TokenEndpoint
	if tokenURL == "" {
		tokenURL = strings.TrimSuffix(a.Issuer, "/") + "/oauth/token"
	}
	return []string{a.Issuer, tokenURL}
}

func (a *Authenticator) now() time.Time {
	if a.Now == nil {
		return time.Now()
	}
	return a.Now()
}

var discard = slog.New(slog.DiscardHandler)

// logAllowed reports whether the request's source may have one more
// failure line written.
func (a *Authenticator) logAllowed(ctx context.Context) bool {
	return a.LogLimit == nil || a.LogLimit.Allow(audit.SourceFrom(ctx))
}

func (a *Authenticator) log() *slog.Logger {
	if a.Log == nil {
		return discard
	}
	return a.Log
}
