package token

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// TestOAuth2Client gets tokens with golang.org/x/oauth2, the client most Go
// services use, in both of its authentication styles.
func TestOAuth2Client(t *testing.T) {
	f := newFixture(t)
	styles := []struct {
		name  string
		style oauth2.AuthStyle
	}{
		{"in_params", oauth2.AuthStyleInParams},
		{"in_header", oauth2.AuthStyleInHeader},
	}
	for _, s := range styles {
		t.Run(s.name, func(t *testing.T) {
			for _, c := range []testClient{f.multi, f.escaped} {
				cfg := f.oauth2Config(c, s.style)
				if c == f.escaped {
					cfg.Scopes, cfg.EndpointParams = nil, nil // its one grant, no scopes
				}
				tok, err := cfg.Token(context.Background())
				if err != nil {
					t.Fatalf("client %q: %v", c.ID, err)
				}
				if tok.TokenType != "Bearer" || tok.Expiry.IsZero() {
					t.Errorf("token type %q, expiry %v", tok.TokenType, tok.Expiry)
				}
				claims, _ := f.verify(t, tok.AccessToken)
				if claims.ClientID != c.ID {
					t.Errorf("client_id claim = %q, want %q", claims.ClientID, c.ID)
				}
			}
		})
		t.Run(s.name+"_wrong_secret", func(t *testing.T) {
			cfg := f.oauth2Config(testClient{ID: f.multi.ID, Secret: "mint_wrong"}, s.style)
			_, err := cfg.Token(context.Background())
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.ErrorCode != "invalid_client" || re.Response.StatusCode != 401 {
				t.Errorf("err = %v, want invalid_client 401", err)
			}
		})
	}
}

func (f *fixture) oauth2Config(c testClient, style oauth2.AuthStyle) *clientcredentials.Config {
	return &clientcredentials.Config{
		ClientID:       c.ID,
		ClientSecret:   c.Secret,
		TokenURL:       f.srv.URL + "/oauth/token",
		Scopes:         []string{"read:orders", "read:fleet"},
		EndpointParams: url.Values{"audience": {apiTOCC.Audience}},
		AuthStyle:      style,
	}
}
