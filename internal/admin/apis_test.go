package admin

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

func TestAPILifecycle(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var api apiView
	a := h.json("POST", "/admin/v1/apis", `{"name":"Dataloy","audience":"https://dataloy","scopes":["read:cargo"]}`, 201, &api)
	if loc := a.header.Get("Location"); loc != "/admin/v1/apis/"+api.ID {
		t.Errorf("Location %q", loc)
	}
	want := apiView{ID: api.ID, Name: "Dataloy", Audience: "https://dataloy", Scopes: []string{"read:cargo"},
		TokenLifetime: 86400, CreatedAt: h.now, UpdatedAt: h.now}
	checkAPI(t, "created", api, want)

	// A second environment differs only by its audience.
	var dev apiView
	h.json("POST", "/admin/v1/apis", `{"name":"Dataloy dev","audience":"https://dataloy.dev","token_lifetime":3600}`, 201, &dev)
	if dev.TokenLifetime != 3600 || dev.Scopes == nil || len(dev.Scopes) != 0 {
		t.Errorf("dev API %+v: want token_lifetime 3600 and scopes []", dev)
	}

	var got apiView
	h.json("GET", "/admin/v1/apis/"+api.ID, nil, 200, &got)
	checkAPI(t, "get", got, want)

	var list []apiView
	h.json("GET", "/admin/v1/apis", nil, 200, &list)
	// The harness's clock stands still: rows created at one time list in
	// ID order.
	admin := slices.IndexFunc(list, func(v apiView) bool { return v.Audience == mint.AdminAudience })
	if len(list) != 3 || admin < 0 {
		t.Fatalf("list %+v: want admin, dataloy, dataloy.dev", list)
	}
	want3 := []string{list[admin].ID, api.ID, dev.ID}
	slices.Sort(want3)
	if list[0].ID != want3[0] || list[1].ID != want3[1] || list[2].ID != want3[2] {
		t.Errorf("list %+v: want admin, dataloy, dataloy.dev in ID order", list)
	}

	h.now = h.now.Add(time.Minute)
	h.json("PATCH", "/admin/v1/apis/"+api.ID, `{"scopes":["read:cargo","write:cargo"]}`, 200, &got)
	want.Scopes, want.UpdatedAt = []string{"read:cargo", "write:cargo"}, h.now
	checkAPI(t, "patch scopes keeps name and lifetime", got, want)
	h.json("PATCH", "/admin/v1/apis/"+api.ID, `{"name":"Dataloy prod","token_lifetime":600,"scopes":null}`, 200, &got)
	want.Name, want.TokenLifetime = "Dataloy prod", 600
	checkAPI(t, "patch name and lifetime keeps scopes", got, want)

	a = h.json("DELETE", "/admin/v1/apis/"+api.ID, nil, 204, nil)
	if len(a.body) != 0 {
		t.Errorf("delete body %q, want none", a.body)
	}
	h.json("GET", "/admin/v1/apis/"+api.ID, nil, 404, nil)
}

func checkAPI(t *testing.T, step string, got, want apiView) {
	t.Helper()
	if got.ID != want.ID || got.Name != want.Name || got.Audience != want.Audience ||
		strings.Join(got.Scopes, " ") != strings.Join(want.Scopes, " ") || got.TokenLifetime != want.TokenLifetime ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Errorf("%s:\n got %+v\nwant %+v", step, got, want)
	}
}

// TestAdminAPIMayBeRenamed: the built-in admin API keeps its scopes (the same
// set in another order is no change) but its name and lifetime may change.
func TestAdminAPIMayBeRenamed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var got apiView
	h.json("PATCH", "/admin/v1/apis/"+h.admin.ID, `{"name":"Admin","token_lifetime":300,"scopes":["audit:read","keys:write","keys:read","grants:write","grants:read","clients:write","clients:read","apis:write","apis:read"]}`, 200, &got)
	if got.Name != "Admin" || got.TokenLifetime != 300 || !sameSet(got.Scopes, mint.AdminScopes) {
		t.Errorf("admin API after rename: %+v", got)
	}
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
