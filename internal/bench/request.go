package bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// Styles of token request, as docs/token-endpoint.md lists them.
const (
	StyleJSON  = "json"  // JSON body with client_id and client_secret (Auth0's dialect)
	StyleForm  = "form"  // form body with client_id and client_secret (client_secret_post)
	StyleBasic = "basic" // form body, credentials in HTTP Basic (client_secret_basic)
)

// tokenRequest is one token request, encoded once and sent many times.
type tokenRequest struct {
	url         string
	body        []byte
	contentType string
	auth        string // Authorization header, for StyleBasic
}

func newTokenRequest(cfg Config) (*tokenRequest, error) {
	if _, err := url.ParseRequestURI(cfg.URL); err != nil {
		return nil, fmt.Errorf("bad token URL %q: %w", cfg.URL, err)
	}
	tr := &tokenRequest{url: cfg.URL}
	form := url.Values{"grant_type": {"client_credentials"}}
	if cfg.Audience != "" {
		form.Set("audience", cfg.Audience)
	}
	switch cfg.Style {
	case StyleJSON, "":
		m := map[string]string{"grant_type": "client_credentials", "client_id": cfg.ClientID, "client_secret": cfg.ClientSecret}
		if cfg.Audience != "" {
			m["audience"] = cfg.Audience
		}
		tr.body, _ = json.Marshal(m)
		tr.contentType = "application/json"
		return tr, nil
	case StyleForm:
		form.Set("client_id", cfg.ClientID)
		form.Set("client_secret", cfg.ClientSecret)
	case StyleBasic:
		// RFC 6749 §2.3.1: id and secret are form-encoded before base64.
		pair := url.QueryEscape(cfg.ClientID) + ":" + url.QueryEscape(cfg.ClientSecret)
		tr.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(pair))
	default:
		return nil, fmt.Errorf("unknown request style %q: want json, form or basic", cfg.Style)
	}
	tr.body = []byte(form.Encode())
	tr.contentType = "application/x-www-form-urlencoded"
	return tr, nil
}

// new returns a fresh *http.Request for one send.
func (tr *tokenRequest) new(ctx context.Context) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tr.url, bytes.NewReader(tr.body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", tr.contentType)
	if tr.auth != "" {
		req.Header.Set("Authorization", tr.auth)
	}
	return req, nil
}

// hasAccessToken reports whether body, a token answer, holds a non-empty
// "access_token" string. It scans rather than decodes, so that checking
// costs the load generator, which shares the machine with the server,
// almost nothing; mint writes compact JSON.
func hasAccessToken(body []byte) bool {
	const key = `"access_token":`
	i := bytes.Index(body, []byte(key))
	if i < 0 {
		return false
	}
	rest := bytes.TrimLeft(body[i+len(key):], " \t\r\n")
	return len(rest) >= 2 && rest[0] == '"' && rest[1] != '"'
}
