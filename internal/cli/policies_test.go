package cli

import (
	"encoding/base64"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPolicyAndMetadataFlags: --metadata, --policy and --policy-file reach
// the admin API through a running server; a bad pair is refused before
// anything is sent, a bad policy with the server's CEL error.
func TestPolicyAndMetadataFlags(t *testing.T) {
	h := newHarness(t)
	var c clientView
	h.mustJSON(t, &c, "clients", "create", "--name", "partner", "--metadata", "tier=gold", "--metadata", "note=a=b",
		"--policy", `client.metadata.tier == "gold"`)
	h.remember(c.ClientSecret)
	if !maps.Equal(c.Metadata, map[string]string{"tier": "gold", "note": "a=b"}) || c.Policy != `client.metadata.tier == "gold"` {
		t.Fatalf("created %+v", c)
	}
	r := h.run("clients", "get", c.ClientID)
	r.wantCode(t, exitOK)
	for _, want := range []string{"metadata.tier", "gold", "metadata.note", "a=b", "policy"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("get does not show %q:\n%s", want, r.stdout)
		}
	}
	id := c.ClientID
	c = clientView{}
	h.mustJSON(t, &c, "clients", "update", id, "--metadata", "tier=silver")
	if !maps.Equal(c.Metadata, map[string]string{"tier": "silver"}) {
		t.Errorf("update --metadata: %v, want it replaced", c.Metadata)
	}
	c = clientView{}
	h.mustJSON(t, &c, "clients", "update", id, "--metadata=", "--policy", "")
	if len(c.Metadata) != 0 || c.Policy != "" {
		t.Errorf("update --metadata= --policy '': %+v", c)
	}
	for _, bad := range [][]string{
		{"--metadata", "tier"},
		{"--metadata", "=gold"},
		{"--metadata", "tïer=gold"},
		{"--metadata", "tier=a", "--metadata", "tier=b"},
		{"--metadata", "tier=\x00"},
		{"--policy", "x", "--policy-file", "f"},
	} {
		h.run(append([]string{"clients", "create", "--name", "bad"}, bad...)...).wantCode(t, exitUsage)
	}

	file := filepath.Join(t.TempDir(), "policy.cel")
	if err := os.WriteFile(file, []byte("claims({\"tier\": client.metadata.?tier.orValue(\"none\")})\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var a apiView
	h.mustJSON(t, &a, "apis", "create", "--name", "Orders", "--audience", "https://orders.cli.test", "--policy-file", file)
	if a.Policy != `claims({"tier": client.metadata.?tier.orValue("none")})` {
		t.Errorf("apis create --policy-file: policy %q", a.Policy)
	}
	r = h.run("apis", "update", a.ID, "--policy", `claims({"sub": "admin"})`)
	if r.code == exitOK || !strings.Contains(r.stderr, "registered") {
		t.Errorf("a policy setting sub: exit %d, stderr %s", r.code, r.stderr)
	}
}

// TestPolicyThroughTheServer: a policy saved with the CLI shapes the
// tokens mint serve issues: the claim added, and a refusal with its
// reason as the CLI shows it.
func TestPolicyThroughTheServer(t *testing.T) {
	h := newHarness(t)
	var a apiView
	h.mustJSON(t, &a, "apis", "create", "--name", "Orders", "--audience", "https://orders.served.test", "--scope", "read",
		"--policy", `claims({"tier": client.metadata.?tier.orValue("none")})`)
	var c clientView
	h.mustJSON(t, &c, "clients", "create", "--name", "partner", "--metadata", "tier=gold")
	h.remember(c.ClientSecret)
	h.run("grants", "create", "--client", c.ClientID, "--audience", a.Audience, "--scope", "read").wantCode(t, exitOK)
	partner := creds{id: c.ClientID, secret: c.ClientSecret}

	r := h.runAs(partner, "token", "--audience", a.Audience)
	r.wantCode(t, exitOK)
	parts := strings.Split(strings.TrimSpace(r.stdout), ".")
	if len(parts) != 3 {
		t.Fatalf("token %q", r.stdout)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || !strings.Contains(string(payload), `"tier":"gold"`) {
		t.Errorf("token payload %s (%v): want the tier claim", payload, err)
	}

	h.run("clients", "update", c.ClientID, "--policy", `deny("partner paused")`).wantCode(t, exitOK)
	r = h.runAs(partner, "token", "--audience", a.Audience)
	if r.code == exitOK || !strings.Contains(r.stderr, "unauthorized_client") || !strings.Contains(r.stderr, "partner paused") {
		t.Errorf("token after deny: exit %d, stderr %s", r.code, r.stderr)
	}
}
