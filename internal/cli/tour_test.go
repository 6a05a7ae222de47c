package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestTour is the walk of the README: an API, a client, a grant, a token,
// a rotated secret and the old secret refused.
func TestTour(t *testing.T) {
	h := newHarness(t)
	var (
		api     apiView
		client  creds
		rotated creds
	)
	t.Run("create API", func(t *testing.T) {
		h.mustJSON(t, &api, "apis", "create", "--name", "Dataloy", "--audience", "https://dataloy",
			"--scope", "read:cargo", "--scopes", "write:cargo read:voyage", "--token-lifetime", "3600")
		if api.Audience != "https://dataloy" || strings.Join(api.Scopes, " ") != "read:cargo write:cargo read:voyage" || api.TokenLifetime != 3600 {
			t.Errorf("created API = %+v", api)
		}
	})
	t.Run("create client", func(t *testing.T) {
		client = h.newClient(t, "cargo sync")
		if client.id == "" || len(client.secret) < 32 {
			t.Fatalf("created client = %q with a %d-character secret", client.id, len(client.secret))
		}
	})
	t.Run("create grant", func(t *testing.T) {
		r := h.run("grants", "create", "--client-id", client.id, "--audience", "https://dataloy", "--scope", "read:cargo", "--scope", "write:cargo")
		r.wantCode(t, exitOK)
		r.wantStdout(t, client.id, "https://dataloy", "read:cargo write:cargo")
	})
	t.Run("token", func(t *testing.T) {
		r := h.runAs(client, "token", "--audience", "https://dataloy")
		r.wantCode(t, exitOK)
		token := strings.TrimSuffix(r.stdout, "\n")
		if strings.ContainsAny(token, " \n") {
			t.Fatalf("stdout is not the token alone: %q", r.stdout)
		}
		claims := jwtPayload(t, token)
		if claims["aud"] != "https://dataloy" && !audienceHas(claims["aud"], "https://dataloy") {
			t.Errorf("aud = %v, want https://dataloy", claims["aud"])
		}
		if r.stderr != "" {
			t.Errorf("stderr = %q, want nothing", r.stderr)
		}
	})
	t.Run("token with scope as JSON", func(t *testing.T) {
		r := h.runAs(client, "token", "--audience", "https://dataloy", "--scope", "read:cargo", "--json")
		r.wantCode(t, exitOK)
		var ans map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &ans); err != nil {
			t.Fatal(err)
		}
		if ans["token_type"] != "Bearer" || ans["access_token"] == "" || ans["expires_in"] == nil {
			t.Errorf("token answer = %v", ans)
		}
		if scope, _ := ans["scope"].(string); scope != "" && scope != "read:cargo" {
			t.Errorf("scope = %q, want read:cargo", scope)
		}
	})
	t.Run("rotate secret", func(t *testing.T) {
		r := h.run("clients", "rotate-secret", client.id)
		r.wantCode(t, exitOK)
		rotated = creds{id: client.id, secret: tableValue(r.stdout, "client_secret")}
		h.remember(rotated.secret)
		if rotated.secret == "" || rotated.secret == client.secret {
			t.Fatalf("rotate-secret printed no new secret:\n%s", r.stdout)
		}
		r.wantStderr(t, secretWarning)
	})
	t.Run("old secret refused", func(t *testing.T) {
		r := h.runAs(client, "token", "--audience", "https://dataloy")
		r.wantCode(t, exitAuth)
		r.wantStderr(t, "mint: invalid_client")
		if r.stdout != "" {
			t.Errorf("stdout = %q, want nothing", r.stdout)
		}
	})
	t.Run("new secret works", func(t *testing.T) {
		h.runAs(rotated, "token", "--audience", "https://dataloy").wantCode(t, exitOK)
	})
	t.Run("rotate with old secret TTL", func(t *testing.T) {
		var c clientView
		h.mustJSON(t, &c, "clients", "rotate-secret", client.id, "--old-secret-ttl", "600")
		h.remember(c.ClientSecret)
		h.runAs(rotated, "token", "--audience", "https://dataloy").wantCode(t, exitOK)
		h.runAs(creds{client.id, c.ClientSecret}, "token", "--audience", "https://dataloy").wantCode(t, exitOK)
	})
}

// tableValue is the value of key in a key-value table.
func tableValue(table, key string) string {
	for _, line := range strings.Split(table, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == key {
			return f[1]
		}
	}
	return ""
}

func audienceHas(aud any, want string) bool {
	list, _ := aud.([]any)
	for _, a := range list {
		if a == want {
			return true
		}
	}
	return false
}
