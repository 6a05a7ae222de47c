package token

import (
	"context"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/mintauth/mint"
	"github.com/mintauth/mint/oauth"
	"github.com/mintauth/mint/secret"
)

// basicChallenge is the WWW-Authenticate value sent with invalid_client
// when the client tried HTTP Basic or sent no credentials (RFC 6749 §5.2).
const basicChallenge = `Basic realm="mint"`

var (
	errNoCredentials = oauth.ErrInvalidClient.WithHeader("WWW-Authenticate", basicChallenge).Describe(
		"client authentication is required: send client_id and client_secret in the body or with HTTP Basic")
	errMalformedBasic = oauth.ErrInvalidClient.WithHeader("WWW-Authenticate", basicChallenge).Describe(
		"the Authorization header must hold HTTP Basic credentials: base64 of the form-urlencoded client_id, a colon and the form-urlencoded client_secret")
	errTwoMethods = oauth.ErrInvalidRequest.WithField(paramClientSecret).Describe(
		"use one client authentication method: HTTP Basic or client_secret in the body, not both")
	errClientIDMismatch = oauth.ErrInvalidRequest.WithField(paramClientID).Describe(
		"client_id in the body differs from the one in the Authorization header")
	// errAuthFailed is the one answer for an unknown client, a wrong secret
	// and an expired secret, so that callers cannot tell them apart.
	errAuthFailed = oauth.ErrInvalidClient.Describe("client authentication failed")
)

// setCredentials takes the client credentials from the Authorization header
// (client_secret_basic) or the body (client_secret_post).
func (req *Request) setCredentials(authorization []string, p params) error {
	if len(authorization) == 0 {
		req.ClientID, req.ClientSecret = p[paramClientID], p[paramClientSecret]
		req.AuthMethod = AuthSecretPost
		if req.ClientID == "" || req.ClientSecret == "" {
			return errNoCredentials
		}
		return nil
	}
	if len(authorization) > 1 {
		return errMalformedBasic
	}
	id, sec, ok := parseBasic(authorization[0])
	if !ok {
		return errMalformedBasic
	}
	if p[paramClientSecret] != "" {
		return errTwoMethods
	}
	if bodyID := p[paramClientID]; bodyID != "" && bodyID != id {
		return errClientIDMismatch
	}
	req.ClientID, req.ClientSecret, req.AuthMethod = id, sec, AuthSecretBasic
	return nil
}

// parseBasic decodes HTTP Basic credentials (RFC 7617) whose two halves are
// application/x-www-form-urlencoded first, as RFC 6749 §2.3.1 requires.
func parseBasic(header string) (id, sec string, ok bool) {
	scheme, encoded, found := strings.Cut(header, " ")
	if !found || !strings.EqualFold(scheme, "Basic") {
		return "", "", false
	}
	decoded, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil {
		return "", "", false
	}
	rawID, rawSecret, found := strings.Cut(string(decoded), ":")
	if !found {
		return "", "", false
	}
	id, errID := url.QueryUnescape(rawID)
	sec, errSecret := url.QueryUnescape(rawSecret)
	if errID != nil || errSecret != nil || id == "" || sec == "" {
		return "", "", false
	}
	return id, sec, true
}

// dummyDigest stands in for the secrets of an unknown client, so that a
// request for one costs what a request with a wrong secret costs.
var dummyDigest = secret.Digest("mint_unknown-client-dummy-secret")

// authenticate checks the client's secret against every secret it has.
func (e *Endpoint) authenticate(ctx context.Context, req *Request) error {
	secrets, err := e.Store.ListSecrets(ctx, req.ClientID)
	if err != nil && !errors.Is(err, mint.ErrNotFound) {
		return oauth.ErrServer.WithCause(err)
	}
	if matchSecret(req.ClientSecret, secrets, e.now()) {
		return nil
	}
	e.log().InfoContext(ctx, "client authentication failed", "client_id", req.ClientID)
	if req.AuthMethod == AuthSecretBasic {
		return errAuthFailed.WithHeader("WWW-Authenticate", basicChallenge)
	}
	return errAuthFailed
}

// matchSecret reports whether presented matches a live secret. It compares
// against every secret, live or not, without stopping at a match, and against
// a dummy digest when there is none, so its cost does not say which secret
// matched or whether the client exists.
func matchSecret(presented string, secrets []mint.Secret, now time.Time) bool {
	digest := secret.Digest(presented)
	if len(secrets) == 0 {
		secret.MatchDigest(digest, dummyDigest)
		return false
	}
	matched := false
	for _, s := range secrets {
		ok := secret.MatchDigest(digest, s.Digest)
		live := s.Live(now)
		matched = matched || (ok && live)
	}
	return matched
}
