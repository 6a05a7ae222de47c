package bearer

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mintauth/mint/oauth"
)

// Failure is a request the middleware refused, as an error writer gets it.
type Failure struct {
	// Status is the HTTP status: 401, 403, 400, 429, 503 or 500.
	Status int
	// Code is the RFC 6750 §3.1 error code ("invalid_token",
	// "insufficient_scope", "invalid_request"), or the RFC 6749 code for a
	// server-side failure. It is empty when the request carried no token.
	Code string
	// Description is the error_description of the WWW-Authenticate header.
	Description string
	// Message is the sentence of the default body, such as "Token expired.".
	Message string
	// Scope lists the scopes a route requires, for insufficient_scope.
	Scope string
	// Date is when the request was refused.
	Date time.Time
	// URI is the request URI as the client sent it (see RequestURL).
	URI string
	// Err is why: it wraps one of the Err values of this package. It is for
	// the log; the default body does not show it.
	Err error
}

// ErrorWriter writes the response for a refused request. When it is
// called, the WWW-Authenticate header is already set.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, f *Failure)

// errAmbiguous is a request with more than one Authorization header, which
// RFC 6750 §3.1 answers with invalid_request.
var errAmbiguous = errors.New("more than one Authorization header")

// errScope is a verified token without a scope the route requires.
var errScope = errors.New("token lacks a required scope")

type failureKind struct {
	status  int
	code    string
	message string
	desc    string
}

// failureKinds maps each reason to its answer. The first match wins, so the
// order matters only where errors wrap others.
var failureKinds = []struct {
	err  error
	kind failureKind
}{
	{ErrMissing, failureKind{401, "", "Token missing.", ""}},
	{errAmbiguous, failureKind{400, "invalid_request", "Token malformed.", "The request has more than one Authorization header."}},
	{ErrMalformed, failureKind{401, "invalid_token", "Token malformed.", "The access token is not a well-formed JWT."}},
	{ErrAlgorithm, failureKind{401, "invalid_token", "Token algorithm not allowed.", "The access token is signed with an algorithm that is not allowed."}},
	{ErrType, failureKind{401, "invalid_token", "Token type invalid.", "The access token is not of type at+jwt."}},
	{ErrUnknownKey, failureKind{401, "invalid_token", "Token signature invalid.", "The access token is not signed by a key of the issuer."}},
	{ErrSignature, failureKind{401, "invalid_token", "Token signature invalid.", "The access token signature is invalid."}},
	{ErrExpired, failureKind{401, "invalid_token", "Token expired.", "The access token expired."}},
	{ErrNotYetValid, failureKind{401, "invalid_token", "Token not yet valid.", "The access token is not valid yet."}},
	{ErrIssuer, failureKind{401, "invalid_token", "Token issuer invalid.", "The access token is not from the expected issuer."}},
	{ErrAudience, failureKind{401, "invalid_token", "Token audience invalid.", "The access token is not meant for this resource."}},
	{errScope, failureKind{403, "insufficient_scope", "Token scope insufficient.", "The access token lacks a scope this request requires."}},
	{ErrKeysNotReady, failureKind{503, "temporarily_unavailable", "Token cannot be checked now.", "The issuer's signing keys are unavailable."}},
}

var serverFailure = failureKind{500, "server_error", "Server error.", "The server failed to check the access token."}

func kindOf(err error) failureKind {
	for _, k := range dpopFailures {
		if errors.Is(err, k.err) {
			return k.kind
		}
	}
	for _, k := range failureKinds {
		if errors.Is(err, k.err) {
			return k.kind
		}
	}
	return serverFailure
}

// OAuthError returns f as mint's protocol error, with its WWW-Authenticate
// header, for an error writer that prefers the RFC 6749 §5.2 body.
func (f *Failure) OAuthError() *oauth.Error {
	e := &oauth.Error{Code: f.Code, Description: f.Description, Status: f.Status}
	if h := f.challenge(""); h != "" {
		e = e.WithHeader("WWW-Authenticate", h)
	}
	return e.WithCause(f.Err)
}

// challenge is the RFC 6750 §3 WWW-Authenticate value for f, or "" for a
// server-side failure, which no new token would fix.
func (f *Failure) challenge(realm string) string {
	if !f.challenged() {
		return ""
	}
	params := f.params(realm)
	if len(params) == 0 {
		return "Bearer"
	}
	return "Bearer " + strings.Join(params, ", ")
}

// challenged reports whether f's answer carries a challenge: not a
// server-side failure nor a rate limit (429), which no new token would
// fix.
func (f *Failure) challenged() bool {
	return f.Status < 500 && f.Status != http.StatusTooManyRequests
}

// params are the challenge's auth-params (RFC 6750 §3, RFC 9449 §7.1).
func (f *Failure) params(realm string) []string {
	var params []string
	if realm != "" {
		params = append(params, `realm=`+quote(realm))
	}
	if f.Code != "" {
		params = append(params, `error=`+quote(f.Code))
	}
	if f.Description != "" {
		params = append(params, `error_description=`+quote(f.Description))
	}
	if f.Scope != "" {
		params = append(params, `scope=`+quote(f.Scope))
	}
	return params
}

// quote makes a quoted-string of s, dropping the characters RFC 6750 §3
// does not allow in its attribute values (", \ and controls).
func quote(s string) string {
	clean := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return -1
		}
		return r
	}, s)
	return `"` + clean + `"`
}

// failureBody is the default body, in the shape of the seed APIs:
//
//	{"statusCode": 401, "statusText": "Unauthorized", "message": "Token expired.",
//	 "date": "2019-11-13T06:26:01", "statusFamily": "CLIENT_ERROR",
//	 "method": "GET", "uri": "http://api.example/ws/rest/Cargo?x=1"}
type failureBody struct {
	StatusCode   int    `json:"statusCode"`
	StatusText   string `json:"statusText"`
	Message      string `json:"message"`
	Date         string `json:"date"`
	StatusFamily string `json:"statusFamily"`
	Method       string `json:"method"`
	URI          string `json:"uri"`
}

// DateLayout is the layout of the "date" field: UTC, without a zone.
const DateLayout = "2006-01-02T15:04:05"

// WriteFailure is the default ErrorWriter: it writes f in the seed shape
// above, as JSON that must not be cached.
func WriteFailure(w http.ResponseWriter, r *http.Request, f *Failure) {
	family := "CLIENT_ERROR"
	if f.Status >= 500 {
		family = "SERVER_ERROR"
	}
	oauth.WriteJSON(w, f.Status, failureBody{
		StatusCode:   f.Status,
		StatusText:   http.StatusText(f.Status),
		Message:      f.Message,
		Date:         f.Date.UTC().Format(DateLayout),
		StatusFamily: family,
		Method:       r.Method,
		URI:          f.URI,
	})
}

// RequestURL returns the absolute URI of r as the client sent it: scheme,
// host, and the request target unchanged (so the query keeps its escaping).
// The scheme is https only when r came over TLS, unless trustForwarded is
// set, which honours X-Forwarded-Proto and X-Forwarded-Host: set it only
// behind a proxy that overwrites those headers.
func RequestURL(r *http.Request, trustForwarded bool) string {
	scheme, host := "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if trustForwarded {
		if p := firstValue(r.Header.Get("X-Forwarded-Proto")); p == "http" || p == "https" {
			scheme = p
		}
		if h := firstValue(r.Header.Get("X-Forwarded-Host")); h != "" {
			host = h
		}
	}
	target := r.RequestURI
	if u, err := url.ParseRequestURI(target); err == nil && u.IsAbs() {
		target = u.EscapedPath()
		if u.RawQuery != "" {
			target += "?" + u.RawQuery
		}
	}
	if target == "" && r.URL != nil {
		target = r.URL.RequestURI()
	}
	return scheme + "://" + host + target
}

func firstValue(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return strings.ToLower(strings.TrimSpace(first))
}
