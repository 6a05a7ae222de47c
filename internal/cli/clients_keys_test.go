package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// publicJWKS is the Ed25519 public key of RFC 8037 §A.2.
const publicJWKS = `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k1"}]}`

// TestClientKeyFlags: --jwks-file, --introspect-all and --revoke-tokens
// reach the admin API.
func TestClientKeyFlags(t *testing.T) {
	h := newHarness(t)
	file := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(file, []byte(publicJWKS), 0o600); err != nil {
		t.Fatal(err)
	}
	var c clientView
	h.mustJSON(t, &c, "clients", "create", "--name", "signer", "--jwks-file", file, "--introspect-all")
	h.secrets = append(h.secrets, c.ClientSecret)
	if !c.IntrospectAll || c.JWKS == nil || len(c.JWKS.Keys) != 1 || c.JWKS.Keys[0].KeyID != "k1" {
		t.Fatalf("created %+v", c)
	}
	r := h.run("clients", "get", c.ClientID)
	r.wantCode(t, exitOK)
	if !strings.Contains(r.stdout, "OKP k1") || !strings.Contains(r.stdout, "introspect_all") {
		t.Errorf("get:\n%s", r.stdout)
	}
	h.mustJSON(t, &c, "clients", "update", c.ClientID, "--introspect-all=false")
	if c.IntrospectAll || c.JWKS == nil {
		t.Errorf("update --introspect-all=false: %+v", c)
	}
	var rotated clientView
	h.mustJSON(t, &rotated, "clients", "rotate-secret", c.ClientID, "--revoke-tokens")
	h.secrets = append(h.secrets, rotated.ClientSecret)
	h.mustJSON(t, &c, "clients", "get", c.ClientID)
	if c.TokensRevokedBefore == "" {
		t.Errorf("rotate-secret --revoke-tokens: %+v", c)
	}
	h.run("clients", "update", c.ClientID).wantCode(t, exitUsage)
	h.run("clients", "create", "--name", "x", "--jwks-file", filepath.Join(t.TempDir(), "none")).wantCode(t, exitUsage)
	h.run("clients", "delete", c.ClientID, "--revoke-tokens").wantCode(t, exitOK)
}
