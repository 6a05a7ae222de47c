package token

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/mintauth/mint/oauth"
)

// MaxBodyBytes is the largest token request body mint reads. A
// client_credentials request is a few hundred bytes.
const MaxBodyBytes = 64 << 10

// GrantType is the only grant the endpoint issues tokens for (RFC 6749 §4.4).
const GrantType = "client_credentials"

// The request parameters mint reads. Any other parameter is ignored
// (RFC 6749 §3.2).
const (
	paramGrantType    = "grant_type"
	paramClientID     = "client_id"
	paramClientSecret = "client_secret"
	paramAudience     = "audience"
	paramResource     = "resource"
	paramScope        = "scope"
)

func known(name string) bool {
	switch name {
	case paramGrantType, paramClientID, paramClientSecret, paramAudience, paramResource, paramScope:
		return true
	}
	return false
}

// AuthMethod is how the client presented its credentials (RFC 7591 §2 names).
type AuthMethod string

const (
	// AuthSecretBasic: HTTP Basic (RFC 6749 §2.3.1).
	AuthSecretBasic AuthMethod = "client_secret_basic"
	// AuthSecretPost: client_id and client_secret in the body.
	AuthSecretPost AuthMethod = "client_secret_post"
)

// Request is a parsed, well-formed token request. It says nothing yet about
// whether the client is who it claims or may have what it asks for.
type Request struct {
	GrantType    string
	ClientID     string
	ClientSecret string
	AuthMethod   AuthMethod
	// Audience is the API asked for, from "audience" or "resource"; empty
	// when the request names none.
	Audience string
	// AudienceParam is the parameter Audience came from, for error fields.
	AudienceParam string
	// Scopes are the scopes asked for, without duplicates, in request
	// order; nil when the request names none.
	Scopes []string
}

// LogValue keeps the client secret out of logs.
func (r *Request) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("grant_type", r.GrantType),
		slog.String("client_id", r.ClientID),
		slog.String("auth_method", string(r.AuthMethod)),
		slog.String("audience", r.Audience),
		slog.Any("scopes", r.Scopes),
	)
}

// ParseRequest reads a token request from r. It checks the shape of the
// request only; every error is an *oauth.Error with a 4xx status. The caller
// checks the method.
func ParseRequest(r *http.Request) (*Request, error) {
	if err := refuseQuerySecret(r.URL); err != nil {
		return nil, err
	}
	p, err := readParams(r)
	if err != nil {
		return nil, err
	}
	req := &Request{GrantType: p[paramGrantType]}
	if err := req.setCredentials(r.Header.Values("Authorization"), p); err != nil {
		return nil, err
	}
	if err := checkGrantType(req.GrantType); err != nil {
		return nil, err
	}
	if err := req.setAudience(p); err != nil {
		return nil, err
	}
	req.Scopes, err = parseScope(p[paramScope])
	if err != nil {
		return nil, err
	}
	return req, nil
}

// refuseQuerySecret refuses a request that put the client secret in the URL:
// RFC 6749 §2.3.1 forbids it, and the secret is now in access logs and must
// be rotated. Other query parameters are ignored, never read.
func refuseQuerySecret(u *url.URL) error {
	q, _ := url.ParseQuery(u.RawQuery)
	if q.Has(paramClientSecret) {
		return oauth.ErrInvalidRequest.WithField(paramClientSecret).Describe(
			"client_secret must not be sent in the URL; send it in the request body or with HTTP Basic, and rotate it: it may have been logged")
	}
	return nil
}

func checkGrantType(gt string) error {
	switch gt {
	case GrantType:
		return nil
	case "":
		return oauth.ErrInvalidRequest.WithField(paramGrantType).Describe("grant_type is required; use client_credentials")
	}
	return oauth.ErrUnsupportedGrantType.WithField(paramGrantType).Describe("only the client_credentials grant is supported")
}

// params holds the known parameters of a request; a present parameter with
// an empty value counts as omitted (RFC 6749 §3.2).
type params map[string]string

// add records one occurrence of a known parameter.
func (p params) add(name, value string) error {
	if _, dup := p[name]; dup {
		if name == paramResource {
			return oauth.ErrInvalidTarget.WithField(name).Describe("mint issues a token for one resource at a time; send resource once")
		}
		return oauth.ErrInvalidRequest.WithField(name).Describe("%s must not be given more than once", name)
	}
	p[name] = value
	return nil
}

// readParams reads the body in the encoding its Content-Type names.
func readParams(r *http.Request) (params, error) {
	decode, err := bodyDecoder(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	return decode(body)
}

var errMediaType = oauth.ErrUnsupportedMediaType.Describe(
	"send the token request as application/x-www-form-urlencoded or application/json, in UTF-8")

func bodyDecoder(contentType string) (func([]byte) (params, error), error) {
	mediaType, ps, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil, errMediaType
	}
	if cs, ok := ps["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return nil, errMediaType
	}
	switch mediaType {
	case "application/x-www-form-urlencoded":
		return decodeForm, nil
	case "application/json":
		return decodeJSON, nil
	}
	return nil, errMediaType
}

var errTooLarge = oauth.ErrRequestTooLarge.Describe("the request body is larger than %d bytes", MaxBodyBytes)

func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > MaxBodyBytes {
		return nil, errTooLarge
	}
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, oauth.ErrInvalidRequest.Describe("the request body could not be read").WithCause(err)
	}
	if len(body) > MaxBodyBytes {
		return nil, errTooLarge
	}
	return body, nil
}

func decodeForm(body []byte) (params, error) {
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, oauth.ErrInvalidRequest.Describe("the body is not valid application/x-www-form-urlencoded")
	}
	p := params{}
	for name, vs := range values {
		if !known(name) {
			continue
		}
		for _, v := range vs {
			if err := p.add(name, v); err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}

var errNotJSONObject = oauth.ErrInvalidRequest.Describe("the body must be one JSON object whose values are strings")

// decodeJSON reads a JSON object of string values: the dialect of Auth0 and
// the seed pages. Unknown members are skipped whatever their type; known
// ones must be strings and appear once.
func decodeJSON(body []byte) (params, error) {
	if !utf8.Valid(body) {
		return nil, oauth.ErrInvalidRequest.Describe("the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errNotJSONObject
	}
	p := params{}
	for dec.More() {
		if err := p.decodeMember(dec); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, errNotJSONObject
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, oauth.ErrInvalidRequest.Describe("the body has data after the JSON object")
	}
	return p, nil
}

func (p params) decodeMember(dec *json.Decoder) error {
	tok, err := dec.Token()
	if err != nil {
		return errNotJSONObject
	}
	name, _ := tok.(string)
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return errNotJSONObject
	}
	if !known(name) {
		return nil
	}
	var value string
	if raw[0] != '"' || json.Unmarshal(raw, &value) != nil {
		return oauth.ErrInvalidRequest.WithField(name).Describe("%s must be a JSON string", name)
	}
	return p.add(name, value)
}
