package token

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkIssue measures the in-process hot path of a token request:
// parse, authenticate against the SQLite store, resolve the grant, sign
// with RS256 and encode the response.
func BenchmarkIssue(b *testing.B) {
	f := newFixture(b)
	e := &Endpoint{Store: f.store, Keys: f.ring, Issuer: testIssuer, Now: func() time.Time { return f.now }}
	cases := []struct {
		name string
		req  httpCase
	}{
		{"json_post", jsonReq(fmt.Sprintf(`{"client_id":%q,"client_secret":%q,"audience":%q,"grant_type":"client_credentials"}`,
			f.multi.ID, f.multi.Secret, apiTOCC.Audience))},
		{"form_basic", basicForm(f.multi, "audience", apiTOCC.Audience, "scope", "read:orders")},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			body := []byte(c.req.body)
			r := httptest.NewRequest(http.MethodPost, "/oauth/token", nil)
			r.Header.Set("Content-Type", c.req.contentType)
			if c.req.auth != "" {
				r.Header.Set("Authorization", c.req.auth)
			}
			b.ReportAllocs()
			for b.Loop() {
				r.Body = io.NopCloser(bytes.NewReader(body))
				w := httptest.NewRecorder()
				e.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
