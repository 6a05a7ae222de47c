package tokenstate

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/mintauth/mint/internal/clientauth"
	"github.com/mintauth/mint/oauth"
)

// FuzzParseRequest feeds the introspection and revocation parser arbitrary
// bodies, Authorization headers and query strings. It must not panic; it
// fails with a 4xx *oauth.Error or returns a request with a token and
// complete credentials.
func FuzzParseRequest(f *testing.F) {
	for _, seed := range []struct{ contentType, body, auth, query string }{
		{"application/x-www-form-urlencoded", "token=abc&client_id=a&client_secret=b", "", ""},
		{"application/x-www-form-urlencoded", "token=abc&token_type_hint=refresh_token", "Basic YTpi", ""},
		{"application/x-www-form-urlencoded", "token=a&client_assertion_type=" + url.QueryEscape(clientauth.AssertionType) + "&client_assertion=x.y.z", "", ""},
		{"application/json", `{"token":"abc","client_id":"a","client_secret":"b"}`, "", ""},
		{"application/json", `{"token":["a"],"x":{}}`, "Basic !!", "client_secret=x"},
		{"text/plain", "token=a", "", ""},
	} {
		f.Add(seed.contentType, []byte(seed.body), seed.auth, seed.query)
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte, auth, query string) {
		r := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: IntrospectionPath, RawQuery: query},
			Header: http.Header{"Content-Type": {contentType}}, Body: nopCloser{bytes.NewReader(body)}}
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		req, err := ParseRequest(r)
		if err != nil {
			var e *oauth.Error
			if !errors.As(err, &e) || e.Status < 400 || e.Status > 499 {
				t.Fatalf("error %v (%T) is not a 4xx *oauth.Error", err, err)
			}
			return
		}
		c := req.Credentials
		if req.Token == "" || (c.Secret == "" && c.Assertion == "") || (c.Secret != "" && c.Assertion != "") {
			t.Fatalf("parsed an incomplete request: %+v", req)
		}
	})
}

type nopCloser struct{ *bytes.Reader }

func (nopCloser) Close() error { return nil }
