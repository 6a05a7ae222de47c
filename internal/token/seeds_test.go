package token

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// TestSeeds sends each seed page's request, as the page writes it, and
// checks the answer the page promises plus the token's claims.
func TestSeeds(t *testing.T) {
	f := newFixture(t)

	t.Run("000_tocc_getToken", func(t *testing.T) {
		// POST https://auth.eu.tocc.tech/api/getToken, JSON with audience.
		c := jsonReq(fmt.Sprintf(`{"client_id":%q,"client_secret":%q,"audience":"https://api.eu.tocc.tech","grant_type":"client_credentials"}`,
			f.multi.ID, f.multi.Secret))
		c.path = "/api/getToken"
		resp, body := f.do(t, c)
		got := checkTokenResponse(t, resp, body, apiTOCC, "read:orders write:orders read:fleet")
		f.checkToken(t, got.AccessToken, f.multi.ID, apiTOCC, "read:orders write:orders read:fleet")
	})

	t.Run("001_linkervision_users_token", func(t *testing.T) {
		// POST /users/token, pretty-printed JSON, audience first.
		c := jsonReq(fmt.Sprintf("{\n    \"audience\": %q, \n    \"grant_type\": \"client_credentials\", \n    \"client_id\": %q,\n    \"client_secret\": %q\n}",
			apiLinker.Audience, f.multi.ID, f.multi.Secret))
		c.path = "/users/token"
		resp, body := f.do(t, c)
		got := checkTokenResponse(t, resp, body, apiLinker, "")
		f.checkToken(t, got.AccessToken, f.multi.ID, apiLinker, "")
	})

	t.Run("002_no_audience_expires_in", func(t *testing.T) {
		// POST /oauth/token, JSON without audience; the page reads expires_in.
		c := jsonReq(fmt.Sprintf("{\n    \"client_id\": %q,\n    \"client_secret\": %q,\n    \"grant_type\": \"client_credentials\"\n}",
			f.one.ID, f.one.Secret))
		resp, body := f.do(t, c)
		got := checkTokenResponse(t, resp, body, apiSingle, "read")
		if got.ExpiresIn != 3600 {
			t.Errorf("expires_in = %d, want 3600", got.ExpiresIn)
		}
		f.checkToken(t, got.AccessToken, f.one.ID, apiSingle, "read")
	})

	t.Run("003_dataloy_environments", func(t *testing.T) { testDataloyEnvironments(t, f) })
}

// testDataloyEnvironments: https://dataloy and https://dataloy.dev are two
// APIs; a token for one is refused by the other, and a client granted only
// production cannot get a dev token.
func testDataloyEnvironments(t *testing.T, f *fixture) {
	request := func(c testClient, audience string) httpCase {
		return jsonReq(fmt.Sprintf("{\n\"client_id\":%q,\n\"client_secret\":%q,\n\"audience\":%q,\n\"grant_type\":\"client_credentials\"\n}",
			c.ID, c.Secret, audience))
	}
	tokens := map[string]string{}
	for _, api := range []struct {
		audience string
		lifetime int64
	}{{apiDataloy.Audience, 86400}, {apiDataloyDev.Audience, 600}} {
		resp, body := f.do(t, request(f.multi, api.audience))
		wantAPI := apiDataloy
		if api.audience == apiDataloyDev.Audience {
			wantAPI = apiDataloyDev
		}
		got := checkTokenResponse(t, resp, body, wantAPI, "cargo:read")
		if got.ExpiresIn != api.lifetime {
			t.Errorf("%s: expires_in = %d, want %d", api.audience, got.ExpiresIn, api.lifetime)
		}
		f.checkToken(t, got.AccessToken, f.multi.ID, wantAPI, "cargo:read")
		tokens[api.audience] = got.AccessToken
	}
	// The dev API, validating its audience, refuses the production token.
	if err := validateFor(f, tokens[apiDataloy.Audience], apiDataloyDev.Audience); !errors.Is(err, jwt.ErrInvalidAudience) {
		t.Errorf("production token at dev: %v, want %v", err, jwt.ErrInvalidAudience)
	}
	if err := validateFor(f, tokens[apiDataloyDev.Audience], apiDataloyDev.Audience); err != nil {
		t.Errorf("dev token at dev: %v", err)
	}
	resp, body := f.do(t, request(f.prodOnly, apiDataloyDev.Audience))
	if resp.StatusCode != 400 {
		t.Errorf("prod-only client asking for dev: status %d, want 400", resp.StatusCode)
	}
	checkErrorHeaders(t, resp.Header, nil)
	golden(t, "errors/invalid_target", body)
}

// validateFor checks a token as an API with the given audience would.
func validateFor(f *fixture, raw, audience string) error {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return err
	}
	set := f.ring.PublicKeys()
	var c jwt.Claims
	if err := tok.Claims(set.Key(tok.Headers[0].KeyID)[0].Key, &c); err != nil {
		return err
	}
	return c.Validate(jwt.Expected{Issuer: testIssuer, AnyAudience: jwt.Audience{audience}, Time: f.now.Add(time.Minute)})
}
