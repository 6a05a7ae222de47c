package console_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// partner is a client with a grant, made through the admin API.
type partner struct {
	ID       string `json:"client_id"`
	Secret   string `json:"client_secret"`
	Audience string `json:"-"`
}

// newPartner makes an API at audience and a client with a grant on it.
func newPartner(t *testing.T, m *testMint, name, audience string) partner {
	t.Helper()
	if s := m.admin(t, "POST", "/admin/v1/apis", map[string]any{"name": name, "audience": audience,
		"scopes": []string{"read:cargo"}, "token_lifetime": 3600}, nil); s != http.StatusCreated {
		t.Fatalf("create API: %d", s)
	}
	var p partner
	m.admin(t, "POST", "/admin/v1/clients", map[string]any{"name": name + " partner"}, &p)
	if s := m.admin(t, "POST", "/admin/v1/grants", map[string]any{"client_id": p.ID, "audience": audience,
		"scopes": []string{"read:cargo"}}, nil); s != http.StatusCreated {
		t.Fatalf("create grant: %d", s)
	}
	p.Audience = audience
	return p
}

// traffic is what a test sends to the real token endpoint over HTTP.
type traffic struct{ tokens, badSecret, badAudience int }

func (tr traffic) send(t *testing.T, m *testMint, p partner) {
	t.Helper()
	for range tr.tokens {
		if _, s := m.token(t, p.ID, p.Secret, p.Audience); s != http.StatusOK {
			t.Fatalf("token: %d", s)
		}
	}
	for range tr.badSecret {
		if _, s := m.token(t, p.ID, p.Secret+"x", p.Audience); s != http.StatusUnauthorized {
			t.Fatalf("token with a wrong secret: %d", s)
		}
	}
	for range tr.badAudience {
		if _, s := m.token(t, p.ID, p.Secret, "https://not-granted.example"); s != http.StatusBadRequest {
			t.Fatalf("token for an audience not granted: %d", s)
		}
	}
}

var polylineTag = regexp.MustCompile(`<polyline class="line [^"]*" data-series="([^"]*)" data-total="(\d+)" points="([^"]*)">`)

// seriesTotals reads the data-total of each line of the chart section id.
func seriesTotals(t *testing.T, body, id string) map[string]int {
	t.Helper()
	start := strings.Index(body, `<section class="chart" id="`+id+`"`)
	if start < 0 {
		t.Fatalf("no chart %s on the page", id)
	}
	section := body[start:]
	section = section[:strings.Index(section, "</section>")]
	out := map[string]int{}
	for _, m := range polylineTag.FindAllStringSubmatch(section, -1) {
		n, _ := strconv.Atoi(m[2])
		out[m[1]] = n
	}
	return out
}

// TestDashboardPage: tokens and refusals sent over HTTP to the real token
// endpoint show on the dashboard, by API, by client and by reason, with a
// table of the same numbers; the page takes no other span than those it
// offers, and a stranger is sent to sign in.
func TestDashboardPage(t *testing.T) {
	m := startMint(t)
	p := newPartner(t, m, "Cargo", "https://cargo.example")
	traffic{tokens: 7, badSecret: 3, badAudience: 2}.send(t, m, p)

	stranger := newUser(t, m)
	if pg := stranger.get("/console/dashboard"); pg.StatusCode != http.StatusSeeOther || !strings.HasPrefix(pg.Header.Get("Location"), "/console/sign-in") {
		t.Fatalf("unsigned: %d %s, want a redirect to sign in", pg.StatusCode, pg.Header.Get("Location"))
	}
	u := newUser(t, m)
	u.mustSignIn()
	for _, q := range []string{"", "?hours=1", "?hours=3", "?hours=6", "?hours=-1", "?hours=9999999999999999999", "?hours=%00"} {
		t.Run("hours"+q, func(t *testing.T) {
			pg := u.get("/console/dashboard" + q)
			if pg.StatusCode != http.StatusOK {
				t.Fatalf("status %d\n%s", pg.StatusCode, pg.Body)
			}
			if got := seriesTotals(t, pg.Body, "chart-clients")[p.ID]; got != 7 {
				t.Errorf("client %s: %d tokens charted, want 7", p.ID, got)
			}
			if got := seriesTotals(t, pg.Body, "chart-apis")[p.Audience]; got != 7 {
				t.Errorf("API %s: %d tokens charted, want 7", p.Audience, got)
			}
			refusals := seriesTotals(t, pg.Body, "chart-refusals")
			if refusals["invalid_client"] != 3 || refusals["invalid_target"] != 2 {
				t.Errorf("refusals charted %v, want invalid_client 3 and invalid_target 2", refusals)
			}
			if reuse := seriesTotals(t, pg.Body, "chart-reuse"); !hasKey(reuse, p.ID+" → "+p.Audience) {
				t.Errorf("the client that took 7 tokens for one lifetime is not among %v", reuse)
			}
			for _, want := range []string{`<caption>Refusals a minute by reason: the numbers</caption>`,
				`<th scope="row">invalid_client</th><td class="total">3</td>`, `role="img"`, `<title id="chart-tokens-svg-title">`} {
				if !strings.Contains(pg.Body, want) {
					t.Errorf("the page lacks %s", want)
				}
			}
			if strings.Contains(pg.Body, p.Secret) {
				t.Error("the page shows a client secret")
			}
		})
	}
	if pg := u.get("/console/dashboard?hours=2"); !strings.Contains(pg.Body, `aria-current="true">Last 6 h`) {
		t.Error("a span not offered is not answered with the default one")
	}
}

func hasKey(m map[string]int, k string) bool { _, ok := m[k]; return ok }

// TestDashboardNeedsAuditRead: an admin client without audit:read is
// refused the dashboard with a 403 that names the scope; with it, it sees
// the page. The console asks the admin API, so a grant narrowed after
// sign-in takes effect at once.
func TestDashboardNeedsAuditRead(t *testing.T) {
	m := startMint(t)
	for _, tc := range []struct {
		name   string
		scopes []string
		want   int
	}{
		{"every scope but audit:read", []string{"apis:read", "apis:write", "clients:read", "clients:write", "grants:read", "grants:write", "keys:read", "keys:write"}, http.StatusForbidden},
		{"no scope", []string{}, http.StatusForbidden},
		{"audit:read alone", []string{"audit:read"}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c partner
			m.admin(t, "POST", "/admin/v1/clients", map[string]any{"name": "admin " + tc.name}, &c)
			var g struct{ ID string }
			if s := m.admin(t, "POST", "/admin/v1/grants", map[string]any{"client_id": c.ID, "audience": "urn:mint:admin", "scopes": tc.scopes}, &g); s != http.StatusCreated {
				t.Fatalf("grant: %d", s)
			}
			u := newUser(t, m)
			if pg := u.signIn(c.ID, c.Secret); pg.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign in: %d", pg.StatusCode)
			}
			pg := u.get("/console/dashboard")
			if pg.StatusCode != tc.want {
				t.Fatalf("dashboard: %d, want %d", pg.StatusCode, tc.want)
			}
			if tc.want == http.StatusForbidden && (!strings.Contains(pg.Body, "audit:read") || strings.Contains(pg.Body, "<svg")) {
				t.Errorf("the refusal does not name audit:read, or shows charts:\n%s", pg.Body)
			}
			if tc.want == http.StatusOK {
				// Narrowed after sign-in: refused at once.
				m.admin(t, "PATCH", "/admin/v1/grants/"+g.ID, map[string]any{"scopes": []string{"clients:read"}}, nil)
				if pg := u.get("/console/dashboard"); pg.StatusCode != http.StatusForbidden {
					t.Errorf("after the grant lost audit:read: %d, want 403", pg.StatusCode)
				}
			}
		})
	}
}

// TestDashboardEscapesNames: an audience is chosen by whoever creates the
// API; one made to break out of the SVG's attributes or text is shown as
// text, in the charts and their tables.
func TestDashboardEscapesNames(t *testing.T) {
	m := startMint(t)
	const hostile = `https://x.example/"><script>alert(1)</script><svg/onload=alert(2)>`
	p := newPartner(t, m, "Hostile", hostile)
	traffic{tokens: 2}.send(t, m, p)
	u := newUser(t, m)
	u.mustSignIn()
	pg := u.get("/console/dashboard")
	if pg.StatusCode != http.StatusOK {
		t.Fatalf("status %d", pg.StatusCode)
	}
	for _, raw := range []string{"<script>alert(1)", "<svg/onload", `"><script>`} {
		if strings.Contains(pg.Body, raw) {
			t.Errorf("the page carries %q unescaped", raw)
		}
	}
	if got := seriesTotals(t, pg.Body, "chart-apis")[strings.NewReplacer(`"`, "&#34;", "<", "&lt;", ">", "&gt;").Replace(hostile)]; got != 2 {
		t.Errorf("the hostile audience's line: %d tokens, want 2 (escaped)", got)
	}
}
