package token

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/storecache"
)

// BenchmarkIssue measures the in-process hot path of a token request as
// mint serve runs it: parse (JSON body, or a form with HTTP Basic),
// authenticate through the store cache in front of SQLite, resolve the
// grant, sign with each algorithm, encode the response and log the
// issuance as JSON at Info (to io.Discard). Compare with keyring's
// BenchmarkSign: the difference is what mint adds to the signature.
func BenchmarkIssue(b *testing.B) {
	f := newFixture(b)
	cache := storecache.New(f.store, storecache.Options{})
	e := &Endpoint{Store: cache, Keys: f.ring, Issuer: testIssuer, Now: func() time.Time { return f.now },
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	for _, alg := range []string{mint.AlgRS256, mint.AlgES256, mint.AlgEdDSA} {
		api := mint.API{ID: "api_bench_" + alg, Name: "bench " + alg, Audience: "https://bench.test/" + alg,
			Scopes: []string{"read:orders", "write:orders"}, SigningAlg: alg}
		f.must(b, f.store.CreateAPI(context.Background(), api))
		c := f.client(b, mint.NewClientID(), time.Time{}, mint.Grant{Audience: api.Audience, Scopes: api.Scopes})
		cases := []struct {
			name string
			req  httpCase
		}{
			{"json_post", jsonReq(fmt.Sprintf(`{"client_id":%q,"client_secret":%q,"audience":%q,"grant_type":"client_credentials"}`,
				c.ID, c.Secret, api.Audience))},
			{"form_basic", basicForm(c, "audience", api.Audience, "scope", "read:orders")},
		}
		for _, tc := range cases {
			b.Run(alg+"/"+tc.name, func(b *testing.B) { benchIssue(b, e, tc.req) })
		}
	}
}

func benchIssue(b *testing.B, e *Endpoint, req httpCase) {
	body := []byte(req.body)
	r := httptest.NewRequest(http.MethodPost, "/oauth/token", nil)
	r.Header.Set("Content-Type", req.contentType)
	if req.auth != "" {
		r.Header.Set("Authorization", req.auth)
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
}
