package tokenstate

import (
	"crypto/x509"
	"net/http"

	"github.com/mintauth/mint/internal/clientauth"
	"github.com/mintauth/mint/internal/oauthparams"
	"github.com/mintauth/mint/oauth"
)

// MaxBodyBytes is the largest request body read: a token and credentials.
const MaxBodyBytes = 64 << 10

// The parameters of both endpoints (RFC 7662 §2.1, RFC 7009 §2.1), besides
// client authentication's.
const (
	paramToken         = "token"
	paramTokenTypeHint = "token_type_hint"
)

var bodySpec = oauthparams.Spec{
	Known: func(name string) bool {
		return name == paramToken || name == paramTokenTypeHint || clientauth.IsParam(name)
	},
	MediaType: oauth.ErrUnsupportedMediaType.Describe(
		"send the request as application/x-www-form-urlencoded or application/json, in UTF-8"),
	MaxBytes: MaxBodyBytes,
}

// Request is a parsed introspection or revocation request: well-formed,
// its client not yet authenticated.
type Request struct {
	Credentials clientauth.Credentials
	Token       string
	// TokenTypeHint is read and ignored: mint issues access tokens only,
	// and a server must look beyond the hint anyway (RFC 7009 §2.1).
	TokenTypeHint string
}

var errNoToken = oauth.ErrInvalidRequest.WithField(paramToken).Describe("token is required")

// ParseRequest reads an introspection or revocation request. Every error
// is a 4xx *oauth.Error. The caller checks the method.
func ParseRequest(r *http.Request) (*Request, error) { return ParseRequestWithCert(r, nil) }

// ParseRequestWithCert is ParseRequest for a request that came with a TLS
// client certificate chain (leaf first; nil for none): a caller that
// names its client_id and sends no other credentials authenticates with
// the certificate (RFC 8705 §2, clientauth.ParseWithCert).
func ParseRequestWithCert(r *http.Request, chain []*x509.Certificate) (*Request, error) {
	if err := clientauth.RefuseQuerySecret(r.URL); err != nil {
		return nil, err
	}
	p, err := bodySpec.Read(r)
	if err != nil {
		return nil, err
	}
	creds, err := clientauth.ParseWithCert(r.Header.Values("Authorization"), p, chain)
	if err != nil {
		return nil, err
	}
	if p[paramToken] == "" {
		return nil, errNoToken
	}
	return &Request{Credentials: creds, Token: p[paramToken], TokenTypeHint: p[paramTokenTypeHint]}, nil
}

// methodNotAllowed answers anything but POST: credentials and tokens do not
// belong in URLs.
func methodNotAllowed(endpoint string) error {
	return oauth.ErrMethodNotAllowed.WithHeader("Allow", http.MethodPost).Describe(
		"the %s endpoint only accepts POST, with the token and credentials in the body", endpoint)
}
