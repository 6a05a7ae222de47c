package clientauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// AssertionAlgorithms are the JWS algorithms a client assertion may use.
// "none" and the HMAC algorithms are never accepted.
var AssertionAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.EdDSA}

const (
	// MaxAssertionLifetime bounds how far ahead an assertion's exp may be,
	// and so how long mint must remember its jti.
	MaxAssertionLifetime = 10 * time.Minute
	// AssertionLeeway absorbs clock skew between the client and mint.
	AssertionLeeway = 30 * time.Second
	// maxAssertionID bounds the jti mint stores.
	maxAssertionID = 256
)

// refusal is why an assertion does not authenticate: logged, never shown.
type refusal string

func (r refusal) Error() string { return string(r) }

// assertion authenticates a private_key_jwt client (RFC 7523 §3, RFC 7521
// §4.2): every refusal is the one invalid_client answer, the reason logged.
func (a *Authenticator) assertion(ctx context.Context, c Credentials) (mint.Client, error) {
	client, err := a.verifyAssertion(ctx, c)
	var r refusal
	switch {
	case errors.As(err, &r):
		if c.ClientID == "" {
			c.ClientID = client.ID
		}
		return mint.Client{}, a.refuse(ctx, c, r.Error())
	case err != nil:
		return mint.Client{}, oauth.ErrServer.WithCause(err)
	}
	return client, nil
}

// verifyAssertion returns the client the assertion proves, a refusal, or a
// storage error. The client is returned with a refusal when it is known,
// for the log.
func (a *Authenticator) verifyAssertion(ctx context.Context, c Credentials) (mint.Client, error) {
	tok, err := jwt.ParseSigned(c.Assertion, AssertionAlgorithms)
	if err != nil {
		return mint.Client{}, refusal("assertion malformed or its algorithm not allowed")
	}
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return mint.Client{}, refusal("assertion claims malformed")
	}
	id := unverified.Issuer
	switch {
	case id == "" || id != unverified.Subject:
		return mint.Client{}, refusal("iss and sub must both be the client_id")
	case c.ClientID != "" && c.ClientID != id:
		return mint.Client{}, refusal("client_id differs from the assertion's iss")
	case len(id) > MaxClientIDBytes:
		return mint.Client{}, refusal("iss longer than any client_id")
	}
	client, fromMemory, err := a.lookupClient(ctx, id)
	if err != nil && !errors.Is(err, mint.ErrNotFound) {
		return mint.Client{}, err
	}
	claims, err := verifySignature(tok, client)
	if err != nil && fromMemory {
		// One database read for every refusal (timing.go); a key just
		// registered is taken at once.
		client, claims, err = a.confirmSignature(ctx, tok, id, client, err)
	}
	if client.ID == "" {
		client.ID = id // unknown: named in the log
	}
	if err != nil && a.Federation != nil {
		// Known or not, the same lookup (issue 13: a refusal's time must
		// not say which client ids exist); an unknown id has no rules.
		claims, err = a.verifyWithKeyURL(ctx, tok, client, err)
	}
	if err != nil {
		return client, err
	}
	if err := a.checkClaims(claims); err != nil {
		return client, err
	}
	return client, a.useOnce(ctx, client.ID, claims)
}

// confirmSignature reads the client refused (with refused) on a kept
// answer again from the database, and checks the signature again if the
// client or its keys changed.
func (a *Authenticator) confirmSignature(ctx context.Context, tok *jwt.JSONWebToken, id string, kept mint.Client, refused error) (mint.Client, jwt.Claims, error) {
	fresh, err := a.reloadClient(ctx, id)
	if err != nil && !errors.Is(err, mint.ErrNotFound) {
		return mint.Client{}, jwt.Claims{}, err
	}
	if fresh.ID == kept.ID && bytes.Equal(fresh.JWKS, kept.JWKS) {
		return kept, jwt.Claims{}, refused
	}
	claims, err := verifySignature(tok, fresh)
	return fresh, claims, err
}

// verifySignature checks the assertion against the client's key: the one
// its kid names, or the only one when it names none. An assertion with
// no key to check it with (the zero client: unknown) is checked against a
// stand-in all the same, so that every refusal costs one signature check.
func verifySignature(tok *jwt.JSONWebToken, client mint.Client) (jwt.Claims, error) {
	key, err := assertionKey(tok, client)
	if err != nil {
		checkAgainstStandIn(tok)
		return jwt.Claims{}, err
	}
	var claims jwt.Claims
	if err := tok.Claims(key.Key, &claims); err != nil {
		return jwt.Claims{}, refusal("signature invalid")
	}
	return claims, nil
}

// assertionKey returns the client's key the assertion must be checked
// with, or a refusal.
func assertionKey(tok *jwt.JSONWebToken, client mint.Client) (jose.JSONWebKey, error) {
	if client.ID == "" {
		return jose.JSONWebKey{}, refusal("unknown client")
	}
	if len(client.JWKS) == 0 {
		return jose.JSONWebKey{}, refusal("client has no JWKS")
	}
	set, err := ParseJWKS(client.JWKS)
	if err != nil {
		return jose.JSONWebKey{}, refusal("stored JWKS unusable: " + err.Error())
	}
	header := tok.Headers[0]
	keys := set.Keys
	if header.KeyID != "" {
		keys = set.Key(header.KeyID)
	}
	if len(keys) != 1 {
		return jose.JSONWebKey{}, refusal(fmt.Sprintf("no single key for kid %q", header.KeyID))
	}
	key := keys[0]
	if key.Algorithm != "" && key.Algorithm != header.Algorithm {
		return jose.JSONWebKey{}, refusal("key is for " + key.Algorithm + ", assertion says " + header.Algorithm)
	}
	return key, nil
}

// checkClaims checks aud, exp, nbf, iat and jti (RFC 7523 §3).
func (a *Authenticator) checkClaims(c jwt.Claims) error {
	now := a.now()
	switch {
	case !slices.ContainsFunc(a.audiences(), func(aud string) bool { return aud != "" && c.Audience.Contains(aud) }):
		return refusal("aud names neither the issuer nor the token endpoint")
	case c.Expiry == nil:
		return refusal("no exp")
	case !now.Before(c.Expiry.Time().Add(AssertionLeeway)):
		return refusal("expired")
	case c.Expiry.Time().After(now.Add(MaxAssertionLifetime + AssertionLeeway)):
		return refusal("exp more than 10 minutes ahead")
	case c.NotBefore != nil && c.NotBefore.Time().After(now.Add(AssertionLeeway)):
		return refusal("nbf in the future")
	case c.IssuedAt != nil && c.IssuedAt.Time().After(now.Add(AssertionLeeway)):
		return refusal("iat in the future")
	case c.ID == "" || len(c.ID) > maxAssertionID:
		return refusal("jti missing or too long")
	}
	return nil
}

// useOnce records the jti until the assertion can no longer be accepted;
// a second use, on any replica, is a replay.
func (a *Authenticator) useOnce(ctx context.Context, clientID string, c jwt.Claims) error {
	err := a.Store.UseAssertion(ctx, clientID, c.ID, c.Expiry.Time().Add(AssertionLeeway))
	if errors.Is(err, mint.ErrConflict) {
		return refusal("assertion already used")
	}
	return err
}
