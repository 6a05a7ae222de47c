package token

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/mint"
)

// TestIssuedTokensVerify: every token the hot path writes, with its
// hand-built payload and the key ring's own compact signer, verifies with
// go-jose against the published key and with bearer.Verifier, for every
// algorithm mint signs with; its payload is exactly json.Marshal's of the
// claims the verifier reads back, even with an audience that needs
// escaping.
func TestIssuedTokensVerify(t *testing.T) {
	f := newFixture(t)
	e := servedEndpointWith(f, &audit.Appender{Store: f.store, Log: discardJSON()})
	for _, alg := range mint.SigningAlgorithms {
		t.Run(alg, func(t *testing.T) {
			api := mint.API{ID: "api_verify_" + alg, Name: "verify " + alg, Audience: "https://verify.test/" + alg + "?a=1&b=<2>",
				Scopes: []string{"read:orders", "write:orders"}, SigningAlg: alg}
			f.must(t, f.store.CreateAPI(context.Background(), api))
			c := f.client(t, mint.NewClientID(), time.Time{}, mint.Grant{Audience: api.Audience, Scopes: api.Scopes})
			body, _ := json.Marshal(map[string]string{"client_id": c.ID, "client_secret": c.Secret,
				"audience": api.Audience, "grant_type": "client_credentials", "scope": "write:orders read:orders"})
			r := httptest.NewRequest(http.MethodPost, "/oauth/token", io.NopCloser(bytes.NewReader(body)))
			r.Header.Set("Content-Type", jsonType)
			w := httptest.NewRecorder()
			e.ServeHTTP(w, r)
			var resp Response
			if err := json.Unmarshal(w.Body.Bytes(), &resp); w.Code != http.StatusOK || err != nil {
				t.Fatalf("status %d, %v: %s", w.Code, err, w.Body)
			}

			jws, err := jose.ParseSigned(resp.AccessToken, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(alg)})
			if err != nil {
				t.Fatalf("go-jose does not parse it: %v", err)
			}
			set := f.ring.PublicKeys()
			keys := set.Key(jws.Signatures[0].Protected.KeyID)
			if len(keys) != 1 {
				t.Fatalf("kid %q: %d published keys", jws.Signatures[0].Protected.KeyID, len(keys))
			}
			payload, err := jws.Verify(keys[0])
			if err != nil {
				t.Fatalf("go-jose does not verify it: %v", err)
			}

			v := &bearer.Verifier{Issuer: testIssuer, Audiences: []string{api.Audience}, Keys: f.ring,
				Now: func() time.Time { return f.now }}
			got, err := v.Verify(context.Background(), resp.AccessToken)
			if err != nil {
				t.Fatalf("bearer.Verifier refuses it: %v", err)
			}
			if got.ClientID != c.ID || !slices.Equal(got.Audience, []string{api.Audience}) ||
				!slices.Equal(got.Scopes, []string{"read:orders", "write:orders"}) {
				t.Errorf("bearer.Verifier read client %q audience %q scopes %q", got.ClientID, got.Audience, got.Scopes)
			}
			want, _ := json.Marshal(claims{Issuer: testIssuer, Subject: c.ID + "@clients", Audience: api.Audience,
				IssuedAt: got.IssuedAt.Unix(), Expiry: got.ExpiresAt.Unix(), ID: got.ID, ClientID: c.ID, AZP: c.ID,
				GrantType: GrantTypeClaim, Scope: "read:orders write:orders"})
			if !bytes.Equal(payload, want) {
				t.Errorf("payload\n%s\nwant json.Marshal's\n%s", payload, want)
			}
		})
	}
}
