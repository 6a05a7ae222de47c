package admin

import (
	"github.com/mintauth/mint/internal/clientauth"
	"github.com/mintauth/mint/internal/mint"
)

// tlsAuthFields are a client's RFC 8705 §2 registration by the names of
// RFC 8705 §2.1.2 and §2.2 (docs/sender-constrained.md): at most one
// set. In a PATCH, any of them given replaces the registration, and all
// given empty (or false) remove it.
type tlsAuthFields struct {
	SubjectDN  *string `json:"tls_client_auth_subject_dn,omitempty"`
	SANDNS     *string `json:"tls_client_auth_san_dns,omitempty"`
	SANURI     *string `json:"tls_client_auth_san_uri,omitempty"`
	SANIP      *string `json:"tls_client_auth_san_ip,omitempty"`
	SANEmail   *string `json:"tls_client_auth_san_email,omitempty"`
	SelfSigned *bool   `json:"self_signed_tls_client_auth,omitempty"`
}

// given reports whether any field was sent.
func (f tlsAuthFields) given() bool {
	return f.SubjectDN != nil || f.SANDNS != nil || f.SANURI != nil || f.SANIP != nil ||
		f.SANEmail != nil || f.SelfSigned != nil
}

// registration returns the one registration f names, checked.
func (f tlsAuthFields) registration() (mint.TLSAuth, error) {
	var out mint.TLSAuth
	n := 0
	for kind, v := range map[string]*string{mint.TLSAuthSubjectDN: f.SubjectDN, mint.TLSAuthSANDNS: f.SANDNS,
		mint.TLSAuthSANURI: f.SANURI, mint.TLSAuthSANIP: f.SANIP, mint.TLSAuthSANEmail: f.SANEmail} {
		if v != nil && *v != "" {
			out, n = mint.TLSAuth{Kind: kind, Value: *v}, n+1
		}
	}
	if f.SelfSigned != nil && *f.SelfSigned {
		out, n = mint.TLSAuth{Kind: mint.TLSAuthSelfSigned}, n+1
	}
	if n > 1 {
		return mint.TLSAuth{}, invalid("tls_client_auth", "register one TLS client authentication: one subject DN or SAN (tls_client_auth_*), or self_signed_tls_client_auth")
	}
	if err := clientauth.CheckTLSAuth(out); err != nil {
		return mint.TLSAuth{}, invalid(out.Kind, "%s: %v", out.Kind, err)
	}
	return out, nil
}

// needsKeys refuses self_signed_tls_client_auth for a client without a
// JWKS: no certificate could match (RFC 8705 §2.2).
func needsKeys(reg mint.TLSAuth, jwks []byte) error {
	if reg.Kind == mint.TLSAuthSelfSigned && len(jwks) == 0 {
		return invalid("self_signed_tls_client_auth", "self_signed_tls_client_auth needs the client's jwks: its certificates' public keys")
	}
	return nil
}

// viewTLSAuth shows reg by its registration field; nothing for none.
func viewTLSAuth(reg mint.TLSAuth) tlsAuthFields {
	var f tlsAuthFields
	if reg.Kind == mint.TLSAuthSelfSigned {
		t := true
		f.SelfSigned = &t
	} else {
		f.set(reg.Kind, reg.Value)
	}
	return f
}

// set sets the field of a name-matching kind (mint.TLSAuthKinds) to v,
// reporting false for any other kind.
func (f *tlsAuthFields) set(kind, v string) bool {
	switch kind {
	case mint.TLSAuthSubjectDN:
		f.SubjectDN = &v
	case mint.TLSAuthSANDNS:
		f.SANDNS = &v
	case mint.TLSAuthSANURI:
		f.SANURI = &v
	case mint.TLSAuthSANIP:
		f.SANIP = &v
	case mint.TLSAuthSANEmail:
		f.SANEmail = &v
	default:
		return false
	}
	return true
}
