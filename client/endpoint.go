package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/mintauth/mint/internal/redirect"
)

// maxTokenBody bounds what is read of a token endpoint's answer, so that a
// misbehaving server cannot make the client buffer without end.
const maxTokenBody = 1 << 20

// tokenResponse is the RFC 6749 §5.1 success object together with the
// §5.2 error members, since some servers send errors with status 200.
type tokenResponse struct {
	AccessToken      string    `json:"access_token"`
	TokenType        string    `json:"token_type"`
	ExpiresIn        expiresIn `json:"expires_in"`
	Error            string    `json:"error"`
	ErrorDescription string    `json:"error_description"`
	ErrorURI         string    `json:"error_uri"`
}

// expiresIn is a lifetime in seconds. It accepts a JSON number or a string
// holding one, since servers send both.
type expiresIn int64

func (e *expiresIn) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if unq, err := strconv.Unquote(s); err == nil {
		s = unq
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return fmt.Errorf("expires_in %s is not a number", b)
	}
	*e = expiresIn(f)
	return nil
}

// fetchOnce makes one token request, without retries, but for a second
// try at once when the server asks for a DPoP nonce.
func (c *Config) fetchOnce(ctx context.Context) (*oauth2.Token, error) {
	tok, err := c.fetchOne(ctx)
	if c.DPoP != nil && tokenNonceChallenge(err) {
		return c.fetchOne(ctx) // the nonce is remembered now
	}
	return tok, err
}

// fetchOne sends one token request.
func (c *Config) fetchOne(ctx context.Context) (*oauth2.Token, error) {
	// The lifetime counts from before the request was sent, so that the
	// time on the wire is never counted as validity.
	start := c.now()
	req, err := c.newTokenRequest(ctx)
	if err != nil {
		return nil, err
	}
	if c.DPoP != nil {
		if err := addProof(c.DPoP, req, ""); err != nil {
			return nil, err
		}
	}
	resp, err := c.tokenClient(ctx).Do(req)
	if rerr := (*redirect.Error)(nil); errors.As(err, &rerr) {
		// Not net/http's wrapping, which quotes the whole Location.
		return nil, fmt.Errorf("client: token endpoint %w", rerr)
	}
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	rememberNonce(c.DPoP, req, resp)
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenBody))
	if err != nil {
		return nil, fmt.Errorf("client: reading token response: %w", err)
	}
	return parseTokenResponse(resp, body, start)
}

// tokenClient is the client that sends token requests, made to refuse
// every redirect: a token request carries the client's secret, and a
// token endpoint has no reason to send it anywhere else.
func (c *Config) tokenClient(ctx context.Context) *http.Client {
	return redirect.With(c.httpClient(ctx), redirect.Refuse)
}

// parseTokenResponse turns a token endpoint's answer into a token or an
// *Error. The body of a successful answer never goes into an error, since
// it may hold a token.
func parseTokenResponse(resp *http.Response, body []byte, start time.Time) (*oauth2.Token, error) {
	var tr tokenResponse
	jsonErr := json.Unmarshal(body, &tr)
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	if !ok || (jsonErr == nil && tr.Error != "") {
		e := &Error{StatusCode: resp.StatusCode, Header: resp.Header, Body: truncate(body)}
		if jsonErr == nil {
			e.Code, e.Description, e.URI = tr.Error, tr.ErrorDescription, tr.ErrorURI
		}
		return nil, e
	}
	if jsonErr != nil {
		return nil, fmt.Errorf("client: token response (%s) is not a JSON token: %w",
			resp.Header.Get("Content-Type"), jsonErr)
	}
	if tr.AccessToken == "" {
		return nil, errors.New("client: token response has no access_token")
	}
	tok := &oauth2.Token{
		AccessToken: tr.AccessToken,
		TokenType:   tr.TokenType,
		ExpiresIn:   int64(tr.ExpiresIn),
	}
	// A missing or non-positive expires_in gives no expiry: the token is
	// kept until an API rejects it.
	if tr.ExpiresIn > 0 {
		tok.Expiry = start.Add(time.Duration(tr.ExpiresIn) * time.Second)
	}
	var raw map[string]any
	_ = json.Unmarshal(body, &raw) // it parsed as an object above
	return tok.WithExtra(raw), nil
}
