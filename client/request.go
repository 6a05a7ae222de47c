package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// jsonTokenRequest is the body of a StyleJSON token request, as in the seed
// pages; audience and scope are left out when empty.
type jsonTokenRequest struct {
	GrantType    string `json:"grant_type"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret,omitempty"` // none: a certificate authenticates
	Audience     string `json:"audience,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

// newTokenRequest builds one token request in c's dialect. It is built
// afresh for every attempt because a sent body cannot be sent again.
func (c *Config) newTokenRequest(ctx context.Context) (*http.Request, error) {
	if c.TokenURL == "" {
		return nil, errors.New("client: Config.TokenURL is empty")
	}
	if c.certErr != nil {
		return nil, c.certErr
	}
	body, contentType, err := c.tokenRequestBody()
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.TokenURL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	if c.Style == StyleFormBasic && c.ClientSecret != "" {
		// RFC 6749 §2.3.1: each part is form-urlencoded before the
		// Basic encoding, which SetBasicAuth alone would not do.
		req.SetBasicAuth(url.QueryEscape(c.ClientID), url.QueryEscape(c.ClientSecret))
	}
	return req, nil
}

// tokenRequestBody returns the body of a token request and its media type.
func (c *Config) tokenRequestBody() ([]byte, string, error) {
	scope := strings.Join(c.Scopes, " ")
	switch c.Style {
	case StyleJSON:
		b, err := json.Marshal(jsonTokenRequest{
			GrantType:    "client_credentials",
			ClientID:     c.ClientID,
			ClientSecret: c.ClientSecret,
			Audience:     c.Audience,
			Scope:        scope,
		})
		return b, "application/json", err
	case StyleFormPost, StyleFormBasic:
		form := url.Values{"grant_type": {"client_credentials"}}
		switch {
		case c.ClientSecret == "":
			// RFC 8705 §2: the client names itself, its TLS client
			// certificate authenticates it.
			form.Set("client_id", c.ClientID)
		case c.Style == StyleFormPost:
			form.Set("client_id", c.ClientID)
			form.Set("client_secret", c.ClientSecret)
		}
		if c.Audience != "" {
			form.Set("audience", c.Audience)
		}
		if scope != "" {
			form.Set("scope", scope)
		}
		return []byte(form.Encode()), "application/x-www-form-urlencoded", nil
	}
	return nil, "", errors.New("client: unknown Config.Style " + c.Style.String())
}
