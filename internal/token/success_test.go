package token

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

type successCase struct {
	name   string
	req    func(f *fixture) httpCase
	client func(f *fixture) testClient // who the token is for
	api    mint.API                    // what the token is for
	scope  string                      // "" means absent
}

func multi(f *fixture) testClient    { return f.multi }
func one(f *fixture) testClient      { return f.one }
func escaped(f *fixture) testClient  { return f.escaped }
func rotated(f *fixture) testClient  { return f.rotated }
func prodOnly(f *fixture) testClient { return f.prodOnly }

var successCases = []successCase{
	{name: "post_form", client: multi, api: apiTOCC, scope: "read:orders",
		req: func(f *fixture) httpCase {
			return postForm(f.multi, "audience", apiTOCC.Audience, "scope", "read:orders")
		}},
	{name: "basic_form", client: multi, api: apiTOCC, scope: "read:orders write:orders",
		req: func(f *fixture) httpCase {
			return basicForm(f.multi, "audience", apiTOCC.Audience, "scope", "write:orders read:orders read:orders")
		}},
	{name: "basic_lowercase_scheme", client: multi, api: apiDataloy, scope: "cargo:read",
		req: func(f *fixture) httpCase {
			c := basicForm(f.multi, "audience", apiDataloy.Audience)
			c.auth = "basic " + strings.TrimPrefix(c.auth, "Basic ")
			return c
		}},
	{name: "basic_with_same_client_id_in_body", client: multi, api: apiDataloy, scope: "cargo:read",
		req: func(f *fixture) httpCase {
			return basicForm(f.multi, "audience", apiDataloy.Audience, "client_id", f.multi.ID)
		}},
	{name: "basic_form_urlencoded_credentials", client: escaped, api: apiSingle,
		req: func(f *fixture) httpCase { return basicForm(f.escaped) }},
	{name: "post_special_characters", client: escaped, api: apiSingle,
		req: func(f *fixture) httpCase { return postForm(f.escaped) }},
	{name: "basic_json", client: multi, api: apiDataloyDev, scope: "cargo:read",
		req: func(f *fixture) httpCase {
			return httpCase{contentType: jsonType, auth: basic(f.multi.ID, f.multi.Secret),
				body: `{"grant_type":"client_credentials","audience":"https://dataloy.dev"}`}
		}},
	{name: "json_charset", client: multi, api: apiTOCC, scope: "read:fleet",
		req: func(f *fixture) httpCase {
			return httpCase{contentType: "application/json; charset=UTF-8", body: `{"client_id":"` + f.multi.ID +
				`","client_secret":"` + f.multi.Secret + `","audience":"https://api.eu.tocc.tech","grant_type":"client_credentials","scope":"read:fleet"}`}
		}},
	{name: "form_charset", client: one, api: apiSingle, scope: "read",
		req: func(f *fixture) httpCase { c := postForm(f.one); c.contentType = formType + ";charset=utf-8"; return c }},
	{name: "scope_omitted_is_all_granted_in_api_order", client: multi, api: apiTOCC, scope: "read:orders write:orders read:fleet",
		req: func(f *fixture) httpCase { return postForm(f.multi, "audience", apiTOCC.Audience) }},
	{name: "scope_empty_is_omitted", client: multi, api: apiTOCC, scope: "read:orders write:orders read:fleet",
		req: func(f *fixture) httpCase {
			return jsonReq(`{"client_id":"` + f.multi.ID + `","client_secret":"` + f.multi.Secret +
				`","audience":"https://api.eu.tocc.tech","grant_type":"client_credentials","scope":""}`)
		}},
	{name: "scope_extra_spaces_and_repeats", client: multi, api: apiTOCC, scope: "read:orders read:fleet",
		req: func(f *fixture) httpCase {
			return postForm(f.multi, "audience", apiTOCC.Audience, "scope", "  read:fleet  read:orders read:fleet ")
		}},
	{name: "resource", client: multi, api: apiDataloy, scope: "cargo:read",
		req: func(f *fixture) httpCase { return postForm(f.multi, "resource", apiDataloy.Audience) }},
	{name: "audience_equals_resource", client: multi, api: apiDataloy, scope: "cargo:read",
		req: func(f *fixture) httpCase {
			return postForm(f.multi, "audience", apiDataloy.Audience, "resource", apiDataloy.Audience)
		}},
	{name: "audience_not_a_uri_no_scopes", client: multi, api: apiLinker,
		req: func(f *fixture) httpCase { return postForm(f.multi, "audience", apiLinker.Audience) }},
	{name: "unknown_form_params_ignored", client: one, api: apiSingle, scope: "read",
		req: func(f *fixture) httpCase { return postForm(f.one, "foo", "1", "foo", "2", "organization", "org_1") }},
	{name: "unknown_json_members_ignored", client: one, api: apiSingle, scope: "read",
		req: func(f *fixture) httpCase {
			return jsonReq(`{"client_id":"` + f.one.ID + `","client_secret":"` + f.one.Secret +
				`","grant_type":"client_credentials","extra":{"a":[1,2,{"b":null}]},"extra":null,"n":5, "flag": true}`)
		}},
	{name: "audience_omitted_single_grant", client: one, api: apiSingle, scope: "read",
		req: func(f *fixture) httpCase { return postForm(f.one) }},
	{name: "audience_empty_is_omitted", client: one, api: apiSingle, scope: "read",
		req: func(f *fixture) httpCase { return postForm(f.one, "audience", "") }},
	{name: "query_is_not_read", client: one, api: apiSingle, scope: "read",
		req: func(f *fixture) httpCase {
			c := postForm(f.one)
			c.path = "/oauth/token?audience=https%3A%2F%2Fdataloy&scope=write&client_id=x"
			return c
		}},
	{name: "default_audience", client: multi, api: apiTOCC, scope: "read:orders write:orders read:fleet",
		req: func(f *fixture) httpCase { c := postForm(f.multi); c.path = "/default/oauth/token"; return c }},
	{name: "default_audience_not_used_for_single_grant", client: prodOnly, api: apiDataloy, scope: "cargo:read",
		req: func(f *fixture) httpCase { c := postForm(f.prodOnly); c.path = "/default/oauth/token"; return c }},
	{name: "rotated_new_secret", client: rotated, api: apiSingle, scope: "read write",
		req: func(f *fixture) httpCase { return basicForm(f.rotated) }},
	{name: "alias_api_getToken", client: multi, api: apiTOCC, scope: "read:orders",
		req: func(f *fixture) httpCase {
			c := postForm(f.multi, "audience", apiTOCC.Audience, "scope", "read:orders")
			c.path = "/api/getToken"
			return c
		}},
	{name: "alias_users_token", client: multi, api: apiLinker,
		req: func(f *fixture) httpCase {
			c := basicForm(f.multi, "audience", apiLinker.Audience)
			c.path = "/users/token"
			return c
		}},
}

func TestIssue(t *testing.T) {
	f := newFixture(t)
	seen := map[string]string{} // jti → case
	var tokens []string
	for _, tc := range successCases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := f.do(t, tc.req(f))
			got := checkTokenResponse(t, resp, body, tc.api, tc.scope)
			if got.AccessToken == "" {
				return
			}
			tokens = append(tokens, got.AccessToken)
			c := f.checkToken(t, got.AccessToken, tc.client(f).ID, tc.api, tc.scope)
			if other, dup := seen[c.ID]; dup {
				t.Errorf("jti %q also issued in %s", c.ID, other)
			}
			seen[c.ID] = tc.name
		})
	}
	checkLogs(t, f, tokens)
}

// checkTokenResponse checks a successful token response (RFC 6749 §5.1).
func checkTokenResponse(t *testing.T, resp *http.Response, body []byte, api mint.API, scope string) Response {
	t.Helper()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", resp.StatusCode, body)
	}
	for name, want := range map[string]string{
		"Content-Type": "application/json", "Cache-Control": "no-store", "Pragma": "no-cache",
	} {
		if got := resp.Header.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	var members map[string]json.RawMessage
	var got Response
	if err := json.Unmarshal(body, &members); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	wantMembers := []string{"access_token", "expires_in", "token_type"}
	if scope != "" {
		wantMembers = append(wantMembers, "scope")
		slices.Sort(wantMembers)
	}
	if names := sortedKeys(members); !slices.Equal(names, wantMembers) {
		t.Errorf("response members = %v, want %v", names, wantMembers)
	}
	if got.TokenType != "Bearer" || got.Scope != scope || got.ExpiresIn != lifetimeOf(api) {
		t.Errorf("response = %+v, want Bearer, scope %q, expires_in %d", got, scope, lifetimeOf(api))
	}
	return got
}

func lifetimeOf(api mint.API) int64 {
	if api.TokenLifetime == 0 {
		return int64(mint.DefaultTokenLifetime / time.Second)
	}
	return int64(api.TokenLifetime / time.Second)
}

// checkToken verifies the token and checks its claims.
func (f *fixture) checkToken(t *testing.T, raw, clientID string, api mint.API, scope string) tokenClaims {
	t.Helper()
	c, names := f.verify(t, raw)
	want := tokenClaims{
		Issuer: testIssuer, Subject: clientID + "@clients", Audience: api.Audience,
		IssuedAt: f.now.Unix(), Expiry: f.now.Unix() + lifetimeOf(api), ID: c.ID,
		ClientID: clientID, AZP: clientID, GrantType: "client-credentials", Scope: scope,
	}
	if c != want {
		t.Errorf("claims:\n got %+v\nwant %+v", c, want)
	}
	if len(c.ID) != 22 {
		t.Errorf("jti %q: want 22 base64url characters (128 bits)", c.ID)
	}
	wantNames := []string{"aud", "azp", "client_id", "exp", "gty", "iat", "iss", "jti", "sub"}
	if scope != "" {
		wantNames = append(wantNames, "scope")
		slices.Sort(wantNames)
	}
	if !slices.Equal(names, wantNames) {
		t.Errorf("claim names = %v, want %v", names, wantNames)
	}
	return c
}

// checkLogs: issuance is logged with its jti, and no secret or token is.
func checkLogs(t *testing.T, f *fixture, tokens []string) {
	t.Helper()
	logs := f.logs.String()
	if !strings.Contains(logs, `msg="token issued"`) || !strings.Contains(logs, "jti=") {
		t.Errorf("issuance not logged:\n%s", logs)
	}
	secrets := []string{f.multi.Secret, f.one.Secret, f.escaped.Secret, f.rotated.Secret, f.prodOnly.Secret}
	for _, s := range append(secrets, tokens...) {
		if strings.Contains(logs, s) {
			t.Errorf("the log holds a secret or token: %.20s…", s)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
