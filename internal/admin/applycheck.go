package admin

import (
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// The admin API's rules, exported for `mint apply` (package apply), which
// writes APIs, clients and grants straight to the store and must refuse
// what the admin API refuses. Each error is an *oauth.Error whose Field
// names the field at fault, as the admin API's request fields are named.

// CheckAPI applies the rules of POST and PATCH /admin/v1/apis to an API's
// fields; a nil tokenLifetime and an empty signingAlg are the defaults. The
// admin API's own audience, exactly, passes (an apply may declare the
// built-in admin API, which mint made); any other case of it is refused.
func CheckAPI(name, audience string, scopes []string, tokenLifetime *int64, signingAlg, auditIssuance string) error {
	if err := validAudience(audience); err != nil {
		return err
	}
	if audience != mint.AdminAudience && isAdminAudience(audience) {
		return oauth.ErrConflict.Describe("audience %s (in any case) belongs to the built-in admin API", mint.AdminAudience).
			WithField("audience")
	}
	if signingAlg == "" {
		signingAlg = mint.AlgRS256
	}
	req := patchAPIRequest{Name: &name, Scopes: scopes, TokenLifetime: tokenLifetime,
		SigningAlg: &signingAlg, AuditIssuance: &auditIssuance}
	return req.Validate()
}

// IsAdminAudience tells whether audience names the built-in admin API, in
// any case.
func IsAdminAudience(audience string) bool { return isAdminAudience(audience) }

// CheckClient applies the rules of POST /admin/v1/clients to a client's
// name and quotas (nil: the server's default; 0: unlimited).
func CheckClient(name string, tokensPerHour, tokensPerDay *int64) error {
	if err := validName(name); err != nil {
		return err
	}
	return validQuotas(quotaField{set: true, n: tokensPerHour}, quotaField{set: true, n: tokensPerDay})
}

// CheckJWKS checks a client's public JWK Set, given as JSON, as the admin
// API's jwks field, and returns it as the store keeps it; {"keys":[]}
// returns nil, no keys.
func CheckJWKS(jsonSet []byte) ([]byte, error) {
	stored, _, err := validJWKS(jsonSet)
	return stored, err
}

// CheckGrant applies the rules of POST /admin/v1/grants to a grant's
// audience and scopes, which must be scopes of api.
func CheckGrant(api mint.API, scopes []string) error {
	if err := validAudience(api.Audience); err != nil {
		return err
	}
	if err := validScopes(scopes); err != nil {
		return err
	}
	return allowedScopes(api, scopes)
}

// CheckScopes checks a list of scopes: scope-tokens, none twice.
func CheckScopes(scopes []string) error { return validScopes(scopes) }

// CheckPolicy applies the rules of the policy field of APIs and clients:
// "" or a policy that compiles (package policy).
func CheckPolicy(src string) error { return validPolicy(src) }

// CheckMetadata applies the rules of a client's metadata field.
func CheckMetadata(m map[string]string) error { return validMetadata(m) }

// FederatedRule is a trust rule as a file declares it: the fields of POST
// /admin/v1/clients/{id}/federated-credentials (MaxAge in seconds, nil: the
// default).
type FederatedRule struct {
	Issuer, Subject, Audience string
	Claims                    map[string]string
	MaxAge                    *int64
	JWKSURI                   string
}

// CheckFederated applies the rules of POST …/federated-credentials to r,
// with plain http refused as the server refuses it by default. The checks
// that need the server (issuer not this server, audience not one of its
// APIs) are the caller's.
func CheckFederated(r FederatedRule) error {
	req := federatedRequest{Issuer: r.Issuer, Subject: r.Subject, Audience: r.Audience, Claims: r.Claims,
		MaxAge: r.MaxAge, JWKSURI: r.JWKSURI}
	return req.Validate()
}

// StoredFederated is the rule r of client clientID as the admin API stores
// it, without ID and CreatedAt: a jwks_uri alone is the client's own key
// location, an absent max_age the default. audience must be set (the admin
// API defaults it to the server's issuer, which a file cannot know).
func StoredFederated(clientID string, r FederatedRule) mint.FederatedCredential {
	req := federatedRequest{Issuer: r.Issuer, Subject: r.Subject, Audience: r.Audience, Claims: r.Claims,
		MaxAge: r.MaxAge, JWKSURI: r.JWKSURI}
	if req.keyLocation() {
		return mint.FederatedCredential{ClientID: clientID, Issuer: clientID, Subject: clientID,
			MaxAge: maxKeyAssertionAge, JWKSURI: r.JWKSURI}
	}
	maxAge := defaultMaxAge
	if r.MaxAge != nil {
		maxAge = time.Duration(*r.MaxAge) * time.Second
	}
	claims := r.Claims
	if len(claims) == 0 {
		claims = nil
	}
	return mint.FederatedCredential{ClientID: clientID, Issuer: r.Issuer, Subject: r.Subject, Audience: r.Audience,
		Claims: claims, MaxAge: maxAge, JWKSURI: r.JWKSURI}
}

// CheckTokenBinding applies the admin API's rule to a token_binding value.
func CheckTokenBinding(v string) error { return validTokenBinding(&v) }

// CheckTLSAuth applies the admin API's rules to a client's RFC 8705 §2
// registration given by its fields, the admin API's names
// (tls_client_auth_subject_dn, …, by mint.TLSAuthKinds; an empty value is
// none) and self_signed_tls_client_auth: at most one, a well-formed value,
// and self-signed only with jwks (the client's stored key set). Its error
// names the field at fault.
func CheckTLSAuth(values map[string]string, selfSigned bool, jwks []byte) (mint.TLSAuth, error) {
	var f tlsAuthFields
	for kind, v := range values {
		if !f.set(kind, v) {
			return mint.TLSAuth{}, invalid(kind, "%s is no TLS client authentication field", kind)
		}
	}
	f.SelfSigned = &selfSigned
	reg, err := f.registration()
	if err != nil {
		return mint.TLSAuth{}, err
	}
	return reg, needsKeys(reg, jwks)
}
