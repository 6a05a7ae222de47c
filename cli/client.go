package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/mintauth/mint"
	"github.com/mintauth/mint/internal/redirect"
)

// maxAnswer bounds what is read of any answer, so that a misbehaving server
// cannot make the CLI buffer without end.
const maxAnswer = 8 << 20

// tokenRequest is the JSON body of a client credentials token request, as
// the seed pages and Auth0 write it.
type tokenRequest struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	Audience     string `json:"audience,omitempty"`
	Scope        string `json:"scope,omitempty"`
	GrantType    string `json:"grant_type"`
}

// tokenAnswer is the part of the RFC 6749 §5.1 answer the CLI uses.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
}

// adminAPI calls the admin API with a bearer token.
type adminAPI struct {
	http   *http.Client
	server string // without trailing slash
	token  string
}

// fetchToken asks tokenURL for a token and returns the answer's JSON and
// access token. An invalid_client refusal is marked as an auth failure.
func fetchToken(ctx context.Context, hc *http.Client, tokenURL string, req tokenRequest) (json.RawMessage, string, error) {
	req.GrantType = "client_credentials"
	body, err := send(ctx, hc, http.MethodPost, tokenURL, "", req)
	if err != nil {
		var remote *remoteError
		if asRemote(err, &remote) && (remote.Code == "invalid_client" || remote.Status == http.StatusUnauthorized) {
			remote.Auth = true
		}
		return nil, "", err
	}
	var ans tokenAnswer
	if err := json.Unmarshal(body, &ans); err != nil || ans.AccessToken == "" {
		return nil, "", &transportError{msg: fmt.Sprintf("%s answered without an access_token", tokenURL)}
	}
	return body, ans.AccessToken, nil
}

// connectAdmin gets a token for mint's admin API, all granted scopes, and
// returns a client for the API. Any refusal of that token is an auth failure:
// these credentials cannot administer this server.
func connectAdmin(ctx context.Context, hc *http.Client, o *options) (*adminAPI, error) {
	req := tokenRequest{ClientID: o.clientID, ClientSecret: o.clientSecret, Audience: mint.AdminAudience}
	_, tok, err := fetchToken(ctx, hc, o.server+"/oauth/token", req)
	var remote *remoteError
	if asRemote(err, &remote) && remote.Status < 500 {
		remote.Auth = true
		remote.Hint = "these credentials cannot get a token for mint's admin API (" + mint.AdminAudience + ")"
	}
	if err != nil {
		return nil, err
	}
	return &adminAPI{http: hc, server: o.server, token: tok}, nil
}

// do calls the admin API at path (under /admin/v1) with in as the JSON body
// when it is not nil. It returns the answer's JSON, nil for 204.
func (a *adminAPI) do(ctx context.Context, method, path string, in any) (json.RawMessage, error) {
	body, err := send(ctx, a.http, method, a.server+"/admin/v1"+path, a.token, in)
	var remote *remoteError
	if asRemote(err, &remote) && (remote.Status == http.StatusUnauthorized || remote.Status == http.StatusForbidden) {
		remote.Auth = true
	}
	return body, err
}

// send makes one JSON request and sorts the outcome: the body of a 2xx
// answer, a *remoteError for an error object, a *transportError otherwise.
func send(ctx context.Context, hc *http.Client, method, url, bearer string, in any) (json.RawMessage, error) {
	req, err := newRequest(ctx, method, url, bearer, in)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, unreachable(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, &transportError{msg: fmt.Sprintf("reading the answer of %s %s: %v", method, url, err)}
	}
	return sortAnswer(method, url, resp, body)
}

// unreachable describes a failed request. A refused redirect names the two
// origins only: net/http's own message quotes the whole Location.
func unreachable(err error) error {
	if rerr := (*redirect.Error)(nil); errors.As(err, &rerr) {
		return &transportError{msg: fmt.Sprintf("%v; use the address that answers itself as --server (or --token-url)", rerr)}
	}
	return &transportError{msg: fmt.Sprintf("cannot reach the server: %v", err)}
}

func newRequest(ctx context.Context, method, url, bearer string, in any) (*http.Request, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, &usageError{msg: fmt.Sprintf("bad server URL: %v", err)}
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return req, nil
}
