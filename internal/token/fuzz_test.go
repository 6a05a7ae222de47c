package token

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/clientauth"
	"github.com/mintauth/mint/oauth"
)

// FuzzParseRequest feeds the parser arbitrary bodies in both encodings,
// Authorization headers and query strings. It must not panic; it either
// fails with a 4xx *oauth.Error or returns a request that holds what the
// later steps rely on.
func FuzzParseRequest(f *testing.F) {
	for _, seed := range []struct{ contentType, body, auth, query string }{
		{formType, "grant_type=client_credentials&client_id=a&client_secret=b&audience=x&scope=r+w", "", ""},
		{formType, "grant_type=client_credentials&resource=https%3A%2F%2Fdataloy&resource=x", basic("a", "b"), ""},
		{formType, "grant_type=client_credentials&scope=%22%5C", rawBasic("a:%zz"), ""},
		{formType + "; charset=utf-8", "a=%zz;b", "Basic !!!", "client_secret=x"},
		{jsonType, `{"client_id":"a","client_secret":"b","audience":"https://api.eu.tocc.tech","grant_type":"client_credentials"}`, "", ""},
		{jsonType, `{"grant_type":"client_credentials","scope":["a"],"x":{"y":[1,null]}}`, basic("a:b", "c d"), ""},
		{jsonType, `{"client_id":"a","client_id":"a"} {}`, "basic YTpi", "%zz"},
		{jsonType, "{\"grant_type\":\"\xff\"}", "Bearer x", ""},
		{"text/plain", "", "", ""},
		{"", "[]", "", ""},
	} {
		f.Add(seed.contentType, []byte(seed.body), seed.auth, seed.query)
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte, auth, query string) {
		r := &http.Request{
			Method: http.MethodPost,
			URL:    &url.URL{Path: "/oauth/token", RawQuery: query},
			Header: http.Header{"Content-Type": {contentType}},
			Body:   io.NopCloser(bytes.NewReader(body)),
		}
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		req, err := ParseRequest(r)
		if err != nil {
			var oe *oauth.Error
			if !errors.As(err, &oe) || oe.Status < 400 || oe.Status > 499 {
				t.Fatalf("error %v (%T) is not a 4xx *oauth.Error", err, err)
			}
			return
		}
		checkParsed(t, req)
	})
}

func checkParsed(t *testing.T, req *Request) {
	c := req.Credentials
	switch c.Method {
	case clientauth.SecretBasic, clientauth.SecretPost:
		if c.ClientID == "" || c.Secret == "" || c.Assertion != "" || req.ClientID != c.ClientID {
			t.Fatalf("parsed incomplete secret credentials: %+v", req)
		}
	case clientauth.PrivateKeyJWT:
		if c.Assertion == "" || c.Secret != "" {
			t.Fatalf("parsed incomplete assertion credentials: %+v", req)
		}
	default:
		t.Fatalf("auth method %q", c.Method)
	}
	if req.GrantType != GrantType {
		t.Fatalf("parsed an incomplete request: %+v", req)
	}
	if req.AudienceParam != paramAudience && req.AudienceParam != paramResource {
		t.Fatalf("audience param %q", req.AudienceParam)
	}
	for i, s := range req.Scopes {
		if !validScopeToken(s) || slices.Contains(req.Scopes[:i], s) {
			t.Fatalf("scope %q in %q", s, req.Scopes)
		}
	}
}

// TestRequestLogValue: a Request can be logged without its secret.
func TestRequestLogValue(t *testing.T) {
	var buf bytes.Buffer
	req := &Request{GrantType: GrantType, ClientID: "client-1",
		Credentials: clientauth.Credentials{Method: clientauth.SecretPost, ClientID: "client-1", Secret: "mint_s3cret"}}
	slog.New(slog.NewTextHandler(&buf, nil)).Info("parsed", "request", req)
	if out := buf.String(); strings.Contains(out, "mint_s3cret") || !strings.Contains(out, "client-1") {
		t.Errorf("log line: %s", out)
	}
}
