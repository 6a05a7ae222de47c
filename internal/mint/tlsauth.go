package mint

// The kinds of RFC 8705 §2 client authentication a client may register
// (Client.TLSAuth). Each names the registration parameter of RFC 8705
// §2.1.2 (or §2.2) it stands for.
const (
	TLSAuthNone       = ""
	TLSAuthSubjectDN  = "tls_client_auth_subject_dn"
	TLSAuthSANDNS     = "tls_client_auth_san_dns"
	TLSAuthSANURI     = "tls_client_auth_san_uri"
	TLSAuthSANIP      = "tls_client_auth_san_ip"
	TLSAuthSANEmail   = "tls_client_auth_san_email"
	TLSAuthSelfSigned = "self_signed_tls_client_auth"
)

// TLSAuthKinds lists the kinds that carry a value (all but
// TLSAuthSelfSigned, whose keys are the client's JWKS).
var TLSAuthKinds = []string{TLSAuthSubjectDN, TLSAuthSANDNS, TLSAuthSANURI, TLSAuthSANIP, TLSAuthSANEmail}

// TLSAuth is how a client may authenticate with its TLS client
// certificate (RFC 8705 §2): Kind is one of the TLSAuth constants; Value
// the one subject DN (RFC 4514 string) or SAN the certificate must carry,
// empty for TLSAuthSelfSigned. The zero value: no TLS authentication.
type TLSAuth struct {
	Kind  string
	Value string
}
