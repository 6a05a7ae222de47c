package admin

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/sqlite"
)

func TestAuth(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	now := time.Now()
	claims := func(change func(map[string]any)) string {
		c := map[string]any{
			"iss": testIssuer, "sub": testAdminClient, "aud": mint.AdminAudience,
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "jti-1",
			"client_id": testAdminClient, "scope": "apis:read",
		}
		change(c)
		return h.sign(c)
	}
	const (
		invalid = `Bearer realm="mint", error="invalid_token", error_description=`
		badSig  = invalid + `"the access token is malformed or its signature is invalid"`
	)
	tests := []struct {
		name          string
		method, path  string
		authorization string // the whole header; "" sends none
		status        int
		challenge     string
	}{
		{"missing token", "GET", "/admin/v1/apis", "", 401, `Bearer realm="mint"`},
		{"missing token on unknown path", "GET", "/admin/v1/nothing", "", 401, `Bearer realm="mint"`},
		{"basic scheme", "GET", "/admin/v1/apis", "Basic YWRtaW46YWRtaW4=", 401, `Bearer realm="mint"`},
		{"empty bearer", "GET", "/admin/v1/apis", "Bearer ", 401, `Bearer realm="mint"`},
		{"garbage", "GET", "/admin/v1/apis", "Bearer not-a-token", 401, badSig},
		{"signed by another key", "GET", "/admin/v1/apis", "Bearer " + foreignToken(t), 401, badSig},
		{"expired", "GET", "/admin/v1/apis", "Bearer " + claims(func(c map[string]any) {
			c["exp"] = now.Add(-time.Hour).Unix()
		}), 401, invalid + `"the access token expired"`},
		{"wrong audience", "GET", "/admin/v1/apis", "Bearer " + claims(func(c map[string]any) {
			c["aud"] = "https://cargo"
		}), 401, invalid + `"the access token is not for the admin API"`},
		{"wrong issuer", "GET", "/admin/v1/apis", "Bearer " + claims(func(c map[string]any) {
			c["iss"] = "https://evil.test"
		}), 401, invalid + `"the access token was not issued by this server"`},
		{"missing scope for write", "POST", "/admin/v1/apis", "Bearer " + claims(func(map[string]any) {}),
			403, `Bearer realm="mint", error="insufficient_scope", error_description="the access token lacks the scope apis:write", scope="apis:write"`},
		{"missing scope for clients", "DELETE", "/admin/v1/clients/x", "Bearer " + claims(func(map[string]any) {}),
			403, `Bearer realm="mint", error="insufficient_scope", error_description="the access token lacks the scope clients:write", scope="clients:write"`},
		{"read scope does not write", "PATCH", "/admin/v1/grants/x", "Bearer " + h.token("grants:read"),
			403, `Bearer realm="mint", error="insufficient_scope", error_description="the access token lacks the scope grants:write", scope="grants:write"`},
		{"lowercase scheme", "GET", "/admin/v1/apis", "bearer " + claims(func(map[string]any) {}), 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := call{method: tt.method, path: tt.path}
			a := h.doHeader(c, tt.authorization)
			if a.status != tt.status {
				t.Fatalf("status %d, want %d; body %s", a.status, tt.status, a.body)
			}
			if got := a.header.Get("WWW-Authenticate"); got != tt.challenge {
				t.Errorf("WWW-Authenticate\n got: %s\nwant: %s", got, tt.challenge)
			}
			if tt.status != 200 {
				golden(t, a.body)
			}
		})
	}
}

// foreignToken is a well-formed admin token signed by a key mint does not
// hold.
func foreignToken(t *testing.T) string {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "other.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ring, err := keyring.Open(ctx, store, keyring.Config{MasterKey: keyring.NewMasterKey()})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok, err := ring.Sign(ctx, mint.AlgRS256, []byte(`{"iss":"`+testIssuer+`","aud":"urn:mint:admin","exp":`+
		itoa(now.Add(time.Hour).Unix())+`,"client_id":"x","scope":"apis:read"}`))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestRevokedAdminTokensAreRefused: an admin token whose signature still
// verifies is refused once its client is gone, its client's tokens were
// revoked, or the token itself was revoked — so console sessions and CLI
// use end at once.
func TestRevokedAdminTokensAreRefused(t *testing.T) {
	cases := []struct {
		name   string
		revoke func(h *harness, jti string)
	}{
		{"client deleted", func(h *harness, _ string) {
			if err := h.store.DeleteClient(context.Background(), testAdminClient); err != nil {
				t.Fatal(err)
			}
		}},
		{"client's tokens revoked", func(h *harness, _ string) {
			_, err := h.store.UpdateClient(context.Background(), testAdminClient, func(c mint.Client) (mint.Client, error) {
				c.TokensRevokedBefore = time.Now().Add(time.Hour)
				return c, nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}},
		{"token revoked", func(h *harness, jti string) {
			err := h.store.RevokeToken(context.Background(), mint.RevokedToken{ID: jti, ClientID: testAdminClient, ExpiresAt: time.Now().Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.json("GET", "/admin/v1/apis", nil, 200, nil)
			tc.revoke(h, jtiOf(t, h.bearer))
			a := h.json("GET", "/admin/v1/apis", nil, 401, nil)
			if !strings.Contains(string(a.body), "revoked, or its client no longer exists") ||
				!strings.Contains(a.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Errorf("answer %d %s, WWW-Authenticate %q", a.status, a.body, a.header.Get("WWW-Authenticate"))
			}
		})
	}
}

func jtiOf(t *testing.T, token string) string {
	t.Helper()
	var claims struct {
		JTI string `json:"jti"`
	}
	parts := strings.Split(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(raw, &claims) != nil || claims.JTI == "" {
		t.Fatalf("no jti in %s", raw)
	}
	return claims.JTI
}
