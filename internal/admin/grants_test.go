package admin

import (
	"slices"
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
	// The harness's admin client holds the first grant; its clock stands
	// still, so grants created at one time list in ID order.
	want3 := []string{"grant_testadmin", f.grant, g.ID}
	slices.Sort(want3)
	if len(list) != 3 || list[0].ID != want3[0] || list[1].ID != want3[1] || list[2].ID != want3[2] {
		t.Errorf("all grants %+v, want %q", list, want3)
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
		if len(list) != 1 || list[0].ID != "grant_testadmin" { // the harness's admin client's
			t.Errorf("grants left: %+v", list)
		}
		h.json("GET", "/admin/v1/apis/"+f.api, nil, 200, nil)
	})
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
