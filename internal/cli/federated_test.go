package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFederatedCommands: add, list, get and delete reach the admin API
// with every flag, and a malformed --claim is a usage error.
func TestFederatedCommands(t *testing.T) {
	h := newHarness(t)
	var c clientView
	h.mustJSON(t, &c, "clients", "create", "--name", "deployer")
	h.secrets = append(h.secrets, c.ClientSecret)
	var fc federatedView
	h.mustJSON(t, &fc, "federated", "add", c.ClientID,
		"--issuer", "https://token.actions.githubusercontent.com", "--subject", "repo:acme/deploy:ref:refs/heads/main",
		"--claim", "repository_owner=acme", "--claim", "job_workflow_ref=acme/*/.github/workflows/deploy.yml@refs/heads/main",
		"--max-age", "600", "--audience", "https://mint.partner.example")
	if fc.ClientID != c.ClientID || fc.MaxAge != 600 || fc.Audience != "https://mint.partner.example" ||
		fc.Claims["repository_owner"] != "acme" || len(fc.Claims) != 2 {
		t.Fatalf("added %+v", fc)
	}
	r := h.run("federated", "list", c.ClientID)
	r.wantCode(t, exitOK)
	r.wantStdout(t, fc.ID, "https://token.actions.githubusercontent.com", "repo:acme/deploy:ref:refs/heads/main")
	r = h.run("federated", "get", c.ClientID, fc.ID)
	r.wantCode(t, exitOK)
	r.wantStdout(t, "claim job_workflow_ref", "acme/*/.github/workflows/deploy.yml@refs/heads/main", "600s")
	h.run("federated", "add", c.ClientID, "--issuer", "https://i.example", "--subject", "s", "--claim", "novalue").wantCode(t, exitUsage)
	h.run("federated", "add", c.ClientID, "--issuer", "https://i.example").wantCode(t, exitUsage)
	bad := h.run("federated", "add", c.ClientID, "--issuer", "http://i.example", "--subject", "s")
	if bad.code == exitOK || !strings.Contains(bad.stderr, "https") {
		t.Errorf("http issuer: exit %d, stderr %s", bad.code, bad.stderr)
	}
	var keys federatedView
	h.mustJSON(t, &keys, "federated", "add", c.ClientID, "--jwks-uri", "https://keys.partner.example/jwks.json")
	if keys.Issuer != c.ClientID || keys.Subject != c.ClientID {
		t.Errorf("key location added as %+v", keys)
	}
	var svid federatedView
	h.mustJSON(t, &svid, "federated", "add", c.ClientID, "--trust-domain", "example.org",
		"--bundle-endpoint", "https://spire.example.org/bundle", "--subject", "spiffe://example.org/ns/prod/sa/*")
	if svid.Issuer != "spiffe://example.org" || svid.JWKSURI != "https://spire.example.org/bundle" || svid.Subject != "spiffe://example.org/ns/prod/sa/*" {
		t.Errorf("SPIFFE rule added as %+v", svid)
	}
	bundle := filepath.Join(t.TempDir(), "bundle.json")
	if err := os.WriteFile(bundle, []byte(`{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","use":"jwt-svid",`+
		`"x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var static federatedView
	h.mustJSON(t, &static, "federated", "add", c.ClientID, "--trust-domain", "example.org",
		"--bundle-file", bundle, "--subject", "spiffe://example.org/a")
	if static.Issuer != "spiffe://example.org" || static.JWKSURI != "" {
		t.Errorf("static SPIFFE rule added as %+v", static)
	}
	h.run("federated", "add", c.ClientID, "--trust-domain", "example.org", "--issuer", "spiffe://example.org",
		"--bundle-endpoint", "https://spire.example.org/bundle", "--subject", "spiffe://example.org/a").wantCode(t, exitUsage)
	h.run("federated", "delete", c.ClientID, fc.ID).wantCode(t, exitOK)
	h.run("federated", "get", c.ClientID, fc.ID).wantCode(t, exitRefused)
}
