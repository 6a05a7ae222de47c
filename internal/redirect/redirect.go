// Package redirect holds the rules by which mint's HTTP clients follow (or
// refuse) redirects, so that no credential reaches an origin it was not
// meant for.
//
// net/http's Client resends a 307/308 request's body, client_secret and
// all, to wherever Location points, and it keeps an Authorization header
// when the new host is the old one on another port, another scheme
// (https to http included), or a subdomain. An origin (RFC 6454: scheme,
// host and port) is the only boundary these rules trust.
package redirect

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// ErrRefused is wrapped by every *Error, for errors.Is.
var ErrRefused = errors.New("redirect refused")

// Error is a redirect a client refused to follow. It names origins only:
// the target's path or query could carry anything.
type Error struct {
	From, To string // origins
	Status   int    // the redirect's status code
	Why      string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s answered %d, redirecting to %s: %s", e.From, e.Status, e.To, e.Why)
}

func (e *Error) Unwrap() error { return ErrRefused }

// Origin is u's scheme, host and port in lower case, with the scheme's
// default port written out, so that two URLs of one origin give one string.
func Origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// Refuse is an http.Client CheckRedirect that follows no redirect at all:
// for requests that carry a client's credentials, where a redirect is
// either a misconfiguration or an attack, and never needed.
func Refuse(req *http.Request, via []*http.Request) error {
	return refusal(req, via, "requests that carry credentials do not follow redirects")
}

// Capped returns a CheckRedirect for requests that carry no secret but
// whose answer is trusted (key sets, metadata): it follows at most max
// redirects and never from https to http, where anyone on the path could
// answer instead.
func Capped(max int) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) > max {
			return refusal(req, via, fmt.Sprintf("more than %d redirects", max))
		}
		if via[len(via)-1].URL.Scheme == "https" && req.URL.Scheme != "https" {
			return refusal(req, via, "a redirect from https to http is not followed")
		}
		return nil
	}
}

func refusal(req *http.Request, via []*http.Request, why string) error {
	e := &Error{From: Origin(via[len(via)-1].URL), To: Origin(req.URL), Why: why}
	if req.Response != nil {
		e.Status = req.Response.StatusCode
	}
	return e
}

// With returns a copy of c (http.DefaultClient when nil) whose redirects
// are checked by check; c itself is left as it was.
func With(c *http.Client, check func(*http.Request, []*http.Request) error) *http.Client {
	if c == nil {
		c = http.DefaultClient
	}
	cp := *c
	cp.CheckRedirect = check
	return &cp
}

// LeftOrigin says whether req is a hop of a redirect chain (as an
// http.Client follows one) in which some request, req included, is not of
// the origin of the chain's first request. A RoundTripper that adds
// credentials sees every hop and asks this before adding them.
func LeftOrigin(req *http.Request) bool {
	if req.Response == nil {
		return false
	}
	want := Origin(req.URL)
	// The chain is bounded by the client's redirect limit; the bound here
	// only guards against a hand-made cycle.
	for r, n := req, 0; r.Response != nil && r.Response.Request != nil && n < 100; n++ {
		r = r.Response.Request
		if Origin(r.URL) != want {
			return true
		}
	}
	return false
}
