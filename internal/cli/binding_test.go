package cli

import (
	"strings"
	"testing"
)

// TestTokenBindingFlag: --token-binding sets and clears the policy of an
// API and a client through a real server; other values are usage errors.
func TestTokenBindingFlag(t *testing.T) {
	h := newHarness(t)
	var api apiView
	h.mustJSON(t, &api, "apis", "create", "--name", "Bound", "--audience", "https://bound", "--token-binding", "dpop")
	if api.TokenBinding != "dpop" {
		t.Fatalf("created API token_binding = %q", api.TokenBinding)
	}
	var cleared apiView
	h.mustJSON(t, &cleared, "apis", "update", api.ID, "--token-binding", "any")
	if cleared.TokenBinding != "" {
		t.Fatalf("updated API token_binding = %q", cleared.TokenBinding)
	}
	client := h.newClient(t, "partner")
	r := h.run("clients", "update", client.id, "--token-binding", "dpop")
	r.wantCode(t, exitOK)
	if !strings.Contains(r.stdout, "token_binding") || !strings.Contains(r.stdout, "dpop") {
		t.Fatalf("clients update shows:\n%s", r.stdout)
	}
	for _, args := range [][]string{
		{"apis", "update", api.ID, "--token-binding", "DPoP"},
		{"clients", "update", client.id, "--token-binding", ""},
		{"clients", "create", "--name", "x", "--token-binding", "tls"},
	} {
		h.run(args...).wantCode(t, exitUsage)
	}
}
