package token

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/oauth"
)

// TestObserve: Observe hears of every request once, with the client only
// once it is authenticated, the audience only once its grant is found, and
// the token's algorithm, lifetime, scope and jti when one is issued.
func TestObserve(t *testing.T) {
	f := newFixture(t)
	var got []Outcome
	e := &Endpoint{Store: f.store, Keys: f.ring, Issuer: testIssuer, Now: func() time.Time { return f.now },
		Observe: func(_ context.Context, o Outcome) { got = append(got, o) }}
	wrongSecret := f.multi
	wrongSecret.Secret += "x"
	cases := []struct {
		name                   string
		req                    httpCase
		client, audience, code string
		lifetime               time.Duration
	}{
		{"issued", basicForm(f.multi, "audience", apiLinker.Audience), f.multi.ID, apiLinker.Audience, "", 2 * time.Hour},
		{"bad secret", basicForm(wrongSecret, "audience", apiLinker.Audience), "", "", oauth.ErrInvalidClient.Code, 0},
		{"no grant", basicForm(f.one, "audience", apiLinker.Audience), f.one.ID, "", oauth.ErrInvalidTarget.Code, 0},
		{"bad scope", basicForm(f.one, "scope", "admin"), f.one.ID, apiSingle.Audience, oauth.ErrInvalidScope.Code, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got = nil
			r := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(c.req.body))
			r.Header.Set("Content-Type", c.req.contentType)
			r.Header.Set("Authorization", c.req.auth)
			w := httptest.NewRecorder()
			e.ServeHTTP(w, r)
			if len(got) != 1 {
				t.Fatalf("observed %d outcomes, want 1", len(got))
			}
			o := got[0]
			code := ""
			if o.Err != nil {
				code = o.Err.Code
			}
			if o.ClientID != c.client || o.Audience != c.audience || code != c.code || o.Duration <= 0 {
				t.Errorf("outcome %+v: want client %q, audience %q, error %q", o, c.client, c.audience, c.code)
			}
			body, _ := io.ReadAll(w.Body)
			if c.code == "" && (o.Alg != "RS256" || o.Lifetime != c.lifetime || o.TokenID == "" || o.Signing <= 0 ||
				!strings.Contains(string(body), strings.Join(o.Scopes, " "))) {
				t.Errorf("issued outcome %+v for %s", o, body)
			}
		})
	}
}
