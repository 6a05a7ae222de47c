package admin

import (
	"regexp"
	"testing"
	"time"
)

// kidPattern matches the RFC 7638 thumbprints in a body, so that golden
// bodies do not depend on the random keys.
var kidPattern = regexp.MustCompile(`"kid":"[A-Za-z0-9_-]{43}"`)

func stableKIDs(body []byte) []byte {
	n := 0
	seen := map[string]string{}
	return kidPattern.ReplaceAllFunc(body, func(m []byte) []byte {
		if _, ok := seen[string(m)]; !ok {
			n++
			seen[string(m)] = `"kid":"KID-` + itoa(int64(n)) + `"`
		}
		return []byte(seen[string(m)])
	})
}

func TestKeys(t *testing.T) {
	h := newHarness(t)
	read, write := h.token("keys:read"), h.token("keys:write")
	start := h.now

	steps := []struct {
		name   string
		at     time.Duration // after start
		call   call
		status int
	}{
		{"list", 0, call{method: "GET", path: "/admin/v1/keys", token: read}, 200},
		{"rotate", 0, call{method: "POST", path: "/admin/v1/keys/rotate", token: write}, 202},
		{"rotate_again_while_one_waits", time.Minute, call{method: "POST", path: "/admin/v1/keys/rotate", token: write,
			contentType: "application/json", body: `{"algorithm":"RS256"}`}, 409},
		{"list_after_activation", 10 * time.Minute, call{method: "GET", path: "/admin/v1/keys", token: read}, 200},
		{"rotate_immediate_ES256", 11 * time.Minute, call{method: "POST", path: "/admin/v1/keys/rotate", token: write,
			contentType: "application/json", body: `{"algorithm":"ES256","immediate":true}`}, 200},
		{"rotate_unknown_algorithm", 11 * time.Minute, call{method: "POST", path: "/admin/v1/keys/rotate", token: write,
			contentType: "application/json", body: `{"algorithm":"HS256"}`}, 400},
		{"list_needs_keys_read", 11 * time.Minute, call{method: "GET", path: "/admin/v1/keys", token: h.token("apis:read")}, 403},
		{"rotate_needs_keys_write", 11 * time.Minute, call{method: "POST", path: "/admin/v1/keys/rotate", token: read}, 403},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			h.now = start.Add(st.at)
			a := h.do(st.call)
			if a.status != st.status {
				t.Fatalf("status %d, want %d; body %s", a.status, st.status, a.body)
			}
			golden(t, stableKIDs(a.body))
		})
	}
}

func TestSigningAlg(t *testing.T) {
	h := newHarness(t)
	var api apiView
	h.json("POST", "/admin/v1/apis", `{"name":"Orders","audience":"https://orders"}`, 201, &api)
	if api.SigningAlg != "RS256" {
		t.Errorf("default signing_alg = %q, want RS256", api.SigningAlg)
	}
	h.json("PATCH", "/admin/v1/apis/"+api.ID, `{"signing_alg":"EdDSA"}`, 200, &api)
	if api.SigningAlg != "EdDSA" {
		t.Errorf("patched signing_alg = %q, want EdDSA", api.SigningAlg)
	}
	if h.ring.SigningKeyID("EdDSA") == "" {
		t.Error("choosing EdDSA made no EdDSA key: its first token would name a key not yet published")
	}
	h.json("POST", "/admin/v1/apis", `{"name":"Ledger","audience":"https://ledger","signing_alg":"PS256"}`, 201, &api)
	if api.SigningAlg != "PS256" {
		t.Errorf("created signing_alg = %q, want PS256", api.SigningAlg)
	}
	for _, body := range []string{`{"signing_alg":"HS256"}`, `{"signing_alg":"none"}`, `{"signing_alg":"rs256"}`} {
		a := h.json("PATCH", "/admin/v1/apis/"+api.ID, body, 400, nil)
		golden(t, a.body)
	}
}
