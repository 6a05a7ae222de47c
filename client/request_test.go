package client

import (
	"maps"
	"net/url"
	"testing"
)

func TestStylesSendTheirDialect(t *testing.T) {
	tests := []struct {
		name     string
		style    Style
		audience string
		scopes   []string
		wantType string
		wantForm map[string]string
		wantAuth bool
	}{{
		name: "json with audience and scopes", style: StyleJSON,
		audience: "https://api.example", scopes: []string{"cargo:read", "cargo:write"},
		wantType: "application/json",
		wantForm: map[string]string{
			"grant_type": "client_credentials", "client_id": testClientID, "client_secret": testClientSecret,
			"audience": "https://api.example", "scope": "cargo:read cargo:write",
		},
	}, {
		name: "json without audience as in seed 002", style: StyleJSON,
		wantType: "application/json",
		wantForm: map[string]string{
			"grant_type": "client_credentials", "client_id": testClientID, "client_secret": testClientSecret,
		},
	}, {
		name: "form post", style: StyleFormPost, audience: "https://api.example",
		wantType: "application/x-www-form-urlencoded",
		wantForm: map[string]string{
			"grant_type": "client_credentials", "client_id": testClientID, "client_secret": testClientSecret,
			"audience": "https://api.example",
		},
	}, {
		name: "form basic", style: StyleFormBasic, audience: "https://api.example", scopes: []string{"a", "b"},
		wantType: "application/x-www-form-urlencoded",
		wantForm: map[string]string{"grant_type": "client_credentials", "audience": "https://api.example", "scope": "a b"},
		wantAuth: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTokenServer(t, 3600)
			cfg := ts.config(tt.style)
			cfg.Audience, cfg.Scopes = tt.audience, tt.scopes
			tok, err := cfg.TokenSource(testContext(t)).Token()
			if err != nil {
				t.Fatalf("Token: %v", err)
			}
			if tok.AccessToken != "tok-1" || tok.Type() != "Bearer" {
				t.Errorf("token = %q %q, want Bearer tok-1", tok.Type(), tok.AccessToken)
			}
			got := ts.last()
			if got.ContentType != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", got.ContentType, tt.wantType)
			}
			if !maps.Equal(got.Form, tt.wantForm) {
				t.Errorf("body = %v\nwant %v", got.Form, tt.wantForm)
			}
			if got.Basic != tt.wantAuth {
				t.Fatalf("Basic credentials sent = %v, want %v", got.Basic, tt.wantAuth)
			}
			if tt.wantAuth && (got.BasicUser != url.QueryEscape(testClientID) ||
				got.BasicID != testClientID || got.BasicSecret != testClientSecret) {
				t.Errorf("Basic user %q decodes to %q:%q, want form-encoded %q:%q",
					got.BasicUser, got.BasicID, got.BasicSecret, testClientID, testClientSecret)
			}
		})
	}
}

func TestScopeExtraIsKept(t *testing.T) {
	ts := newTokenServer(t, 3600)
	cfg := ts.config(StyleJSON)
	cfg.Scopes = []string{"cargo:read"}
	tok, err := cfg.TokenSource(testContext(t)).Token()
	if err != nil {
		t.Fatal(err)
	}
	if got := tok.Extra("scope"); got != "cargo:read" {
		t.Errorf(`Extra("scope") = %v, want "cargo:read"`, got)
	}
	if tok.ExpiresIn != 3600 || tok.Expiry.IsZero() {
		t.Errorf("ExpiresIn = %d, Expiry = %v; want 3600 and set", tok.ExpiresIn, tok.Expiry)
	}
}
