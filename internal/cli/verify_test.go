package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestVerify(t *testing.T) {
	h := newHarness(t)
	for _, aud := range []string{"https://dataloy", "https://dataloy.dev"} {
		h.run("apis", "create", "--name", aud, "--audience", aud, "--scope", "read:cargo").wantCode(t, exitOK)
	}
	client := h.newClient(t, "cargo sync")
	h.run("grants", "create", "--client-id", client.id, "--audience", "https://dataloy", "--scope", "read:cargo").wantCode(t, exitOK)
	r := h.runAs(client, "token", "--audience", "https://dataloy")
	r.wantCode(t, exitOK)
	token := strings.TrimSpace(r.stdout)

	t.Run("valid for its audience", func(t *testing.T) {
		r := h.run("verify", "--audience", "https://dataloy", token)
		r.wantCode(t, exitOK)
		r.wantStdout(t, "valid", client.id, "read:cargo")
	})
	t.Run("valid as JSON", func(t *testing.T) {
		r := h.run("verify", "--audience", "https://dataloy", token, "--json")
		r.wantCode(t, exitOK)
		var c map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &c); err != nil || c["client_id"] != client.id || c["active"] != true {
			t.Errorf("claims = %v, %v", c, err)
		}
	})
	cases := []struct{ name, audience, token, stderr string }{
		{"other environment's audience", "https://dataloy.dev", token, "audience invalid"},
		{"tampered signature", "https://dataloy", token[:len(token)-4] + "AAAA", "signature invalid"},
		{"not a JWT", "https://dataloy", "hello", "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := h.run("verify", "--audience", tc.audience, tc.token)
			r.wantCode(t, exitRefused)
			r.wantStderr(t, "mint: invalid_token", tc.stderr)
		})
	}
	t.Run("no audience is a usage error", func(t *testing.T) {
		h.run("verify", token).wantCode(t, exitUsage)
	})
}
