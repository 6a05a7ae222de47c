package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/mintauth/mint/internal/mint"
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
	ExpiresIn   int64  `json:"expires_in"`
}

// adminAPI calls the admin API with a bearer token.
type adminAPI struct {
	http   *http.Client
	server string // without trailing slash
	token  string
	// cached is set while token came from the cache: a 401 then means it
	// was revoked or the server's keys changed, and a fresh one is asked
	// for once.
	cached bool
	cache  tokenCache
	creds  tokenRequest
}

// fetchToken asks tokenURL for a token and returns the answer's JSON and
// access token. An invalid_client refusal is marked as an auth failure.
func fetchToken(ctx context.Context, hc *http.Client, tokenURL string, req tokenRequest) (json.RawMessage, string, error) {
	body, ans, err := fetchTokenAnswer(ctx, hc, tokenURL, req)
	return body, ans.AccessToken, err
}

func fetchTokenAnswer(ctx context.Context, hc *http.Client, tokenURL string, req tokenRequest) (json.RawMessage, tokenAnswer, error) {
	req.GrantType = "client_credentials"
	body, err := send(ctx, hc, http.MethodPost, tokenURL, "", req)
	if err != nil {
		var remote *remoteError
		if asRemote(err, &remote) && (remote.Code == "invalid_client" || remote.Status == http.StatusUnauthorized) {
			remote.Auth = true
		}
		return nil, tokenAnswer{}, err
	}
	var ans tokenAnswer
	if err := json.Unmarshal(body, &ans); err != nil || ans.AccessToken == "" {
		return nil, tokenAnswer{}, &transportError{msg: fmt.Sprintf("%s answered without an access_token", tokenURL)}
	}
	return body, ans, nil
}

// connectAdmin returns a client for mint's admin API with a token for it:
// the cached one while it lasts, else a new one (all granted scopes), which
// is cached. Any refusal of that token is an auth failure: these credentials
// cannot administer this server.
func connectAdmin(ctx context.Context, hc *http.Client, o *options, cache tokenCache) (*adminAPI, error) {
	a := &adminAPI{http: hc, server: o.server, cache: cache,
		creds: tokenRequest{ClientID: o.clientID, ClientSecret: o.clientSecret, Audience: mint.AdminAudience}}
	if tok, ok := cache.get(time.Now()); ok {
		a.token, a.cached = tok, true
		return a, nil
	}
	return a, a.refresh(ctx)
}

// refresh gets a new admin token and caches it.
func (a *adminAPI) refresh(ctx context.Context) error {
	now := time.Now()
	_, ans, err := fetchTokenAnswer(ctx, a.http, a.server+"/oauth/token", a.creds)
	var remote *remoteError
	if asRemote(err, &remote) && remote.Status < 500 {
		remote.Auth = true
		remote.Hint = "these credentials cannot get a token for mint's admin API (" + mint.AdminAudience + ")"
	}
	if err != nil {
		return err
	}
	a.token, a.cached = ans.AccessToken, false
	a.cache.put(ans.AccessToken, ans.ExpiresIn, now)
	return nil
}

// do calls the admin API at path (under /admin/v1) with in as the JSON body
// when it is not nil. It returns the answer's JSON, nil for 204. A cached
// token the API refuses as stale is dropped, and the call made once more
// with a new one.
func (a *adminAPI) do(ctx context.Context, method, path string, in any) (json.RawMessage, error) {
	body, _, err := a.doWithHeader(ctx, method, path, in)
	return body, err
}

// doWithHeader is do, returning the answer's header too (a list's Link).
func (a *adminAPI) doWithHeader(ctx context.Context, method, path string, in any) (json.RawMessage, http.Header, error) {
	body, header, err := sendWithHeader(ctx, a.http, method, a.server+"/admin/v1"+path, a.token, in)
	var remote *remoteError
	if a.cached && asRemote(err, &remote) && staleToken(remote) {
		_ = a.cache.drop()
		if err := a.refresh(ctx); err != nil {
			return nil, nil, err
		}
		body, header, err = sendWithHeader(ctx, a.http, method, a.server+"/admin/v1"+path, a.token, in)
	}
	if asRemote(err, &remote) && (remote.Status == http.StatusUnauthorized || remote.Status == http.StatusForbidden) {
		remote.Auth = true
	}
	return body, header, err
}

// staleToken reports a refusal a new token may not get: 401 (the token was
// revoked, or its client's tokens were) or 403 insufficient_scope (a scope
// added to the client's admin grant since the token was issued, which the
// admin API does not add to it; docs/admin.md).
func staleToken(e *remoteError) bool {
	return e.Status == http.StatusUnauthorized ||
		e.Status == http.StatusForbidden && e.Code == "insufficient_scope"
}

// send makes one JSON request and sorts the outcome: the body of a 2xx
// answer, a *remoteError for an error object, a *transportError otherwise.
func send(ctx context.Context, hc *http.Client, method, url, bearer string, in any) (json.RawMessage, error) {
	body, _, err := sendWithHeader(ctx, hc, method, url, bearer, in)
	return body, err
}

// sendWithHeader is send, returning the answer's header too.
func sendWithHeader(ctx context.Context, hc *http.Client, method, url, bearer string, in any) (json.RawMessage, http.Header, error) {
	req, err := newRequest(ctx, method, url, bearer, in)
	if err != nil {
		return nil, nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, nil, unreachable(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, nil, &transportError{msg: fmt.Sprintf("reading the answer of %s %s: %v", method, url, err)}
	}
	body, err = sortAnswer(method, url, resp, body)
	return body, resp.Header, err
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
