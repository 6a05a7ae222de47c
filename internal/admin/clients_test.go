package admin

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/secret"
)

func TestClientLifecycle(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var c clientWithSecret
	a := h.json("POST", "/admin/v1/clients", `{"name":"billing"}`, 201, &c)
	if loc := a.header.Get("Location"); loc != "/admin/v1/clients/"+c.ClientID {
		t.Errorf("Location %q", loc)
	}
	if len(c.ClientID) != 32 || !strings.HasPrefix(c.ClientSecret, secret.Prefix) || c.Name != "billing" {
		t.Errorf("created client %+v", c)
	}
	assertSecretStored(t, h, c.ClientID, c.ClientSecret)

	var got clientView
	a = h.json("GET", "/admin/v1/clients/"+c.ClientID, nil, 200, &got)
	assertNoSecret(t, a.body, c.ClientSecret)
	if got.ClientID != c.ClientID || len(got.Secrets) != 1 || got.Secrets[0].ExpiresAt != nil ||
		got.Secrets[0].LastUsedAt != nil || !got.Secrets[0].CreatedAt.Equal(h.now) {
		t.Errorf("get client %s", a.body)
	}

	h.now = h.now.Add(time.Minute)
	h.json("PATCH", "/admin/v1/clients/"+c.ClientID, `{}`, 200, &got)
	if got.Name != "billing" {
		t.Errorf("empty patch changed the name to %q", got.Name)
	}
	h.json("PATCH", "/admin/v1/clients/"+c.ClientID, `{"name":"invoicing"}`, 200, &got)
	if got.Name != "invoicing" || !got.UpdatedAt.Equal(h.now) || !got.CreatedAt.Equal(c.CreatedAt) {
		t.Errorf("patched client %+v", got)
	}

	var list []clientView
	a = h.json("GET", "/admin/v1/clients", nil, 200, &list)
	assertNoSecret(t, a.body, c.ClientSecret)
	// The harness's own admin client is there too; the clock stands still,
	// so the two list in ID order.
	invoicing := slices.IndexFunc(list, func(v clientView) bool { return v.ClientID == c.ClientID })
	if len(list) != 2 || invoicing < 0 || list[invoicing].Name != "invoicing" || len(list[invoicing].Secrets) != 1 ||
		list[1-invoicing].ClientID != testAdminClient || list[0].ClientID > list[1].ClientID {
		t.Errorf("list %s", a.body)
	}

	h.json("DELETE", "/admin/v1/clients/"+c.ClientID, nil, 204, nil)
	h.json("GET", "/admin/v1/clients/"+c.ClientID, nil, 404, nil)
	if logs := h.logs.String(); strings.Contains(logs, c.ClientSecret) {
		t.Errorf("the log holds the client secret:\n%s", logs)
	}
}

// assertSecretStored checks that the newest stored secret of the client is
// the digest of plain.
func assertSecretStored(t *testing.T, h *harness, clientID, plain string) {
	t.Helper()
	secrets, err := h.store.ListSecrets(context.Background(), clientID)
	if err != nil || len(secrets) == 0 {
		t.Fatalf("ListSecrets: %v, %d secrets", err, len(secrets))
	}
	if !secret.Match(plain, secrets[len(secrets)-1].Digest) {
		t.Errorf("the newest stored secret is not the one shown")
	}
}

func assertNoSecret(t *testing.T, body []byte, plain string) {
	t.Helper()
	if strings.Contains(string(body), plain) || strings.Contains(string(body), "client_secret") ||
		strings.Contains(string(body), "digest") {
		t.Errorf("answer shows a secret: %s", body)
	}
}

func TestRotateSecret(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var c clientWithSecret
	h.json("POST", "/admin/v1/clients", `{"name":"billing"}`, 201, &c)
	first := c.ClientSecret

	h.now = h.now.Add(time.Hour)
	var r1 clientWithSecret
	h.json("POST", "/admin/v1/clients/"+c.ClientID+"/rotate-secret", `{"old_secret_ttl":3600}`, 200, &r1)
	if r1.ClientSecret == "" || r1.ClientSecret == first || r1.ClientID != c.ClientID {
		t.Fatalf("rotate answer %+v", r1)
	}
	assertSecretStored(t, h, c.ClientID, r1.ClientSecret)
	secrets := h.secrets(c.ClientID, r1.ClientSecret)
	checkExpiry(t, secrets, h.now.Add(time.Hour), time.Time{})

	// No body: the older secrets stop now, the one kept alive above too.
	h.now = h.now.Add(time.Minute)
	var r2 clientWithSecret
	a := h.do(call{method: "POST", path: "/admin/v1/clients/" + c.ClientID + "/rotate-secret", token: h.bearer})
	if a.status != 200 {
		t.Fatalf("rotate without body: %d %s", a.status, a.body)
	}
	mustUnmarshal(t, a.body, &r2)
	if r2.ClientSecret == r1.ClientSecret || r2.ClientSecret == first {
		t.Fatal("rotation reused a secret")
	}
	secrets = h.secrets(c.ClientID, r2.ClientSecret)
	checkExpiry(t, secrets, h.now, h.now, time.Time{})

	if logs := h.logs.String(); strings.Contains(logs, r1.ClientSecret) || strings.Contains(logs, r2.ClientSecret) {
		t.Errorf("the log holds a secret:\n%s", logs)
	}
}

// TestRotateSecretZeroTTL: an explicit 0 ends the older secrets at once.
func TestRotateSecretZeroTTL(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var c clientWithSecret
	h.json("POST", "/admin/v1/clients", `{"name":"billing"}`, 201, &c)
	var r clientWithSecret
	h.json("POST", "/admin/v1/clients/"+c.ClientID+"/rotate-secret", `{"old_secret_ttl":0}`, 200, &r)
	checkExpiry(t, h.secrets(c.ClientID, r.ClientSecret), h.now, time.Time{})

	// An empty body with a JSON Content-Type, as curl -H sends it, is no TTL.
	a := h.do(call{method: "POST", path: "/admin/v1/clients/" + c.ClientID + "/rotate-secret",
		token: h.bearer, contentType: jsonCT})
	if a.status != 200 {
		t.Fatalf("rotate with empty JSON body: %d %s", a.status, a.body)
	}
	checkExpiry(t, h.secrets(c.ClientID), h.now, h.now, time.Time{})
}

// secrets GETs the client's secrets list, checking it shows no secret.
func (h *harness) secrets(clientID string, plain ...string) []secretView {
	h.t.Helper()
	var v clientView
	a := h.json("GET", "/admin/v1/clients/"+clientID, nil, 200, &v)
	for _, p := range plain {
		assertNoSecret(h.t, a.body, p)
	}
	return v.Secrets
}

// checkExpiry checks each secret's expires_at, oldest first; the zero time
// wants none.
func checkExpiry(t *testing.T, secrets []secretView, want ...time.Time) {
	t.Helper()
	if len(secrets) != len(want) {
		t.Fatalf("%d secrets, want %d", len(secrets), len(want))
	}
	for i, s := range secrets {
		switch {
		case want[i].IsZero() && s.ExpiresAt != nil:
			t.Errorf("secret %d expires at %v, want never", i, s.ExpiresAt)
		case !want[i].IsZero() && (s.ExpiresAt == nil || !s.ExpiresAt.Equal(want[i])):
			t.Errorf("secret %d expires at %v, want %v", i, s.ExpiresAt, want[i])
		}
	}
}
