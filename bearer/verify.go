package bearer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// KeySource finds the public key that signed a token. The middleware's JWKS
// cache implements it for resource servers; mint's own key ring implements
// it for the admin API.
type KeySource interface {
	// LookupKey returns the published key with this "kid". found is false
	// when no such key is published; err is for a source that failed.
	LookupKey(ctx context.Context, kid string) (key jose.JSONWebKey, found bool, err error)
}

// Why a token is refused. Verify wraps one of these; test with errors.Is.
var (
	ErrMissing      = errors.New("token missing")
	ErrMalformed    = errors.New("token malformed")
	ErrAlgorithm    = errors.New("token algorithm not allowed")
	ErrType         = errors.New("token type not allowed")
	ErrUnknownKey   = errors.New("token signed by an unknown key")
	ErrSignature    = errors.New("token signature invalid")
	ErrExpired      = errors.New("token expired")
	ErrNotYetValid  = errors.New("token not yet valid")
	ErrIssuer       = errors.New("token issuer invalid")
	ErrAudience     = errors.New("token audience invalid")
	ErrKeysNotReady = errors.New("signing keys unavailable")
)

// DefaultAlgorithms are the JWS algorithms mint signs with. "none" and the
// HMAC algorithms are never allowed: with a public key as HMAC secret anyone
// could forge tokens.
var DefaultAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.PS256, jose.ES256, jose.EdDSA}

// DefaultLeeway absorbs clock skew between mint and the resource server.
const DefaultLeeway = 30 * time.Second

// AccessTokenTypes are the "typ" header values of RFC 9068 §2.1 access tokens.
var AccessTokenTypes = []string{"at+jwt", "application/at+jwt"}

// Verifier checks access tokens. The zero values of the optional fields pick
// the defaults above. A Verifier is safe for concurrent use.
//
// A Verifier trusts one issuer (Issuer and Keys) or several (Issuers, each
// with its own keys), never both forms at once.
type Verifier struct {
	Issuer string // the "iss" every token must carry; required unless Issuers
	// Issuers are the issuers trusted, each with its own keys, when there
	// are several (a migration from another issuer); Issuer and Keys stay
	// empty then. A token's "iss" picks its entry before any key is looked
	// up; an "iss" no entry names exactly is refused (ErrIssuer).
	Issuers   []TrustedIssuer
	Audiences []string // required unless AnyAudience (or each of Issuers names its own): a token must name at least one
	// AnyAudience accepts a token whatever its audience, for mint's own
	// introspection endpoint, which answers for the tokens of every API.
	// Resource servers must name their audiences instead.
	AnyAudience bool
	Keys        KeySource
	Algorithms  []jose.SignatureAlgorithm // default DefaultAlgorithms
	Types       []string                  // default AccessTokenTypes
	Leeway      time.Duration             // default DefaultLeeway
	Now         func() time.Time          // default time.Now
}

// Verify checks raw and returns its claims, or an error wrapping one of the
// Err values above.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Claims, error) {
	if len(v.Issuers) > 0 {
		return v.verifyTrusted(ctx, raw)
	}
	if v.Issuer == "" || (len(v.Audiences) == 0 && !v.AnyAudience) || v.Keys == nil || len(v.algorithms()) == 0 {
		return nil, errVerifierConfig
	}
	if raw == "" {
		return nil, ErrMissing
	}
	tok, err := jwt.ParseSigned(raw, v.algorithms())
	if err != nil {
		return nil, classifyParse(err)
	}
	c := check{issuer: v.Issuer, audiences: v.Audiences, keys: v.Keys, types: v.types()}
	// Verify first, then decode: a payload that is not valid claims JSON is
	// malformed, not wrongly signed.
	if err := v.checkSigned(ctx, tok, tok.Headers[0], c); err != nil {
		return nil, err
	}
	var std jwt.Claims
	var extra extraClaims
	if err := tok.UnsafeClaimsWithoutVerification(&std, &extra); err != nil {
		return nil, fmt.Errorf("%w: claims: %v", ErrMalformed, err)
	}
	if err := v.validate(std, c); err != nil {
		return nil, err
	}
	return newClaims(std, extra), nil
}

// check is what a token is held to: one issuer's name, keys, types and the
// audiences it may name.
type check struct {
	issuer    string
	audiences []string
	keys      KeySource
	types     []string
}

// checkSigned checks the type and the signature of tok against c's keys.
func (v *Verifier) checkSigned(ctx context.Context, tok *jwt.JSONWebToken, header jose.Header, c check) error {
	if !slices.ContainsFunc(c.types, func(t string) bool { return strings.EqualFold(t, typeOf(header)) }) {
		return fmt.Errorf("%w: %q", ErrType, typeOf(header))
	}
	key, err := lookupKey(ctx, c.keys, header.KeyID)
	if err != nil {
		return err
	}
	if key.Algorithm != "" && key.Algorithm != header.Algorithm {
		return fmt.Errorf("%w: key %q is for %s, token says %s", ErrSignature, key.KeyID, key.Algorithm, header.Algorithm)
	}
	if err := tok.Claims(key.Key); err != nil {
		return fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return nil
}

func lookupKey(ctx context.Context, keys KeySource, kid string) (jose.JSONWebKey, error) {
	if kid == "" {
		return jose.JSONWebKey{}, fmt.Errorf("%w: no kid", ErrUnknownKey)
	}
	key, found, err := keys.LookupKey(ctx, kid)
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("%w: %v", ErrKeysNotReady, err)
	}
	if !found {
		return jose.JSONWebKey{}, fmt.Errorf("%w: %q", ErrUnknownKey, kid)
	}
	return key, nil
}

func (v *Verifier) validate(claims jwt.Claims, c check) error {
	if claims.Expiry == nil {
		return fmt.Errorf("%w: no exp claim", ErrMalformed)
	}
	expected := jwt.Expected{Issuer: c.issuer, AnyAudience: c.audiences, Time: v.now()}
	if v.AnyAudience {
		expected.AnyAudience = nil // go-jose checks no audience then
	}
	err := claims.ValidateWithLeeway(expected, v.leeway())
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jwt.ErrExpired):
		return ErrExpired
	case errors.Is(err, jwt.ErrNotValidYet), errors.Is(err, jwt.ErrIssuedInTheFuture):
		return ErrNotYetValid
	case errors.Is(err, jwt.ErrInvalidIssuer):
		return ErrIssuer
	case errors.Is(err, jwt.ErrInvalidAudience):
		return ErrAudience
	}
	return fmt.Errorf("%w: %v", ErrMalformed, err)
}

// errVerifierConfig reports a Verifier that would check nothing: without an
// issuer or audience go-jose skips those checks, so Verify refuses to run
// (unless AnyAudience says that skipping the audience is meant);
// so it does with no allowed algorithm left.
var errVerifierConfig = errors.New("bearer: Verifier needs Issuer, Audiences and Keys, or Issuers each with Keys")

func classifyParse(err error) error {
	var alg *jose.ErrUnexpectedSignatureAlgorithm
	if errors.As(err, &alg) {
		return fmt.Errorf("%w: %v", ErrAlgorithm, err)
	}
	return fmt.Errorf("%w: %v", ErrMalformed, err)
}

func typeOf(h jose.Header) string {
	typ, _ := h.ExtraHeaders[jose.HeaderType].(string)
	return typ
}

func (v *Verifier) algorithms() []jose.SignatureAlgorithm {
	if len(v.Algorithms) == 0 {
		return DefaultAlgorithms
	}
	return allowedAlgorithms(v.Algorithms)
}

func (v *Verifier) types() []string {
	if len(v.Types) == 0 {
		return AccessTokenTypes
	}
	return v.Types
}

func (v *Verifier) leeway() time.Duration {
	if v.Leeway == 0 {
		return DefaultLeeway
	}
	return v.Leeway
}

func (v *Verifier) now() time.Time {
	if v.Now == nil {
		return time.Now()
	}
	return v.Now()
}
