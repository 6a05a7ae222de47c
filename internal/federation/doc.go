// Package federation lets a client authenticate with a token its own
// platform gave it — a GitHub Actions OIDC token, a Kubernetes
// service-account token, a partner's authorization server's token —
// instead of a secret (issue 18, workload identity federation).
//
// It implements the checks of RFC 7523 §3 on such a token, used as a
// client assertion (§2.2) or as an authorization grant (§2.1), against the
// trust rules (mint.FederatedCredential) an admin gave the client: the
// token's iss and sub must be a rule's exactly, its signature must verify
// with a key the rule's issuer publishes (OpenID Connect Discovery 1.0 §4
// or RFC 8414 §3 for the jwks_uri, RFC 7517 §5 for the set), its aud must
// contain the rule's audience, its claims must match the rule's
// conditions (pattern.go), and it must be within exp, nbf, iat and the
// rule's max_age, with Leeway.
//
// KeyFetcher fetches keys only for issuers that rules name, never for an
// issuer a token names that no rule does. The jti is remembered by the
// caller, in the store every replica shares (Store.UseAssertion), so a
// token is accepted once.
//
// SPIFFE rules (spiffe.go) take JWT-SVIDs, sent with the jwt-spiffe
// client assertion type of draft-ietf-oauth-spiffe-client-auth-00 §4:
// the SVID's sub, a SPIFFE ID parsed strictly (SPIFFE-ID §2, spiffeid.go),
// picks the rules by its trust domain, and its signature is checked with
// the keys of the trust domain's bundle (SPIFFE Trust Domain and Bundle
// §4) whose use is jwt-svid (JWT-SVID §3 and §7 for the claims).
//
// Refusals (*Refusal) carry a public description that says what is wrong
// with the token, never which rule almost matched: before the signature
// is verified every refusal that depends on the rules is the same.
package federation
