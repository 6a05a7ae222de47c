package admin

import (
	"context"
	"strings"
	"testing"
	"time"
)

// publicJWK is the public half of privateJWK (RFC 8037 §A.2).
const publicJWK = `{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k1"}`

// TestClientKeysAndIntrospection: jwks and introspect_all on create,
// GET and PATCH.
func TestClientKeysAndIntrospection(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var c clientWithSecret
	h.json("POST", "/admin/v1/clients", `{"name":"signer","jwks":{"keys":[`+publicJWK+`]},"introspect_all":true}`, 201, &c)
	if !c.IntrospectAll || !strings.Contains(string(c.JWKS), `"kid":"k1"`) {
		t.Errorf("created %+v", c)
	}
	stored, err := h.store.GetClient(context.Background(), c.ClientID)
	if err != nil || !stored.IntrospectAll || !strings.Contains(string(stored.JWKS), "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo") {
		t.Fatalf("stored %+v, %v", stored, err)
	}
	var got clientView
	h.json("GET", "/admin/v1/clients/"+c.ClientID, nil, 200, &got)
	if !got.IntrospectAll || !strings.Contains(string(got.JWKS), `"crv":"Ed25519"`) {
		t.Errorf("get %+v", got)
	}
	h.json("PATCH", "/admin/v1/clients/"+c.ClientID, `{"introspect_all":false,"jwks":null}`, 200, &got)
	if got.IntrospectAll || got.JWKS == nil {
		t.Errorf("patch introspect_all only: %+v", got)
	}
	var cleared clientView
	a := h.json("PATCH", "/admin/v1/clients/"+c.ClientID, `{"jwks":{"keys":[]}}`, 200, &cleared)
	if cleared.JWKS != nil || strings.Contains(string(a.body), `"jwks"`) {
		t.Errorf("keys not removed: %s", a.body)
	}
}

// TestRevokeTokensOnRotate: rotate-secret with revoke_tokens marks every
// token issued so far revoked; delete accepts revoke_tokens.
func TestRevokeTokensOnRotate(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var c clientWithSecret
	h.json("POST", "/admin/v1/clients", `{"name":"leaky"}`, 201, &c)
	h.now = h.now.Add(time.Minute)
	h.json("POST", "/admin/v1/clients/"+c.ClientID+"/rotate-secret", `{"old_secret_ttl":60}`, 200, nil)
	var got clientView
	h.json("GET", "/admin/v1/clients/"+c.ClientID, nil, 200, &got)
	if got.TokensRevokedBefore != nil {
		t.Fatalf("rotation without revoke_tokens revoked: %v", got.TokensRevokedBefore)
	}
	h.now = h.now.Add(time.Minute)
	h.json("POST", "/admin/v1/clients/"+c.ClientID+"/rotate-secret", `{"revoke_tokens":true}`, 200, nil)
	h.json("GET", "/admin/v1/clients/"+c.ClientID, nil, 200, &got)
	if got.TokensRevokedBefore == nil || !got.TokensRevokedBefore.Equal(h.now) {
		t.Fatalf("tokens_revoked_before %v, want %v", got.TokensRevokedBefore, h.now)
	}
	h.json("DELETE", "/admin/v1/clients/"+c.ClientID+"?revoke_tokens=true", nil, 204, nil)
	h.json("GET", "/admin/v1/clients/"+c.ClientID, nil, 404, nil)
}

// TestSecretLastUsed: GET shows last_used_at once a use is recorded.
func TestSecretLastUsed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var c clientWithSecret
	h.json("POST", "/admin/v1/clients", `{"name":"busy"}`, 201, &c)
	secrets := h.secrets(c.ClientID, c.ClientSecret)
	used := h.now.Add(90 * time.Second)
	if err := h.store.RecordSecretUse(context.Background(), map[string]time.Time{secrets[0].ID: used}); err != nil {
		t.Fatal(err)
	}
	secrets = h.secrets(c.ClientID, c.ClientSecret)
	if secrets[0].LastUsedAt == nil || !secrets[0].LastUsedAt.Equal(used) {
		t.Errorf("last_used_at %v, want %v", secrets[0].LastUsedAt, used)
	}
}
