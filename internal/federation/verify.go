package federation

import (
	"context"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mintauth/mint/internal/mint"
)

// Algorithms are the JWS algorithms an external token may use: the
// asymmetric ones issuers sign with. "none" and HMAC (a key the issuer
// shares with everyone it gives tokens to) are never accepted.
var Algorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.EdDSA,
}

const (
	// Leeway absorbs clock skew between the issuer and mint, for exp, nbf,
	// iat and max_age.
	Leeway = 30 * time.Second
	// MaxMaxAge bounds a rule's max_age, and so how long mint remembers a
	// token's jti.
	MaxMaxAge = 24 * time.Hour
	// maxClaim bounds iss, sub and jti before any lookup.
	maxClaim = 1024
	maxJTI   = 256
)

// Refusal is why an external token is not accepted. Public is the
// error_description the partner sees: it names what is wrong with the
// token, never which rule almost matched; Reason, for the log, may.
type Refusal struct{ Public, Reason string }

func (r *Refusal) Error() string { return r.Reason }

func refuse(public, reason string, args ...any) *Refusal {
	return &Refusal{Public: public, Reason: fmt.Sprintf(reason, args...)}
}

// Public descriptions. Everything that depends on which rules exist
// before the token's signature is verified says the same: noRule.
const (
	noRule = "no trust rule of this client accepts this token's issuer, subject and signature"
	unmet  = "the token does not meet the trust rule's audience or claim conditions"
)

// Verifier checks external tokens against the trust rules of clients
// (issue 18; RFC 7523 §3 for the checks the RFC names). Rules and Keys are
// required.
type Verifier struct {
	Rules mint.FederatedStore
	Keys  *KeyFetcher
	// OwnIssuer is mint's issuer: its own tokens are never assertions.
	OwnIssuer string
	Now       func() time.Time
}

// Accepted is a token a rule accepted.
type Accepted struct {
	Rule   mint.FederatedCredential
	Claims jwt.Claims
	// ReplayID and ReplayUntil are what Store.UseAssertion must record:
	// the jti, namespaced by the issuer, until the token can no longer be
	// accepted.
	ReplayID    string
	ReplayUntil time.Time
}

// Verify checks token, with clientID (may be empty) limiting the rules to
// one client's. It returns the rule that accepted it, a *Refusal, or a
// storage error. It does not record the jti: the caller does, with the
// store it shares with other replicas.
func (v *Verifier) Verify(ctx context.Context, token, clientID string) (Accepted, error) {
	tok, head, err := v.parse(token)
	if err != nil {
		return Accepted{}, err
	}
	rules, err := v.rules(ctx, head, clientID)
	if err != nil {
		return Accepted{}, err
	}
	if len(rules) == 0 {
		return Accepted{}, refuse(noRule, "no rule for the token's iss and sub") // no token text: the audit log collapses repeats by reason
	}
	matched, claims, err := v.match(ctx, tok, rules)
	if err != nil {
		return Accepted{}, err
	}
	return v.accept(matched, claims)
}

// parse reads the token and checks what it must hold whatever the rule.
func (v *Verifier) parse(token string) (*jwt.JSONWebToken, jwt.Claims, error) {
	tok, err := jwt.ParseSigned(token, Algorithms)
	if err != nil {
		return nil, jwt.Claims{}, refuse("the token is not a JWS compact JWT signed with an allowed algorithm (RS256, PS256, ES256, EdDSA, …; never none or HMAC)", "parse: %v", err)
	}
	var c jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
		return nil, jwt.Claims{}, refuse("the token's claims are not a JSON object of the registered types", "claims: %v", err)
	}
	switch {
	case tok.Headers[0].KeyID == "":
		return nil, c, refuse("the token's header has no kid", "no kid")
	case c.Issuer == "" || c.Subject == "" || len(c.Issuer) > maxClaim || len(c.Subject) > maxClaim:
		return nil, c, refuse("the token needs iss and sub", "iss or sub missing or too long")
	case IsSPIFFE(c.Issuer):
		// SPIFFE rules take JWT-SVIDs only through VerifySPIFFE, which
		// parses sub strictly and picks rules by its trust domain.
		return nil, c, refuse("a JWT-SVID is sent with client_assertion_type urn:ietf:params:oauth:client-assertion-type:jwt-spiffe", "spiffe iss on the jwt-bearer path")
	case c.Issuer == v.OwnIssuer:
		return nil, c, refuse("this server's own tokens are not accepted as assertions", "own token")
	case c.Audience.Contains(mint.AdminAudience):
		return nil, c, refuse("this server's own tokens are not accepted as assertions", "admin audience")
	case c.Expiry == nil:
		return nil, c, refuse("the token needs exp", "no exp")
	case c.ID == "" || len(c.ID) > maxJTI:
		return nil, c, refuse(fmt.Sprintf("the token needs a jti of at most %d bytes", maxJTI), "jti missing or too long")
	}
	return tok, c, nil
}

// rules returns the rules for the token's issuer and subject, of clientID
// only when it is given.
func (v *Verifier) rules(ctx context.Context, c jwt.Claims, clientID string) ([]mint.FederatedCredential, error) {
	all, err := v.Rules.FindFederatedCredentials(ctx, c.Issuer, c.Subject)
	if err != nil || clientID == "" {
		return all, err
	}
	var mine []mint.FederatedCredential
	for _, r := range all {
		if r.ClientID == clientID {
			mine = append(mine, r)
		}
	}
	return mine, nil
}

// match verifies the signature with the keys of each rule's issuer (once
// per key set) and returns the first rule whose conditions hold. Rules of
// more than one client that hold are ambiguous: the partner must name the
// client.
func (v *Verifier) match(ctx context.Context, tok *jwt.JSONWebToken, rules []mint.FederatedCredential) (mint.FederatedCredential, jwt.Claims, error) {
	verified := map[setKey]*verifiedToken{}
	var (
		found   *mint.FederatedCredential
		claims  jwt.Claims
		signed  bool
		reasons []string
	)
	for i := range rules {
		r := &rules[i]
		if IsKeyLocation(*r) { // a client's own keys, for private_key_jwt only
			continue
		}
		vt := v.verifyOnce(ctx, tok, r, verified)
		if vt.err != nil {
			reasons = append(reasons, vt.err.Error())
			continue
		}
		signed = true
		if reason := conditionsFail(*r, vt); reason != "" {
			reasons = append(reasons, r.ID+": "+reason)
			continue
		}
		if found != nil && found.ClientID != r.ClientID {
			return mint.FederatedCredential{}, jwt.Claims{}, refuse("trust rules of several clients accept this token: send client_id", "ambiguous: %s and %s", found.ClientID, r.ClientID)
		}
		if found == nil {
			found, claims = r, vt.claims
		}
	}
	switch {
	case found != nil:
		return *found, claims, nil
	case !signed:
		return mint.FederatedCredential{}, jwt.Claims{}, refuse(noRule, "signature: %v", reasons)
	}
	return mint.FederatedCredential{}, jwt.Claims{}, refuse(unmet, "conditions: %v", reasons)
}

// verifiedToken is a token's signature checked with one key set.
type verifiedToken struct {
	claims jwt.Claims
	raw    map[string]any
	err    error
}

func (v *Verifier) verifyOnce(ctx context.Context, tok *jwt.JSONWebToken, r *mint.FederatedCredential, done map[setKey]*verifiedToken) *verifiedToken {
	k := setKey{issuer: r.Issuer, jwksURI: r.JWKSURI, bundle: r.Bundle} // two static bundles of one trust domain are two key sets
	if vt, ok := done[k]; ok {
		return vt
	}
	vt := &verifiedToken{}
	done[k] = vt
	key, err := v.Keys.Key(ctx, *r, tok.Headers[0].KeyID)
	if err != nil {
		vt.err = err
		return vt
	}
	if key.Algorithm != "" && key.Algorithm != tok.Headers[0].Algorithm {
		vt.err = fmt.Errorf("key %s is for %s, token says %s", key.KeyID, key.Algorithm, tok.Headers[0].Algorithm)
		return vt
	}
	if err := tok.Claims(key.Key, &vt.claims, &vt.raw); err != nil {
		vt.err = fmt.Errorf("signature: %w", err)
	}
	return vt
}

// conditionsFail says which of r's conditions the verified token fails,
// or "".
func conditionsFail(r mint.FederatedCredential, vt *verifiedToken) string {
	if !vt.claims.Audience.Contains(r.Audience) {
		return "aud lacks " + r.Audience
	}
	for name, pattern := range r.Claims {
		s, ok := vt.raw[name].(string)
		if !ok {
			return "claim " + name + " missing or not a string"
		}
		if !Match(pattern, s) {
			return "claim " + name + " does not match"
		}
	}
	return ""
}

// accept checks the times of a token a rule accepted and says how long
// its jti must be remembered.
func (v *Verifier) accept(r mint.FederatedCredential, c jwt.Claims) (Accepted, error) {
	now := v.now()
	exp := c.Expiry.Time()
	switch {
	case !now.Before(exp.Add(Leeway)):
		return Accepted{}, refuse("the token has expired", "expired at %v", exp)
	case c.NotBefore != nil && c.NotBefore.Time().After(now.Add(Leeway)):
		return Accepted{}, refuse("the token is not valid yet (nbf)", "nbf %v", c.NotBefore.Time())
	case c.IssuedAt != nil && c.IssuedAt.Time().After(now.Add(Leeway)):
		return Accepted{}, refuse("the token was issued in the future (iat)", "iat %v", c.IssuedAt.Time())
	case c.IssuedAt == nil:
		return Accepted{}, refuse("the token needs iat", "no iat")
	}
	until := c.IssuedAt.Time().Add(r.MaxAge)
	if exp.Before(until) {
		until = exp
	}
	if !now.Before(until.Add(Leeway)) {
		return Accepted{}, refuse("the token is older than the trust rule's max_age: use a fresh one", "issued %v, max_age %v", c.IssuedAt.Time(), r.MaxAge)
	}
	return Accepted{Rule: r, Claims: c, ReplayID: "federated " + r.Issuer + " " + c.ID, ReplayUntil: until.Add(Leeway)}, nil
}

func (v *Verifier) now() time.Time {
	if v.Now == nil {
		return time.Now()
	}
	return v.Now()
}
