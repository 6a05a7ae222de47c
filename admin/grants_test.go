package admin

import (
	"strings"
	"testing"
	"time"
)

func TestGrantLifecycle(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.fixtures()
	var other clientWithSecret
	h.json("POST", "/admin/v1/clients", `{"name":"ops"}`, 201, &other)
	var g grantView
	a := h.json("POST", "/admin/v1/grants", `{"client_id":"`+other.ClientID+`","audience":"urn:mint:admin","scopes":["apis:read"]}`, 201, &g)
	if loc := a.header.Get("Location"); loc != "/admin/v1/grants/"+g.ID {
		t.Errorf("Location %q", loc)
	}
	if g.ClientID != other.ClientID || g.Audience != "urn:mint:admin" || strings.Join(g.Scopes, " ") != "apis:read" ||
		!g.CreatedAt.Equal(h.now) {
		t.Errorf("created grant %+v", g)
	}

	var list []grantView
	h.json("GET", "/admin/v1/grants", nil, 200, &list)
	if len(list) != 2 || list[0].ID != f.grant || list[1].ID != g.ID {
		t.Errorf("all grants %+v", list)
	}
	h.json("GET", "/admin/v1/grants?client_id="+other.ClientID, nil, 200, &list)
	if len(list) != 1 || list[0].ID != g.ID {
		t.Errorf("grants of %s: %+v", other.ClientID, list)
	}
	h.json("GET", "/admin/v1/grants?client_id=nobody", nil, 200, &list)
	if list == nil || len(list) != 0 {
		t.Errorf("grants of an unknown client: %+v, want []", list)
	}

	h.now = h.now.Add(time.Minute)
	var got grantView
	h.json("PATCH", "/admin/v1/grants/"+g.ID, `{"scopes":["apis:read","clients:read"]}`, 200, &got)
	if strings.Join(got.Scopes, " ") != "apis:read clients:read" || !got.UpdatedAt.Equal(h.now) {
		t.Errorf("patched grant %+v", got)
	}
	h.json("PATCH", "/admin/v1/grants/"+g.ID, `{}`, 200, &got)
	h.json("GET", "/admin/v1/grants/"+g.ID, nil, 200, &got)
	if strings.Join(got.Scopes, " ") != "apis:read clients:read" {
		t.Errorf("empty patch changed the scopes to %v", got.Scopes)
	}

	h.json("DELETE", "/admin/v1/grants/"+g.ID, nil, 204, nil)
	h.json("GET", "/admin/v1/grants/"+g.ID, nil, 404, nil)
}

// TestRemovingAnAPIScopeKeepsGrants: an API may drop a scope a grant still
// names; the token endpoint intersects the two.
func TestRemovingAnAPIScopeKeepsGrants(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.fixtures()
	h.json("PATCH", "/admin/v1/apis/"+f.api, `{"scopes":["write:cargo"]}`, 200, nil)
	var g grantView
	h.json("GET", "/admin/v1/grants/"+f.grant, nil, 200, &g)
	if strings.Join(g.Scopes, " ") != "read:cargo" {
		t.Errorf("grant scopes %v", g.Scopes)
	}
}

func TestCascade(t *testing.T) {
	t.Parallel()
	t.Run("delete API removes its grants", func(t *testing.T) {
		h := newHarness(t)
		f := h.fixtures()
		h.json("DELETE", "/admin/v1/apis/"+f.api, nil, 204, nil)
		h.json("GET", "/admin/v1/grants/"+f.grant, nil, 404, nil)
		var list []grantView
		h.json("GET", "/admin/v1/grants?client_id="+f.client, nil, 200, &list)
		if len(list) != 0 {
			t.Errorf("grants left: %+v", list)
		}
		h.json("GET", "/admin/v1/clients/"+f.client, nil, 200, nil)
	})
	t.Run("delete client removes its grants", func(t *testing.T) {
		h := newHarness(t)
		f := h.fixtures()
		h.json("DELETE", "/admin/v1/clients/"+f.client, nil, 204, nil)
		h.json("GET", "/admin/v1/grants/"+f.grant, nil, 404, nil)
		var list []grantView
		h.json("GET", "/admin/v1/grants", nil, 200, &list)
		if len(list) != 0 {
			t.Errorf("grants left: %+v", list)
		}
		h.json("GET", "/admin/v1/apis/"+f.api, nil, 200, nil)
	})
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

// TestChangesAreLogged: each change names the admin client, the route and
// the resource.
func TestChangesAreLogged(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.fixtures()
	logs := h.logs.String()
	for _, want := range []string{
		`"route":"POST /admin/v1/apis","id":"` + f.api + `"`,
		`"route":"POST /admin/v1/clients","id":"` + f.client + `"`,
		`"route":"POST /admin/v1/grants","id":"` + f.grant + `"`,
	} {
		if !strings.Contains(logs, `"msg":"admin change","admin_client":"`+testAdminClient+`",`+want) {
			t.Errorf("no log line with %s in:\n%s", want, logs)
		}
	}
}
