package console_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestSessionFollowsGrant: a console session holds the admin token it
// signed in with, but what the session may do follows its client's admin
// grant as it is now: a scope removed from the grant is refused on the
// next page, a deleted grant ends the session. Before issue 13 the session
// kept the removed scopes for the token's hour.
func TestSessionFollowsGrant(t *testing.T) {
	m := startMint(t)
	var c struct {
		ID     string `json:"client_id"`
		Secret string `json:"client_secret"`
	}
	m.admin(t, "POST", "/admin/v1/clients", map[string]any{"name": "operator"}, &c)
	var g struct {
		ID string `json:"id"`
	}
	m.admin(t, "POST", "/admin/v1/grants", map[string]any{"client_id": c.ID, "audience": "urn:mint:admin",
		"scopes": []string{"apis:read", "apis:write", "clients:read"}}, &g)
	u := newUser(t, m)
	if p := u.signIn(c.ID, c.Secret); p.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d\n%s", p.StatusCode, p.Body)
	}
	if p := u.get("/console/clients"); p.StatusCode != http.StatusOK {
		t.Fatalf("clients page with clients:read: %d", p.StatusCode)
	}

	if status := m.admin(t, "PATCH", "/admin/v1/grants/"+g.ID, map[string]any{"scopes": []string{"apis:read"}}, nil); status != http.StatusOK {
		t.Fatalf("narrow the grant: %d", status)
	}
	if p := u.get("/console/clients"); p.StatusCode != http.StatusForbidden || !strings.Contains(p.Body, "clients:read") {
		t.Errorf("clients page after clients:read left the grant: %d\n%s", p.StatusCode, p.Body)
	}
	before := m.apiCount(t)
	u.get("/console/apis")
	if p := u.post("/console/apis", createAPIForm(u.csrf, "https://after-narrowing.example")); p.StatusCode != http.StatusBadRequest || !strings.Contains(p.Body, "apis:write") {
		t.Errorf("create API after apis:write left the grant: %d\n%s", p.StatusCode, p.Body)
	}
	if m.apiCount(t) != before {
		t.Error("an API was created with a scope the grant no longer holds")
	}

	if status := m.admin(t, "DELETE", "/admin/v1/grants/"+g.ID, nil, nil); status != http.StatusNoContent {
		t.Fatalf("delete the grant: %d", status)
	}
	p := u.get("/console/apis")
	if p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != "/console/sign-in?expired=1" {
		t.Errorf("APIs page after the grant was deleted: %d → %q, want the session ended", p.StatusCode, p.Header.Get("Location"))
	}
}
