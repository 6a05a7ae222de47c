package token

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const (
	formType = "application/x-www-form-urlencoded"
	jsonType = "application/json"
)

// form builds a form body from name, value pairs, in order.
func form(pairs ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(pairs[i]) + "=" + url.QueryEscape(pairs[i+1]))
	}
	return b.String()
}

// basic builds an Authorization header as RFC 6749 §2.3.1 says.
func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

func rawBasic(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }

// postForm is a client_secret_post form request from c.
func postForm(c testClient, extra ...string) httpCase {
	pairs := append([]string{"grant_type", "client_credentials", "client_id", c.ID, "client_secret", c.Secret}, extra...)
	return httpCase{contentType: formType, body: form(pairs...)}
}

// basicForm is a client_secret_basic form request from c.
func basicForm(c testClient, extra ...string) httpCase {
	return httpCase{contentType: formType, auth: basic(c.ID, c.Secret),
		body: form(append([]string{"grant_type", "client_credentials"}, extra...)...)}
}

func jsonReq(body string) httpCase { return httpCase{contentType: jsonType, body: body} }

type errorCase struct {
	name   string
	req    func(f *fixture) httpCase
	status int
	golden string            // testdata/errors/<golden>.golden; default name
	header map[string]string // WWW-Authenticate and Allow: absent unless set here
}

const challenge = `Basic realm="mint"`

var errorCases = []errorCase{
	// Method.
	{name: "method_get", status: 405, header: map[string]string{"Allow": "POST"},
		req: func(f *fixture) httpCase {
			return httpCase{method: "GET", path: "/oauth/token?" + form("client_id", f.multi.ID, "client_secret", f.multi.Secret, "grant_type", "client_credentials")}
		}},
	{name: "method_put_alias", golden: "method_get", status: 405, header: map[string]string{"Allow": "POST"},
		req: func(f *fixture) httpCase {
			c := postForm(f.multi, "audience", apiTOCC.Audience)
			c.method, c.path = "PUT", "/api/getToken"
			return c
		}},
	// Media type and size.
	{name: "content_type_missing", golden: "unsupported_media_type", status: 415,
		req: func(f *fixture) httpCase { c := postForm(f.multi); c.contentType = ""; return c }},
	{name: "content_type_text_plain", golden: "unsupported_media_type", status: 415,
		req: func(f *fixture) httpCase { c := postForm(f.multi); c.contentType = "text/plain"; return c }},
	{name: "content_type_malformed", golden: "unsupported_media_type", status: 415,
		req: func(f *fixture) httpCase {
			c := postForm(f.multi)
			c.contentType = "application/json; charset"
			return c
		}},
	{name: "content_type_latin1", golden: "unsupported_media_type", status: 415,
		req: func(f *fixture) httpCase {
			c := postForm(f.multi)
			c.contentType = formType + "; charset=ISO-8859-1"
			return c
		}},
	{name: "body_too_large", status: 413,
		req: func(f *fixture) httpCase {
			return postForm(f.multi, "padding", strings.Repeat("a", MaxBodyBytes))
		}},
	{name: "body_too_large_chunked", golden: "body_too_large", status: 413,
		req: func(f *fixture) httpCase {
			c := postForm(f.multi, "padding", strings.Repeat("a", MaxBodyBytes))
			body := c.body
			c.bodyReader = func() io.Reader { return io.MultiReader(strings.NewReader(body)) }
			return c
		}},
	// JSON syntax.
	{name: "json_empty", golden: "json_not_object", status: 400,
		req: func(f *fixture) httpCase { return jsonReq("") }},
	{name: "json_array", golden: "json_not_object", status: 400,
		req: func(f *fixture) httpCase { return jsonReq(`[{"grant_type":"client_credentials"}]`) }},
	{name: "json_string", golden: "json_not_object", status: 400,
		req: func(f *fixture) httpCase { return jsonReq(`"client_credentials"`) }},
	{name: "json_truncated", golden: "json_not_object", status: 400,
		req: func(f *fixture) httpCase { return jsonReq(`{"grant_type":"client_credentials",`) }},
	{name: "json_form_body", golden: "json_not_object", status: 400,
		req: func(f *fixture) httpCase { c := postForm(f.multi); c.contentType = jsonType; return c }},
	{name: "json_trailing_object", golden: "json_trailing_data", status: 400,
		req: func(f *fixture) httpCase {
			return jsonReq(`{"grant_type":"client_credentials","client_id":"` + f.multi.ID + `","client_secret":"` + f.multi.Secret + `"}{}`)
		}},
	{name: "json_trailing_garbage", golden: "json_trailing_data", status: 400,
		req: func(f *fixture) httpCase {
			return jsonReq(`{"grant_type":"client_credentials","client_id":"` + f.multi.ID + `","client_secret":"` + f.multi.Secret + `"} x`)
		}},
	{name: "json_invalid_utf8", status: 400,
		req: func(f *fixture) httpCase { return jsonReq("{\"grant_type\":\"client_credentials\xff\"}") }},
	{name: "json_duplicate_key", status: 400,
		req: func(f *fixture) httpCase {
			return jsonReq(`{"client_id":"` + f.multi.ID + `","client_id":"` + f.one.ID + `","client_secret":"x","grant_type":"client_credentials"}`)
		}},
	{name: "json_scope_array", status: 400,
		req: func(f *fixture) httpCase {
			return jsonReq(`{"client_id":"` + f.multi.ID + `","client_secret":"` + f.multi.Secret + `","grant_type":"client_credentials","scope":["read:orders"]}`)
		}},
	{name: "json_client_secret_null", status: 400,
		req: func(f *fixture) httpCase {
			return jsonReq(`{"client_id":"` + f.multi.ID + `","client_secret":null,"grant_type":"client_credentials"}`)
		}},
	{name: "json_audience_number", status: 400,
		req: func(f *fixture) httpCase {
			return jsonReq(`{"client_id":"` + f.multi.ID + `","client_secret":"` + f.multi.Secret + `","grant_type":"client_credentials","audience":42}`)
		}},
	{name: "json_sent_as_form", status: 400, // curl -d '{…}' without -H 'Content-Type: application/json'
		req: func(f *fixture) httpCase {
			c := jsonReq(`{"client_id":"` + f.multi.ID + `","client_secret":"` + f.multi.Secret + `","audience":"https://dataloy","grant_type":"client_credentials"}`)
			c.contentType = formType
			return c
		}},
	// Form syntax.
	{name: "form_bad_escape", status: 400,
		req: func(f *fixture) httpCase { c := postForm(f.multi); c.body += "&audience=%zz"; return c }},
	{name: "form_semicolon", golden: "form_bad_escape", status: 400,
		req: func(f *fixture) httpCase { c := postForm(f.multi); c.body += ";audience=x"; return c }},
	{name: "form_grant_type_twice", status: 400,
		req: func(f *fixture) httpCase { return postForm(f.multi, "grant_type", "client_credentials") }},
	{name: "form_scope_twice", status: 400,
		req: func(f *fixture) httpCase { return postForm(f.multi, "scope", "read:orders", "scope", "") }},
	{name: "form_resource_twice", status: 400,
		req: func(f *fixture) httpCase {
			return postForm(f.multi, "resource", apiDataloy.Audience, "resource", apiDataloyDev.Audience)
		}},
	// Credentials in the URL.
	{name: "query_client_secret", status: 400,
		req: func(f *fixture) httpCase {
			c := postForm(f.multi, "audience", apiTOCC.Audience)
			c.path = "/oauth/token?client_secret=" + url.QueryEscape(f.multi.Secret)
			return c
		}},
	// Client authentication: shape.
	{name: "no_credentials", status: 401, header: map[string]string{"WWW-Authenticate": challenge},
		req: func(f *fixture) httpCase {
			return httpCase{contentType: formType, body: form("grant_type", "client_credentials")}
		}},
	{name: "client_id_without_secret", golden: "no_credentials", status: 401, header: map[string]string{"WWW-Authenticate": challenge},
		req: func(f *fixture) httpCase {
			return httpCase{contentType: formType, body: form("grant_type", "client_credentials", "client_id", f.multi.ID)}
		}},
	{name: "client_secret_empty", golden: "no_credentials", status: 401, header: map[string]string{"WWW-Authenticate": challenge},
		req: func(f *fixture) httpCase {
			return jsonReq(`{"grant_type":"client_credentials","client_id":"` + f.multi.ID + `","client_secret":""}`)
		}},
	{name: "basic_wrong_scheme", golden: "basic_malformed", status: 401, header: map[string]string{"WWW-Authenticate": challenge},
		req: func(f *fixture) httpCase { c := basicForm(f.multi); c.auth = "Bearer " + f.multi.Secret; return c }},
	{name: "basic_bad_base64", golden: "basic_malformed", status: 401, header: map[string]string{"WWW-Authenticate": challenge},
		req: func(f *fixture) httpCase { c := basicForm(f.multi); c.auth = "Basic !!!notbase64"; return c }},
	{name: "basic_no_colon", golden: "basic_malformed", status: 401, header: map[string]string{"WWW-Authenticate": challenge},
		req: func(f *fixture) httpCase {
			c := basicForm(f.multi)
			c.auth = rawBasic(f.multi.ID + f.multi.Secret)
			return c
		}},
	{name: "basic_bad_escape", golden: "basic_malformed", status: 401, header: map[string]string{"WWW-Authenticate": challenge},
		req: func(f *fixture) httpCase { c := basicForm(f.multi); c.auth = rawBasic(f.multi.ID + ":%zz"); return c }},
	{name: "basic_empty_secret", golden: "basic_malformed", status: 401, header: map[string]string{"WWW-Authenticate": challenge},
		req: func(f *fixture) httpCase { c := basicForm(f.multi); c.auth = rawBasic(f.multi.ID + ":"); return c }},
	{name: "basic_and_post", status: 400,
		req: func(f *fixture) httpCase {
			c := postForm(f.multi, "audience", apiTOCC.Audience)
			c.auth = basic(f.multi.ID, f.multi.Secret)
			return c
		}},
	{name: "basic_client_id_mismatch", status: 400,
		req: func(f *fixture) httpCase { return basicForm(f.multi, "client_id", f.one.ID) }},
	// grant_type.
	{name: "grant_type_missing", status: 400,
		req: func(f *fixture) httpCase {
			return httpCase{contentType: formType, body: form("client_id", f.multi.ID, "client_secret", f.multi.Secret)}
		}},
	{name: "grant_type_password", golden: "grant_type_unsupported", status: 400,
		req: func(f *fixture) httpCase {
			return jsonReq(`{"grant_type":"password","client_id":"` + f.multi.ID + `","client_secret":"` + f.multi.Secret + `","username":"u","password":"p"}`)
		}},
	{name: "grant_type_case", golden: "grant_type_unsupported", status: 400,
		req: func(f *fixture) httpCase {
			return httpCase{contentType: formType, auth: basic(f.multi.ID, f.multi.Secret), body: form("grant_type", "Client_Credentials")}
		}},
	// Client authentication: who. One body for all, with the challenge
	// only when Basic was used.
	{name: "unknown_client", golden: "auth_failed", status: 401,
		req: func(f *fixture) httpCase {
			return postForm(testClient{ID: "no-such-client", Secret: f.multi.Secret}, "audience", apiTOCC.Audience)
		}},
	{name: "wrong_secret", golden: "auth_failed", status: 401,
		req: func(f *fixture) httpCase {
			return postForm(testClient{ID: f.multi.ID, Secret: f.one.Secret}, "audience", apiTOCC.Audience)
		}},
	{name: "expired_secret", golden: "auth_failed", status: 401,
		req: func(f *fixture) httpCase { return postForm(f.expired) }},
	{name: "rotated_old_secret", golden: "auth_failed", status: 401,
		req: func(f *fixture) httpCase { return postForm(testClient{ID: f.rotated.ID, Secret: f.rotatedOldSecret}) }},
	{name: "basic_unknown_client", golden: "auth_failed", status: 401, header: map[string]string{"WWW-Authenticate": challenge},
		req: func(f *fixture) httpCase { return basicForm(testClient{ID: "no-such-client", Secret: f.multi.Secret}) }},
	{name: "basic_wrong_secret", golden: "auth_failed", status: 401, header: map[string]string{"WWW-Authenticate": challenge},
		req: func(f *fixture) httpCase { return basicForm(testClient{ID: f.multi.ID, Secret: "mint_wrong"}) }},
	{name: "basic_escaped_unescaped", golden: "auth_failed", status: 401, header: map[string]string{"WWW-Authenticate": challenge},
		req: func(f *fixture) httpCase {
			// Without the form-urlencoding the ':' in the id ends it early
			// and '+' reads as a space: that is not the same client.
			c := basicForm(f.escaped)
			c.auth = rawBasic(f.escaped.ID + ":" + strings.ReplaceAll(f.escaped.Secret, "%", "%25"))
			return c
		}},
	// Audience.
	{name: "audience_resource_differ", status: 400,
		req: func(f *fixture) httpCase {
			return postForm(f.multi, "audience", apiDataloy.Audience, "resource", apiDataloyDev.Audience)
		}},
	{name: "resource_relative", golden: "resource_not_uri", status: 400,
		req: func(f *fixture) httpCase { return postForm(f.multi, "resource", "dataloy") }},
	{name: "resource_fragment", golden: "resource_not_uri", status: 400,
		req: func(f *fixture) httpCase { return postForm(f.multi, "resource", apiDataloy.Audience+"#prod") }},
	{name: "audience_required", status: 400,
		req: func(f *fixture) httpCase { return postForm(f.multi) }},
	{name: "audience_required_no_grants", golden: "audience_required", status: 400,
		req: func(f *fixture) httpCase { return postForm(f.noGrants) }},
	{name: "audience_unknown", golden: "invalid_target", status: 400,
		req: func(f *fixture) httpCase { return postForm(f.multi, "audience", "https://no-such-api.test") }},
	{name: "audience_not_granted", golden: "invalid_target", status: 400,
		req: func(f *fixture) httpCase { return postForm(f.prodOnly, "audience", apiDataloyDev.Audience) }},
	{name: "audience_not_granted_json", golden: "invalid_target", status: 400,
		req: func(f *fixture) httpCase {
			return jsonReq(`{"client_id":"` + f.prodOnly.ID + `","client_secret":"` + f.prodOnly.Secret + `","audience":"https://dataloy.dev","grant_type":"client_credentials"}`)
		}},
	{name: "resource_not_granted", status: 400,
		req: func(f *fixture) httpCase { return postForm(f.one, "resource", apiTOCC.Audience) }},
	{name: "default_audience_not_granted", golden: "invalid_target", status: 400,
		req: func(f *fixture) httpCase { c := postForm(f.noGrants); c.path = "/default/oauth/token"; return c }},
	// Scope.
	{name: "scope_not_granted", status: 400,
		req: func(f *fixture) httpCase { return postForm(f.one, "scope", "read write") }},
	{name: "scope_no_longer_defined", status: 400,
		req: func(f *fixture) httpCase {
			// The grant holds delete:orders, but the API no longer defines it.
			return postForm(f.multi, "audience", apiTOCC.Audience, "scope", "read:orders delete:orders")
		}},
	{name: "scope_malformed", status: 400,
		req: func(f *fixture) httpCase { return postForm(f.one, "scope", `read "write"`) }},
	{name: "scope_control_char", status: 400,
		req: func(f *fixture) httpCase { return postForm(f.one, "scope", "read\twrite") }},
}

func TestErrors(t *testing.T) {
	f := newFixture(t)
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := f.do(t, tc.req(f))
			if resp.StatusCode != tc.status {
				t.Errorf("status = %d, want %d; body %s", resp.StatusCode, tc.status, body)
			}
			checkErrorHeaders(t, resp.Header, tc.header)
			name := tc.golden
			if name == "" {
				name = tc.name
			}
			golden(t, "errors/"+name, body)
		})
	}
}

func checkErrorHeaders(t *testing.T, h http.Header, want map[string]string) {
	t.Helper()
	fixed := map[string]string{
		"Content-Type": "application/json", "Cache-Control": "no-store", "Pragma": "no-cache",
		"Www-Authenticate": want["WWW-Authenticate"], "Allow": want["Allow"],
	}
	for name, value := range fixed {
		if got := h.Values(name); value == "" && len(got) != 0 || value != "" && (len(got) != 1 || got[0] != value) {
			t.Errorf("header %s = %q, want %q", name, got, value)
		}
	}
}

// TestAuthFailureIndistinguishable checks that an unknown client and a
// known client with a wrong secret get byte-identical answers.
func TestAuthFailureIndistinguishable(t *testing.T) {
	f := newFixture(t)
	for _, mk := range []func(testClient, ...string) httpCase{postForm, basicForm} {
		_, unknown := f.do(t, mk(testClient{ID: "no-such-client", Secret: "mint_x"}, "audience", apiTOCC.Audience))
		_, wrong := f.do(t, mk(testClient{ID: f.multi.ID, Secret: "mint_x"}, "audience", apiTOCC.Audience))
		_, expired := f.do(t, mk(f.expired))
		if !bytes.Equal(unknown, wrong) || !bytes.Equal(unknown, expired) {
			t.Errorf("bodies differ:\nunknown client: %s\nwrong secret:   %s\nexpired secret: %s", unknown, wrong, expired)
		}
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "client authentication failed") || !strings.Contains(logs, f.multi.ID) {
		t.Errorf("auth failures not logged with client_id:\n%s", logs)
	}
	if strings.Contains(logs, "mint_x") || strings.Contains(logs, f.expired.Secret) {
		t.Errorf("a secret reached the log:\n%s", logs)
	}
}

// TestStorageFailure: a store that fails is a 500 server_error whose cause
// is logged and not shown.
func TestStorageFailure(t *testing.T) {
	f := newFixture(t)
	if err := f.store.Close(); err != nil {
		t.Fatal(err)
	}
	resp, body := f.do(t, postForm(f.multi, "audience", apiTOCC.Audience))
	if resp.StatusCode != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", resp.StatusCode)
	}
	checkErrorHeaders(t, resp.Header, nil)
	golden(t, "errors/server_error", body)
	if logs := f.logs.String(); !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "sqlite") {
		t.Errorf("storage failure not logged with its cause:\n%s", logs)
	}
}
