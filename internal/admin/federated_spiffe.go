package admin

import (
	"bytes"
	"encoding/json"
	"maps"
	"strings"

	"github.com/mintauth/mint/internal/federation"
	"github.com/mintauth/mint/internal/mint"
)

// A SPIFFE trust rule (issue 18, draft-ietf-oauth-spiffe-client-auth) is
// asked for with the trust domain's ID as issuer ("spiffe://example.org"),
// its bundle endpoint as jwks_uri, and as subject the workload's exact
// SPIFFE ID or a pattern of package federation on it
// ("spiffe://example.org/ns/prod/sa/*"). A pattern is stored as subject
// federation.SPIFFEAnySubject with the pattern as the "sub" claim
// condition, since the store finds rules by exact subject; the API shows
// it back as the subject it was given.

// validateSPIFFE is Validate for a SPIFFE rule.
func (req *federatedRequest) validateSPIFFE() error {
	td, err := federation.ParseTrustDomainID(req.Issuer)
	if err != nil {
		return invalid("issuer", "a SPIFFE rule's issuer is the trust domain's ID, spiffe://TRUST-DOMAIN: %v", err)
	}
	if err := req.validateBundle(); err != nil {
		return err
	}
	if err := validRuleText("subject", req.Subject, maxRuleSubject); err != nil {
		return err
	}
	// A pattern's literal parts must be a SPIFFE ID's: check it with each
	// '*' standing for one path character.
	id, err := federation.ParseSPIFFEID(strings.ReplaceAll(req.Subject, "*", "x"))
	switch {
	case err != nil:
		return invalid("subject", "subject must be a SPIFFE ID, or a pattern of one: %v", err)
	case id.TrustDomain != td.TrustDomain || !strings.HasPrefix(req.Subject, td.TrustDomainID()+"/"):
		return invalid("subject", "subject must be a SPIFFE ID of the trust domain %s, with a path", td.TrustDomain)
	}
	if err := federation.ValidPattern(req.Subject); err != nil {
		return invalid("subject", "subject %v", err)
	}
	return nil
}

// spiffeStored is how a SPIFFE rule's subject is stored (see above).
func spiffeStored(subject string, claims map[string]string) (string, map[string]string) {
	if !strings.Contains(subject, "*") {
		return subject, claims
	}
	c := maps.Clone(claims)
	if c == nil {
		c = map[string]string{}
	}
	c["sub"] = subject
	return federation.SPIFFEAnySubject, c
}

// spiffeView undoes spiffeStored for the API's answers.
func spiffeView(fc mint.FederatedCredential) mint.FederatedCredential {
	if !federation.IsSPIFFE(fc.Issuer) || fc.Subject != federation.SPIFFEAnySubject {
		return fc
	}
	fc.Subject = fc.Claims["sub"]
	fc.Claims = maps.Clone(fc.Claims)
	delete(fc.Claims, "sub")
	return fc
}

// validateBundle checks where a SPIFFE rule's keys are: its bundle
// endpoint (jwks_uri) or a static bundle, exactly one.
func (req *federatedRequest) validateBundle() error {
	switch {
	case req.JWKSURI != "" && len(req.Bundle) != 0:
		return invalid("bundle", "a SPIFFE rule has its bundle endpoint (jwks_uri) or a static bundle, not both")
	case len(req.Bundle) != 0:
		if _, err := federation.ParseBundle(compactBundle(req.Bundle)); err != nil {
			return invalid("bundle", "bundle must be the trust domain's SPIFFE bundle, a JWK Set: %v", err)
		}
		return nil
	case req.JWKSURI == "" || len(req.JWKSURI) > maxRuleURL:
		return invalid("jwks_uri", "a SPIFFE rule needs jwks_uri, the trust domain's bundle endpoint (at most %d bytes), or a static bundle", maxRuleURL)
	}
	if err := federation.CheckKeyURL(req.JWKSURI, req.allowHTTP); err != nil {
		return invalid("jwks_uri", "%v", err)
	}
	return nil
}

// compactBundle is a bundle as stored: compact JSON text, or "" for none.
func compactBundle(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}

// bundleView is a stored bundle as the API shows it.
func bundleView(bundle string) json.RawMessage {
	if bundle == "" {
		return nil
	}
	return json.RawMessage(bundle)
}
