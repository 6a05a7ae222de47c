package token

import (
	"crypto/x509"
	"log/slog"
	"net/http"

	"github.com/mintauth/mint/internal/clientauth"
	"github.com/mintauth/mint/internal/oauthparams"
	"github.com/mintauth/mint/oauth"
)

// MaxBodyBytes is the largest token request body mint reads. A
// client_credentials request is a few hundred bytes.
const MaxBodyBytes = 64 << 10

// GrantType is the only grant the endpoint issues tokens for (RFC 6749 §4.4).
const GrantType = "client_credentials"

// The request parameters mint reads. Any other parameter is ignored
// (RFC 6749 §3.2).
// Client authentication reads its own (package clientauth).
const (
	paramGrantType = "grant_type"
	paramAudience  = "audience"
	paramResource  = "resource"
	paramScope     = "scope"
)

func known(name string) bool {
	switch name {
	case paramGrantType, paramAudience, paramResource, paramScope, clientauth.ParamBearerAssertion:
		return true
	}
	return clientauth.IsParam(name)
}

// params holds the known parameters of a request; a present parameter with
// an empty value counts as omitted (RFC 6749 §3.2).
type params = oauthparams.Params

// bodySpec reads token request bodies: form or JSON (see package doc).
var bodySpec = oauthparams.Spec{
	Known: known,
	Repeated: func(name string) error {
		if name == paramResource {
			return oauth.ErrInvalidTarget.WithField(name).Describe("mint issues a token for one resource at a time; send resource once")
		}
		return oauth.ErrInvalidRequest.WithField(name).Describe("%s must not be given more than once", name)
	},
	MediaType: oauth.ErrUnsupportedMediaType.Describe(
		"send the token request as application/x-www-form-urlencoded or application/json, in UTF-8"),
	MaxBytes: MaxBodyBytes,
}

// Request is a parsed, well-formed token request. It says nothing yet about
// whether the client is who it claims or may have what it asks for.
type Request struct {
	GrantType string
	// Credentials are the client's, not yet checked.
	Credentials clientauth.Credentials
	// ClientID is the client named by the credentials; for
	// private_key_jwt it is known once the assertion is checked, and
	// Issue sets it then.
	ClientID string
	// Audience is the API asked for, from "audience" or "resource"; empty
	// when the request names none.
	Audience string
	// AudienceParam is the parameter Audience came from, for error fields.
	AudienceParam string
	// Scopes are the scopes asked for, without duplicates, in request
	// order; nil when the request names none.
	Scopes []string
	// DPoP holds the DPoP header's values (RFC 9449 §4.1), and ProofURL
	// the URL the proof's htu must name; nil when none was sent.
	DPoP     []string
	ProofURL string
	// CertThumbprint is the x5t#S256 of the TLS client certificate the
	// request came with (RFC 8705 §3.1); empty without one.
	CertThumbprint string
	// chain is the TLS client certificate chain, leaf first, that
	// authenticates the client (RFC 8705 §2) when the body names a
	// client_id and no other credentials; nil without one.
	chain []*x509.Certificate
}

// LogValue keeps the client secret out of logs.
func (r *Request) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("grant_type", r.GrantType),
		slog.String("client_id", r.ClientID),
		slog.String("auth_method", string(r.Credentials.Method)),
		slog.String("audience", r.Audience),
		slog.Any("scopes", r.Scopes),
	)
}

// ParseRequest reads a token request from r. It checks the shape of the
// request only; every error is an *oauth.Error with a 4xx status. The caller
// checks the method.
func ParseRequest(r *http.Request) (*Request, error) {
	var req Request
	if err := req.parse(r); err != nil {
		return nil, err
	}
	return &req, nil
}

// parse is ParseRequest into req, which the endpoint keeps on its stack.
func (req *Request) parse(r *http.Request) error {
	if err := clientauth.RefuseQuerySecret(r.URL); err != nil {
		return err
	}
	p := make(params, 8) // on the stack: it does not outlive the parse
	if err := bodySpec.ReadInto(r, p); err != nil {
		return err
	}
	req.GrantType = p[paramGrantType]
	var err error
	// Two direct calls, not a function value: p would escape through one.
	if req.GrantType == clientauth.BearerGrantType { // RFC 7523 §2.1 (issue 18)
		req.Credentials, err = clientauth.ParseBearerGrant(r.Header["Authorization"], p)
	} else {
		req.Credentials, err = clientauth.ParseWithCert(r.Header["Authorization"], p, req.chain)
	}
	if err != nil {
		return err
	}
	req.ClientID = req.Credentials.ClientID
	if err := checkGrantType(req.GrantType); err != nil {
		return err
	}
	if err := req.setAudience(p); err != nil {
		return err
	}
	req.Scopes, err = parseScope(p[paramScope])
	req.DPoP = r.Header["Dpop"] // "DPoP" canonicalized: Values would canonicalize it per request
	return err
}

func checkGrantType(gt string) error {
	switch gt {
	case GrantType, clientauth.BearerGrantType:
		return nil
	case "":
		return oauth.ErrInvalidRequest.WithField(paramGrantType).Describe("grant_type is required; use client_credentials")
	}
	return oauth.ErrUnsupportedGrantType.WithField(paramGrantType).Describe("only the client_credentials and %s grants are supported", clientauth.BearerGrantType)
}
