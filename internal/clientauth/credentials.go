package clientauth

import (
	"crypto/x509"
	"encoding/base64"
	"log/slog"
	"net/url"
	"strings"
	"unsafe"

	"github.com/mintauth/mint/internal/loglimit"
	"github.com/mintauth/mint/oauth"
)

// Method is how a client authenticates, by its RFC 7591 §2 name.
type Method string

const (
	// SecretBasic: client_id and client_secret with HTTP Basic (RFC 6749 §2.3.1).
	SecretBasic Method = "client_secret_basic"
	// SecretPost: client_id and client_secret in the body.
	SecretPost Method = "client_secret_post"
	// PrivateKeyJWT: a JWT signed with the client's key (RFC 7523 §2.2).
	PrivateKeyJWT Method = "private_key_jwt"
)

// Methods are the methods mint accepts, as discovery metadata lists them.
var Methods = []string{string(SecretBasic), string(SecretPost), string(PrivateKeyJWT)}

// AssertionType is the client_assertion_type of a JWT client assertion
// (RFC 7523 §2.2).
const AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// The body parameters client authentication reads.
const (
	ParamClientID      = "client_id"
	ParamClientSecret  = "client_secret"
	ParamAssertionType = "client_assertion_type"
	ParamAssertion     = "client_assertion"
)

// IsParam reports whether name is a parameter Parse reads, so that an
// endpoint's body reader keeps it.
func IsParam(name string) bool {
	switch name {
	case ParamClientID, ParamClientSecret, ParamAssertionType, ParamAssertion:
		return true
	}
	return false
}

// Credentials are what a request presents to authenticate its client. They
// are well-formed but not yet checked.
type Credentials struct {
	Method Method
	// ClientID is the client named: always for the secret methods; for
	// private_key_jwt the body's optional client_id, which must then equal
	// the assertion's iss.
	ClientID  string
	Secret    string
	Assertion string
	// Chain is the TLS client certificate chain, leaf first, for
	// TLSClientAuth (tls.go); nil otherwise.
	Chain []*x509.Certificate
}

// LogValue keeps the secret and the assertion out of logs.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("method", string(c.Method)), slog.String("client_id", loglimit.Clip(c.ClientID)))
}

// basicChallenge is the WWW-Authenticate value sent with invalid_client
// when the client tried HTTP Basic or sent no credentials (RFC 6749 §5.2).
const basicChallenge = `Basic realm="mint"`

var (
	errNoCredentials = oauth.ErrInvalidClient.WithHeader("WWW-Authenticate", basicChallenge).Describe(
		"client authentication is required: send client_id and client_secret in the body or with HTTP Basic")
	errMalformedBasic = oauth.ErrInvalidClient.WithHeader("WWW-Authenticate", basicChallenge).Describe(
		"the Authorization header must hold HTTP Basic credentials: base64 of the form-urlencoded client_id, a colon and the form-urlencoded client_secret")
	errTwoMethods = oauth.ErrInvalidRequest.WithField(ParamClientSecret).Describe(
		"use one client authentication method: HTTP Basic or client_secret in the body, not both")
	errAssertionAndOther = oauth.ErrInvalidRequest.WithField(ParamAssertion).Describe(
		"use one client authentication method: client_assertion, HTTP Basic or client_secret, not more than one")
	errAssertionType = oauth.ErrInvalidRequest.WithField(ParamAssertionType).Describe(
		"client_assertion_type must be %s (or %s for a JWT-SVID), with the JWT in client_assertion", AssertionType, SPIFFEAssertionType)
	errNoAssertion = oauth.ErrInvalidRequest.WithField(ParamAssertion).Describe(
		"client_assertion is required with client_assertion_type")
	errClientIDMismatch = oauth.ErrInvalidRequest.WithField(ParamClientID).Describe(
		"client_id in the body differs from the one in the Authorization header")
	errClientIDTooLong = oauth.ErrInvalidRequest.WithField(ParamClientID).Describe(
		"client_id is longer than %d bytes: no client has such an id", MaxClientIDBytes)
)

// MaxClientIDBytes bounds a client_id: mint's are 32 characters, and a
// longer one is refused before any lookup, log line or audit record
// (issue 13: a stranger's 60,000-byte client_id was written whole to the
// log on every request).
const MaxClientIDBytes = 256

// Parse takes the client credentials from the Authorization header values
// (client_secret_basic) or the body parameters (client_secret_post, or
// client_assertion_type and client_assertion for private_key_jwt). Every
// error is an *oauth.Error: invalid_client with a Basic challenge for
// missing or malformed credentials, invalid_request for two methods at
// once, a half-sent assertion or a client_id longer than MaxClientIDBytes.
func Parse(authorization []string, body map[string]string) (Credentials, error) {
	c, err := parse(authorization, body)
	if err == nil && len(c.ClientID) > MaxClientIDBytes {
		return Credentials{}, errClientIDTooLong
	}
	return c, err
}

// parse is Parse without the client_id length check.
func parse(authorization []string, body map[string]string) (Credentials, error) {
	if body[ParamAssertion] != "" || body[ParamAssertionType] != "" {
		return parseAssertion(authorization, body)
	}
	if len(authorization) == 0 {
		c := Credentials{Method: SecretPost, ClientID: body[ParamClientID], Secret: body[ParamClientSecret]}
		if c.ClientID == "" || c.Secret == "" {
			return Credentials{}, errNoCredentials
		}
		return c, nil
	}
	if len(authorization) > 1 {
		return Credentials{}, errMalformedBasic
	}
	id, sec, ok := parseBasic(authorization[0])
	if !ok {
		return Credentials{}, errMalformedBasic
	}
	if body[ParamClientSecret] != "" {
		return Credentials{}, errTwoMethods
	}
	if bodyID := body[ParamClientID]; bodyID != "" && bodyID != id {
		return Credentials{}, errClientIDMismatch
	}
	return Credentials{Method: SecretBasic, ClientID: id, Secret: sec}, nil
}

func parseAssertion(authorization []string, body map[string]string) (Credentials, error) {
	switch {
	case len(authorization) > 0 || body[ParamClientSecret] != "":
		return Credentials{}, errAssertionAndOther
	case assertionMethod(body[ParamAssertionType]) == "":
		return Credentials{}, errAssertionType
	case body[ParamAssertion] == "":
		return Credentials{}, errNoAssertion
	}
	return Credentials{Method: assertionMethod(body[ParamAssertionType]), ClientID: body[ParamClientID], Assertion: body[ParamAssertion]}, nil
}

// parseBasic decodes HTTP Basic credentials (RFC 7617) whose two halves are
// application/x-www-form-urlencoded first, as RFC 6749 §2.3.1 requires.
func parseBasic(header string) (id, sec string, ok bool) {
	scheme, encoded, found := strings.Cut(header, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	if len(encoded) > 0 && (untrimmed(encoded[0]) || untrimmed(encoded[len(encoded)-1])) {
		encoded = strings.TrimSpace(encoded) // rare: TrimSpace's Unicode scan only then
	}
	decoded, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return "", "", false
	}
	// decoded is this function's own and never written again: the
	// credentials can be its bytes rather than a second copy of them.
	rawID, rawSecret, found := strings.Cut(unsafe.String(unsafe.SliceData(decoded), len(decoded)), ":")
	if !found {
		return "", "", false
	}
	id, okID := unescapeCredential(rawID)
	sec, okSecret := unescapeCredential(rawSecret)
	if !okID || !okSecret || id == "" || sec == "" {
		return "", "", false
	}
	return id, sec, true
}

// untrimmed reports whether an end byte of Basic's base64 may be space
// strings.TrimSpace removes: ASCII space or control, or the first byte of
// a multi-byte rune (U+0085, U+00A0 …). Base64 is neither.
func untrimmed(c byte) bool { return c <= ' ' || c >= 0x80 }

// unescapeCredential is url.QueryUnescape, returning s itself without
// url's scan of it when s has nothing to unescape: mint's client IDs and
// secrets are base64url, which form-urlencoding leaves as they are.
func unescapeCredential(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, true
	}
	u, err := url.QueryUnescape(s)
	return u, err == nil
}

// RefuseQuerySecret refuses a request that put the client secret in the
// URL: RFC 6749 §2.3.1 forbids it, and the secret is now in access logs and
// must be rotated. Other query parameters are ignored, never read.
func RefuseQuerySecret(u *url.URL) error {
	if u.RawQuery == "" { // every well-formed request: nothing to parse
		return nil
	}
	q, _ := url.ParseQuery(u.RawQuery)
	if q.Has(ParamClientSecret) {
		return oauth.ErrInvalidRequest.WithField(ParamClientSecret).Describe(
			"client_secret must not be sent in the URL; send it in the request body or with HTTP Basic, and rotate it: it may have been logged")
	}
	return nil
}
