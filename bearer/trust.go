package bearer

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// TrustedIssuer is one issuer a Verifier with several trusts (see
// Verifier.Issuers): its "iss", its keys and how its tokens look. During a
// migration from Auth0 to mint an API trusts both, each with its own JWKS,
// until the old issuer's tokens have expired.
type TrustedIssuer struct {
	// Issuer is the "iss" this issuer's tokens carry, compared byte for
	// byte: no trimming, case folding or trailing-slash normalisation.
	// Auth0 tenants end with a slash ("https://tenant.eu.auth0.com/"),
	// mint's issuer has none.
	Issuer string
	// Keys are this issuer's keys, and only this issuer's: a token naming
	// Issuer is checked against them alone.
	Keys KeySource
	// Algorithms allowed for this issuer; default Verifier.Algorithms.
	Algorithms []jose.SignatureAlgorithm
	// Types are the "typ" headers allowed; default Verifier.Types. Auth0
	// signs its access tokens with typ "JWT", not RFC 9068's "at+jwt".
	Types []string
	// Audiences this issuer's tokens may name; default Verifier.Audiences.
	Audiences []string
}

// verifyTrusted is Verify for a Verifier with Issuers: the unverified "iss"
// picks the one issuer whose keys, algorithms, types and audiences the
// token is then held to. An "iss" no entry names is refused before any key
// is looked up, so a stranger choosing it can make no key set be fetched.
func (v *Verifier) verifyTrusted(ctx context.Context, raw string) (*Claims, error) {
	algs := v.anyIssuerAlgorithms()
	if len(algs) == 0 || v.Issuer != "" || v.Keys != nil {
		return nil, errVerifierConfig
	}
	if raw == "" {
		return nil, ErrMissing
	}
	tok, err := jwt.ParseSigned(raw, algs)
	if err != nil {
		return nil, classifyParse(err)
	}
	var std jwt.Claims
	var extra extraClaims
	if err := tok.UnsafeClaimsWithoutVerification(&std, &extra); err != nil {
		return nil, fmt.Errorf("%w: claims: %v", ErrMalformed, err)
	}
	ti, err := v.trusted(std.Issuer)
	if err != nil {
		return nil, err
	}
	header := tok.Headers[0]
	if !slices.Contains(v.issuerAlgorithms(ti), jose.SignatureAlgorithm(header.Algorithm)) {
		return nil, fmt.Errorf("%w: %s for issuer %q", ErrAlgorithm, header.Algorithm, ti.Issuer)
	}
	c := check{issuer: ti.Issuer, audiences: v.issuerAudiences(ti), keys: ti.Keys, types: v.issuerTypes(ti)}
	if err := v.checkSigned(ctx, tok, header, c); err != nil {
		return nil, err
	}
	if err := v.validate(std, c); err != nil {
		return nil, err
	}
	return newClaims(std, extra), nil
}

// trusted returns the first entry of Issuers naming iss exactly. An entry
// that would check nothing (no keys; no audiences while the Verifier wants
// some; no algorithm left) is a configuration error, answered 500 rather
// than passed off as the caller's fault.
func (v *Verifier) trusted(iss string) (*TrustedIssuer, error) {
	for i := range v.Issuers {
		ti := &v.Issuers[i]
		if iss == "" || ti.Issuer != iss {
			continue
		}
		if ti.Keys == nil || (len(v.issuerAudiences(ti)) == 0 && !v.AnyAudience) || len(v.issuerAlgorithms(ti)) == 0 {
			return nil, errVerifierConfig
		}
		return ti, nil
	}
	if iss == "" {
		return nil, fmt.Errorf("%w: no iss claim", ErrIssuer)
	}
	// Not quoted in the error: a stranger's "iss" may be long, and the
	// error goes to logs.
	return nil, fmt.Errorf("%w: not a trusted issuer", ErrIssuer)
}

// anyIssuerAlgorithms are the algorithms some trusted issuer allows: the
// token is parsed with them, and held to its own issuer's once its "iss"
// is known.
func (v *Verifier) anyIssuerAlgorithms() []jose.SignatureAlgorithm {
	var algs []jose.SignatureAlgorithm
	for i := range v.Issuers {
		for _, a := range v.issuerAlgorithms(&v.Issuers[i]) {
			if !slices.Contains(algs, a) {
				algs = append(algs, a)
			}
		}
	}
	return algs
}

func (v *Verifier) issuerAlgorithms(ti *TrustedIssuer) []jose.SignatureAlgorithm {
	if len(ti.Algorithms) == 0 {
		return v.algorithms()
	}
	return allowedAlgorithms(ti.Algorithms)
}

func (v *Verifier) issuerTypes(ti *TrustedIssuer) []string {
	if len(ti.Types) == 0 {
		return v.types()
	}
	return ti.Types
}

func (v *Verifier) issuerAudiences(ti *TrustedIssuer) []string {
	if len(ti.Audiences) == 0 {
		return v.Audiences
	}
	return ti.Audiences
}

// allowedAlgorithms is algs without "none" and the HMAC algorithms, which
// are never allowed whatever the configuration says.
func allowedAlgorithms(algs []jose.SignatureAlgorithm) []jose.SignatureAlgorithm {
	return slices.DeleteFunc(slices.Clone(algs), func(a jose.SignatureAlgorithm) bool {
		return a == "none" || strings.HasPrefix(string(a), "HS")
	})
}
