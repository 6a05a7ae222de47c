package bench

import (
	"context"
	"io"
	"strings"
	"testing"
)

func TestHasAccessToken(t *testing.T) {
	tests := []struct {
		name string
		body string
		want bool
	}{
		{"mint's answer", `{"access_token":"eyJ.x.y","token_type":"Bearer","expires_in":86400}`, true},
		{"spaced", `{"access_token": "abc"}`, true},
		{"empty token", `{"access_token":"","token_type":"Bearer"}`, false},
		{"error object", `{"error":"invalid_client","error_description":"client authentication failed"}`, false},
		{"not a string", `{"access_token":42}`, false},
		{"truncated", `{"access_token":"`, false},
		{"empty body", ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hasAccessToken([]byte(tt.body)); got != tt.want {
				t.Errorf("hasAccessToken(%s) = %v, want %v", tt.body, got, tt.want)
			}
		})
	}
}

func TestRequestStyles(t *testing.T) {
	base := Config{URL: "http://127.0.0.1:1/oauth/token", ClientID: "id:1", ClientSecret: "s&2", Audience: "https://api"}
	tests := []struct {
		style, contentType, body, auth string
	}{
		{"json", "application/json", `{"audience":"https://api","client_id":"id:1","client_secret":"s\u00262","grant_type":"client_credentials"}`, ""},
		{"form", "application/x-www-form-urlencoded", "audience=https%3A%2F%2Fapi&client_id=id%3A1&client_secret=s%262&grant_type=client_credentials", ""},
		// RFC 6749 §2.3.1: "id%3A1:s%262" in base64.
		{"basic", "application/x-www-form-urlencoded", "audience=https%3A%2F%2Fapi&grant_type=client_credentials", "Basic aWQlM0ExOnMlMjYy"},
	}
	for _, tt := range tests {
		t.Run(tt.style, func(t *testing.T) {
			cfg := base
			cfg.Style = tt.style
			tr, err := newTokenRequest(cfg)
			if err != nil {
				t.Fatal(err)
			}
			req, err := tr.new(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(req.Body)
			if string(body) != tt.body || req.Header.Get("Content-Type") != tt.contentType || req.Header.Get("Authorization") != tt.auth {
				t.Errorf("got body %s, type %q, auth %q", body, req.Header.Get("Content-Type"), req.Header.Get("Authorization"))
			}
		})
	}
	t.Run("unknown", func(t *testing.T) {
		cfg := base
		cfg.Style = "xml"
		if _, err := newTokenRequest(cfg); err == nil || !strings.Contains(err.Error(), "xml") {
			t.Errorf("style xml: err = %v, want one naming it", err)
		}
	})
}
