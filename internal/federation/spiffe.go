package federation

import (
	"context"
	"fmt"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mintauth/mint/internal/mint"
)

// SPIFFE trust rules (issue 18; draft-ietf-oauth-spiffe-client-auth-00
// §4, SPIFFE JWT-SVID §3 and §7). A SPIFFE rule is a FederatedCredential
// whose Issuer is a trust domain's ID ("spiffe://example.org"), whose
// JWKSURI is the trust domain's bundle endpoint (its keys are those with
// "use":"jwt-svid") and whose Subject is the workload's exact SPIFFE ID,
// or SPIFFEAnySubject with the SPIFFE ID pattern in Claims["sub"].
//
// A JWT-SVID need not carry iss or jti (JWT-SVID §3): the trust domain of
// its sub picks the rules, never its iss, and a jti, when there is one, is
// accepted once across replicas like any assertion's.

// SPIFFEAnySubject is the Subject of a SPIFFE rule that matches SPIFFE IDs
// by the pattern in its Claims["sub"] rather than exactly: the store finds
// rules by exact subject, so a pattern rule is found under this one.
const SPIFFEAnySubject = "*"

// VerifySPIFFE checks a JWT-SVID sent as a jwt-spiffe client assertion,
// with clientID (may be empty) limiting the rules to one client's. Its
// results are Verify's; ReplayID is empty when the SVID has no jti.
func (v *Verifier) VerifySPIFFE(ctx context.Context, token, clientID string) (Accepted, error) {
	tok, c, id, err := v.parseSVID(token)
	if err != nil {
		return Accepted{}, err
	}
	var rules []mint.FederatedCredential
	for _, sub := range []string{c.Subject, SPIFFEAnySubject} {
		found, err := v.rules(ctx, jwt.Claims{Issuer: id.TrustDomainID(), Subject: sub}, clientID)
		if err != nil {
			return Accepted{}, err
		}
		for _, r := range found {
			// A pattern rule is one the SVID's sub may not match: like an
			// exact subject, that depends on the sub alone, so it is
			// the same refusal as no rule at all.
			if r.Subject != SPIFFEAnySubject || Match(r.Claims["sub"], c.Subject) {
				rules = append(rules, r)
			}
		}
	}
	if len(rules) == 0 {
		return Accepted{}, refuse(noRule, "no SPIFFE rule for the SVID's sub")
	}
	matched, claims, err := v.match(ctx, tok, rules)
	if err != nil {
		return Accepted{}, err
	}
	return v.acceptSVID(matched, claims)
}

// parseSVID reads a JWT-SVID and checks what it must hold whatever the
// rule: kid, a sub that is a workload's SPIFFE ID, aud, exp.
func (v *Verifier) parseSVID(token string) (*jwt.JSONWebToken, jwt.Claims, SPIFFEID, error) {
	tok, err := jwt.ParseSigned(token, Algorithms)
	if err != nil {
		return nil, jwt.Claims{}, SPIFFEID{}, refuse("the JWT-SVID is not a JWS compact JWT signed with an allowed algorithm (RS256, PS256, ES256, …; never none or HMAC)", "parse: %v", err)
	}
	var c jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
		return nil, c, SPIFFEID{}, refuse("the JWT-SVID's claims are not a JSON object of the registered types", "claims: %v", err)
	}
	id, idErr := ParseSPIFFEID(c.Subject)
	switch {
	case tok.Headers[0].KeyID == "":
		return nil, c, id, refuse("the JWT-SVID's header has no kid", "no kid")
	case idErr != nil:
		return nil, c, id, refuse("the JWT-SVID's sub is not a SPIFFE ID: "+idErr.Error(), "sub: %v", idErr)
	case id.Path == "":
		return nil, c, id, refuse("the JWT-SVID's sub is a trust domain, not a workload's SPIFFE ID", "sub without path")
	case c.Issuer != "" && c.Issuer == v.OwnIssuer, c.Audience.Contains(mint.AdminAudience):
		return nil, c, id, refuse("this server's own tokens are not accepted as assertions", "own token")
	case len(c.Audience) == 0:
		return nil, c, id, refuse("the JWT-SVID needs aud", "no aud")
	case c.Expiry == nil:
		return nil, c, id, refuse("the JWT-SVID needs exp", "no exp")
	case len(c.ID) > maxJTI:
		return nil, c, id, refuse(fmt.Sprintf("the JWT-SVID's jti must be at most %d bytes", maxJTI), "jti too long")
	}
	return tok, c, id, nil
}

// acceptSVID checks the times of an SVID a rule accepted. Without iat,
// max_age bounds how long the SVID has left to live instead of how long
// it has lived, so that a rule's max_age still bounds every SVID it takes.
func (v *Verifier) acceptSVID(r mint.FederatedCredential, c jwt.Claims) (Accepted, error) {
	now := v.now()
	exp := c.Expiry.Time()
	switch {
	case !now.Before(exp.Add(Leeway)):
		return Accepted{}, refuse("the JWT-SVID has expired", "expired at %v", exp)
	case c.NotBefore != nil && c.NotBefore.Time().After(now.Add(Leeway)):
		return Accepted{}, refuse("the JWT-SVID is not valid yet (nbf)", "nbf %v", c.NotBefore.Time())
	case c.IssuedAt != nil && c.IssuedAt.Time().After(now.Add(Leeway)):
		return Accepted{}, refuse("the JWT-SVID was issued in the future (iat)", "iat %v", c.IssuedAt.Time())
	case c.IssuedAt == nil && exp.After(now.Add(r.MaxAge+Leeway)):
		return Accepted{}, refuse("the JWT-SVID without iat lives longer than the trust rule's max_age", "exp %v beyond max_age %v", exp, r.MaxAge)
	case c.IssuedAt != nil && !now.Before(c.IssuedAt.Time().Add(r.MaxAge+Leeway)):
		return Accepted{}, refuse("the JWT-SVID is older than the trust rule's max_age: use a fresh one", "issued %v, max_age %v", c.IssuedAt.Time(), r.MaxAge)
	}
	until := exp
	if c.IssuedAt != nil && c.IssuedAt.Time().Add(r.MaxAge).Before(until) {
		until = c.IssuedAt.Time().Add(r.MaxAge)
	}
	acc := Accepted{Rule: r, Claims: c, ReplayUntil: until.Add(Leeway)}
	if c.ID != "" {
		acc.ReplayID = "spiffe " + r.Issuer + " " + c.ID
	}
	return acc, nil
}
