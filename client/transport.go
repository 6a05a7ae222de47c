package client

import (
	"io"
	"net/http"

	"golang.org/x/oauth2"

	"github.com/mintauth/mint/internal/redirect"
)

// bearerTransport adds a bearer token to each request and recovers once
// from an API that rejects the token as expired or invalid.
type bearerTransport struct {
	base  http.RoundTripper
	cache *tokenCache
}

var _ http.RoundTripper = (*bearerTransport)(nil)

func (t *bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if redirect.LeftOrigin(req) {
		// A redirect hop off the origin the caller addressed: the token
		// is for that origin only.
		return t.base.RoundTrip(withoutCredentials(req))
	}
	tok, err := t.cache.token(req.Context())
	if err != nil {
		closeBody(req) // RoundTrip must close the body, even on error
		return nil, err
	}
	resp, err := t.send(req, tok)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || !replayable(req) {
		return resp, err
	}
	if t.cache.cfg.DPoP != nil && apiNonceChallenge(resp) {
		// The API wants a nonce in the proof (RFC 9449 §9): the same
		// token, a new proof with it.
		retry, err := rewind(req)
		if err != nil {
			return resp, nil
		}
		discard(resp)
		if resp, err = t.send(retry, tok); err != nil || resp.StatusCode != http.StatusUnauthorized {
			return resp, err
		}
	}
	if !tokenRejected(resp) {
		return resp, nil
	}
	// The API no longer takes the token, though the cache thought it
	// good (revoked, server clock ahead, key rotated). Fetch a new one
	// and try once more; a second 401 goes back to the caller.
	t.cache.invalidate(tok)
	next, err := t.cache.token(req.Context())
	if err != nil {
		return resp, nil // the API's 401 says more than the token error
	}
	retry, err := rewind(req)
	if err != nil {
		return resp, nil
	}
	discard(resp)
	return t.send(retry, next)
}

// send sends req with tok: "Bearer", or "DPoP" with a proof for a bound
// token (RFC 9449 §7.1).
func (t *bearerTransport) send(req *http.Request, tok *oauth2.Token) (*http.Response, error) {
	p := t.cache.cfg.DPoP
	if p == nil || tok.Type() != schemeDPoP {
		return t.base.RoundTrip(withToken(req, tok.Type()+" "+tok.AccessToken))
	}
	r := withToken(req, schemeDPoP+" "+tok.AccessToken)
	if err := addProof(p, r, tok.AccessToken); err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := t.base.RoundTrip(r)
	if err == nil {
		rememberNonce(p, r, resp)
	}
	return resp, err
}

// withToken returns a copy of req with its Authorization header set: a
// RoundTripper must not change the request it was given.
func withToken(req *http.Request, auth string) *http.Request {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", auth)
	return r
}

// withoutCredentials returns a copy of req without an Authorization header,
// for a redirect hop off the origin the caller addressed: net/http copies
// the caller's own Authorization to the same host on another port or
// scheme, and to subdomains.
func withoutCredentials(req *http.Request) *http.Request {
	r := req.Clone(req.Context())
	r.Header.Del("Authorization")
	return r
}

// replayable says whether req could be sent again: a body, once sent, is
// gone unless GetBody can make a new one.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// rewind returns a copy of req with a fresh body.
func rewind(req *http.Request) (*http.Request, error) {
	r := req.Clone(req.Context())
	if req.Body == nil || req.Body == http.NoBody {
		return r, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	r.Body = body
	return r, nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// discard reads a little of a response that will not be returned, so its
// connection can be reused, and closes it.
func discard(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	resp.Body.Close()
}
