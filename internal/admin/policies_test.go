package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/mint"
)

// TestPolicyField: an API's and a client's policy is compiled when saved; a
// bad one is refused with CEL's error in the admin API's error shape, and
// nothing is stored.
func TestPolicyField(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var api apiView
	good := `client.metadata.?tier.orValue("") == "gold" ? {"claims": {"tier": "gold"}} : {}`
	body, _ := json.Marshal(map[string]any{"name": "Orders", "audience": "https://orders.test", "policy": good})
	h.json("POST", "/admin/v1/apis", string(body), 201, &api)
	if api.Policy != good {
		t.Errorf("created API policy %q, want %q", api.Policy, good)
	}
	bad := []struct{ name, policy, want string }{
		{"Syntax", `client.id ==`, "Syntax error"},
		{"UnknownField", `client.secret == "x"`, "undefined field"},
		{"ResultType", `client.name`, "must give a bool or a map"},
		{"RegisteredClaim", `{"claims": {"iss": "https://evil.test"}}`, "registered"},
		{"RegisteredClaimOtherCase", `{"claims": {"Aud": "x"}}`, "registered"},
		{"TooLong", "true" + strings.Repeat(" && true", 1000), "at most"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := json.Marshal(map[string]any{"policy": tc.policy})
			for _, path := range []string{"/admin/v1/apis/" + api.ID, "/admin/v1/clients"} {
				method, reqBody := "PATCH", string(b)
				if path == "/admin/v1/clients" {
					method = "POST"
					nb, _ := json.Marshal(map[string]any{"name": "c", "policy": tc.policy})
					reqBody = string(nb)
				}
				a := h.json(method, path, reqBody, 400, nil)
				var raw map[string]any
				mustUnmarshal(t, a.body, &raw)
				if raw["error"] != "invalid_request" || raw["field"] != "policy" ||
					!strings.Contains(fmt.Sprint(raw["error_description"]), tc.want) {
					t.Errorf("%s %s: %s, want invalid_request on field policy mentioning %q", method, path, a.body, tc.want)
				}
			}
		})
	}
	var got apiView
	h.json("GET", "/admin/v1/apis/"+api.ID, nil, 200, &got)
	if got.Policy != good {
		t.Errorf("after refusals the policy is %q, want it unchanged", got.Policy)
	}
	got = apiView{}
	h.json("PATCH", "/admin/v1/apis/"+api.ID, `{"policy":""}`, 200, &got)
	if got.Policy != "" {
		t.Errorf("policy \"\" left %q", got.Policy)
	}
}

// TestClientMetadata: metadata is set on create, replaced whole by PATCH,
// bounded, refused when it is not string key/values, and audited.
func TestClientMetadata(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var c clientWithSecret
	h.json("POST", "/admin/v1/clients", `{"name":"Partner","metadata":{"tier":"gold","region":"eu"}}`, 201, &c)
	if !maps.Equal(c.Metadata, map[string]string{"tier": "gold", "region": "eu"}) {
		t.Errorf("created metadata %v", c.Metadata)
	}
	var v clientView
	h.json("PATCH", "/admin/v1/clients/"+c.ClientID, `{"metadata":{"tier":"silver"}}`, 200, &v)
	if !maps.Equal(v.Metadata, map[string]string{"tier": "silver"}) {
		t.Errorf("patched metadata %v, want it replaced whole", v.Metadata)
	}
	h.json("PATCH", "/admin/v1/clients/"+c.ClientID, `{"name":"Partner 2"}`, 200, &v)
	if !maps.Equal(v.Metadata, map[string]string{"tier": "silver"}) {
		t.Errorf("a PATCH without metadata changed it to %v", v.Metadata)
	}
	many := map[string]string{}
	for i := range 33 {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	manyJSON, _ := json.Marshal(map[string]any{"metadata": many})
	refused := []struct{ name, body string }{
		{"NumberValue", `{"metadata":{"tier":1}}`},
		{"ObjectValue", `{"metadata":{"tier":{"a":"b"}}}`},
		{"ListValue", `{"metadata":{"tier":["gold"]}}`},
		{"NotObject", `{"metadata":"tier=gold"}`},
		{"TooManyKeys", string(manyJSON)},
		{"UnicodeKey", `{"metadata":{"tïer":"gold"}}`},
		{"KeyStartsWithDigit", `{"metadata":{"1tier":"gold"}}`},
		{"EmptyKey", `{"metadata":{"":"gold"}}`},
		{"ControlInValue", `{"metadata":{"tier":"gold\u0000"}}`},
		{"LongValue", `{"metadata":{"tier":"` + strings.Repeat("x", 257) + `"}}`},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			a := h.json("PATCH", "/admin/v1/clients/"+c.ClientID, tc.body, 400, nil)
			var e map[string]any
			mustUnmarshal(t, a.body, &e)
			if e["error"] != "invalid_request" {
				t.Errorf("%s: %s, want invalid_request", tc.body, a.body)
			}
		})
	}
	v = clientView{}
	h.json("PATCH", "/admin/v1/clients/"+c.ClientID, `{"metadata":{}}`, 200, &v)
	if v.Metadata != nil {
		t.Errorf("metadata {} left %v", v.Metadata)
	}
	records, err := h.store.ListAudit(context.Background(), mint.AuditFilter{Kind: "admin.clients.update", ClientID: c.ClientID})
	if err != nil {
		t.Fatal(err)
	}
	if len(records) == 0 || !strings.Contains(string(records[0].Details), `"metadata":{"tier":"silver"}`) {
		t.Errorf("the first update's audit record does not show the metadata: %v", records)
	}
}

// TestAdminAPITakesNoPolicy: a policy on the built-in admin API could
// refuse every admin token, and then nothing could remove it.
func TestAdminAPITakesNoPolicy(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	a := h.json("PATCH", "/admin/v1/apis/"+h.admin.ID, `{"policy":"false"}`, 409, nil)
	if !strings.Contains(string(a.body), "lock every admin out") {
		t.Errorf("answer %s", a.body)
	}
	h.json("PATCH", "/admin/v1/apis/"+h.admin.ID, `{"policy":""}`, 200, nil)
}
