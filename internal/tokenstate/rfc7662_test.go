package tokenstate_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/tokenstate"
)

// TestIntrospection: RFC 7662 §2.2 answers for each kind of token and
// caller. Inactive answers are {"active":false} alone.
func TestIntrospection(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		ctx := context.Background()
		owner := h.newClient(nil, "", false)
		stranger := h.newClient(nil, "", false)
		auditor := h.newClient(nil, "", true)
		tok := h.issue(owner)

		t.Run("own token", func(t *testing.T) {
			m := h.introspect(owner, tok)
			names := make([]string, 0, len(m))
			for k := range m {
				names = append(names, k)
			}
			slices.Sort(names)
			want := []string{"active", "aud", "client_id", "exp", "iat", "iss", "jti", "scope", "sub", "token_type"}
			if !slices.Equal(names, want) || m["active"] != true || m["client_id"] != owner.id ||
				m["token_type"] != "Bearer" || m["aud"] != cargo.Audience || m["iss"] != issuer ||
				m["sub"] != owner.id+"@clients" || m["scope"] != "read:cargo write:cargo" ||
				m["exp"] != float64(h.now.Add(time.Hour).Unix()) || m["iat"] != float64(h.now.Unix()) {
				t.Errorf("answer %v", m)
			}
		})
		t.Run("basic auth and JSON body", func(t *testing.T) {
			a := h.do("POST", tokenstate.IntrospectionPath, "application/json", `{"token":"`+tok+`","token_type_hint":"refresh_token"}`, basic(owner))
			if a.status != 200 || !strings.Contains(string(a.body), `"active":true`) {
				t.Errorf("%d %s", a.status, a.body)
			}
		})
		t.Run("other client's token", func(t *testing.T) { wantInactive(t, h, stranger, tok) })
		t.Run("other client's token with introspect_all", func(t *testing.T) {
			if m := h.introspect(auditor, tok); m["active"] != true || m["client_id"] != owner.id {
				t.Errorf("answer %v", m)
			}
		})
		t.Run("garbage", func(t *testing.T) { wantInactive(t, h, owner, "not-a-token") })
		t.Run("another issuer's token", func(t *testing.T) {
			forged := signJWT(t, rsaKey(t), "RS256", h.ring.ActiveKeyID(), map[string]any{"iss": issuer, "client_id": owner.id,
				"jti": "x", "aud": cargo.Audience, "exp": h.now.Add(time.Hour).Unix()})
			wantInactive(t, h, owner, forged)
		})
		t.Run("expired", func(t *testing.T) {
			h.now = h.now.Add(time.Hour)
			defer func() { h.now = h.now.Add(-time.Hour) }()
			wantInactive(t, h, auditor, tok)
		})
		t.Run("revoked by jti", func(t *testing.T) {
			other := h.issue(owner)
			claims := h.introspect(owner, other)
			h.must(h.store.RevokeToken(ctx, mint.RevokedToken{ID: claims["jti"].(string), ClientID: owner.id, ExpiresAt: h.now.Add(time.Hour)}))
			wantInactive(t, h, owner, other)
			wantInactive(t, h, auditor, other)
			if m := h.introspect(owner, tok); m["active"] != true {
				t.Errorf("revoking one token revoked another: %v", m)
			}
		})
		t.Run("tokens revoked before", func(t *testing.T) {
			c := h.newClient(nil, "", false)
			old := h.issue(c)
			h.now = h.now.Add(time.Second)
			_, err := h.store.UpdateClient(ctx, c.id, func(cl mint.Client) (mint.Client, error) {
				cl.TokensRevokedBefore = h.now
				return cl, nil
			})
			h.must(err)
			wantInactive(t, h, c, old)
			h.now = h.now.Add(time.Second)
			if m := h.introspect(c, h.issue(c)); m["active"] != true {
				t.Errorf("a token issued after the cut is inactive: %v", m)
			}
		})
		t.Run("deleted client", func(t *testing.T) {
			c := h.newClient(nil, "", false)
			gone := h.issue(c)
			h.must(h.store.DeleteClient(ctx, c.id))
			wantInactive(t, h, auditor, gone)
		})
	})
}

func wantInactive(t *testing.T, h *harness, caller client, tok string) {
	t.Helper()
	a := h.post(tokenstate.IntrospectionPath, secretForm(caller, "token", tok), "")
	if a.status != http.StatusOK || string(a.body) != "{\"active\":false}\n" {
		t.Errorf("want inactive, got %d %s", a.status, a.body)
	}
}

// TestEndpointErrors: the request errors of both endpoints, as golden
// bodies.
func TestEndpointErrors(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		c := h.newClient(nil, "", false)
		tok := h.issue(c)
		form := "application/x-www-form-urlencoded"
		for _, path := range []string{tokenstate.IntrospectionPath, tokenstate.RevocationPath} {
			name := strings.TrimPrefix(path, "/oauth/")
			cases := []struct {
				name, method, contentType, body, auth string
				status                                int
				challenge                             bool
			}{
				{"get", "GET", "", "", "", 405, false},
				{"no credentials", "POST", form, "token=" + tok, "", 401, true},
				{"wrong secret", "POST", form, secretForm(client{id: c.id, secret: "mint_wrong"}, "token", tok).Encode(), "", 401, false},
				{"wrong basic secret", "POST", form, "token=" + tok, basic(client{id: c.id, secret: "mint_wrong"}), 401, true},
				{"unknown client", "POST", form, secretForm(client{id: "nobody", secret: c.secret}, "token", tok).Encode(), "", 401, false},
				{"no token", "POST", form, secretForm(c).Encode(), "", 400, false},
				{"token twice", "POST", form, secretForm(c, "token", tok, "token", tok).Encode(), "", 400, false},
				{"text plain", "POST", "text/plain", secretForm(c, "token", tok).Encode(), "", 415, false},
				{"json sent as form", "POST", form, `{"client_id":"` + c.id + `","client_secret":"` + c.secret + `","token":"` + tok + `"}`, "", 400, false},
				{"json token number", "POST", "application/json", `{"client_id":"` + c.id + `","client_secret":"` + c.secret + `","token":1}`, "", 400, false},
			}
			for _, tc := range cases {
				t.Run(name+"/"+tc.name, func(t *testing.T) {
					a := h.do(tc.method, path, tc.contentType, tc.body, tc.auth)
					if a.status != tc.status || (a.header.Get("WWW-Authenticate") != "") != tc.challenge ||
						a.header.Get("Cache-Control") != "no-store" {
						t.Fatalf("%d %v %s", a.status, a.header, a.body)
					}
					if tc.status == 405 && a.header.Get("Allow") != "POST" {
						t.Errorf("Allow %q", a.header.Get("Allow"))
					}
					golden(t, "errors/"+name+"/"+strings.ReplaceAll(tc.name, " ", "_"), a.body)
				})
			}
		}
	})
}
