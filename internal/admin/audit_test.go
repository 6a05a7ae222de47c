package admin

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/audit"
)

// TestAuditRecordsEveryChange: each admin change leaves one record, in
// order, naming the admin client, the source address and the resource,
// with before and after but never a secret; refused changes leave none;
// the chain verifies.
func TestAuditRecordsEveryChange(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var api apiView
	h.json("POST", "/admin/v1/apis", `{"name":"Cargo","audience":"https://cargo","scopes":["read:cargo"],"audit_issuance":"sample:10"}`, 201, &api)
	if api.AuditIssuance != "sample:10" {
		t.Errorf("audit_issuance = %q", api.AuditIssuance)
	}
	h.json("PATCH", "/admin/v1/apis/"+api.ID, `{"name":"Cargo 2","audit_issuance":"off"}`, 200, nil)
	h.json("PATCH", "/admin/v1/apis/api_nope", `{"name":"x"}`, 404, nil)
	var c clientWithSecret
	h.json("POST", "/admin/v1/clients", `{"name":"robot"}`, 201, &c)
	h.json("PATCH", "/admin/v1/clients/"+c.ClientID, `{"name":"robot 2"}`, 200, nil)
	var rotated clientWithSecret
	h.json("POST", "/admin/v1/clients/"+c.ClientID+"/rotate-secret", `{"revoke_tokens":true}`, 200, &rotated)
	var g grantView
	h.json("POST", "/admin/v1/grants", `{"client_id":"`+c.ClientID+`","audience":"https://cargo","scopes":["read:cargo"]}`, 201, &g)
	h.json("PATCH", "/admin/v1/grants/"+g.ID, `{"scopes":[]}`, 200, nil)
	h.json("DELETE", "/admin/v1/grants/"+g.ID, nil, 204, nil)
	if a := h.do(call{method: "POST", path: "/admin/v1/keys/rotate", token: h.token("keys:write")}); a.status != 202 {
		t.Fatalf("rotate key: %d %s", a.status, a.body)
	}
	h.json("DELETE", "/admin/v1/clients/"+c.ClientID, nil, 204, nil)
	h.json("DELETE", "/admin/v1/apis/"+api.ID, nil, 204, nil)
	h.json("DELETE", "/admin/v1/apis/"+api.ID, nil, 404, nil)

	var records []audit.View
	a := h.json("GET", "/admin/v1/audit?kind=admin.", nil, 200, &records)
	var kinds []string
	for _, r := range records {
		kinds = append(kinds, r.Kind)
		if r.Actor != testAdminClient || !strings.HasPrefix(r.Source, "127.0.0.1:") || r.Subject == "" {
			t.Errorf("record %d: actor %q, source %q, subject %q", r.Seq, r.Actor, r.Source, r.Subject)
		}
	}
	want := "admin.apis.create admin.apis.update admin.clients.create admin.clients.update " +
		"admin.clients.rotate-secret admin.clients.revoke-tokens admin.grants.create admin.grants.update " +
		"admin.grants.delete admin.keys.rotate admin.clients.delete admin.apis.delete"
	if got := strings.Join(kinds, " "); got != want {
		t.Fatalf("kinds:\n got %s\nwant %s", got, want)
	}
	for _, secret := range []string{c.ClientSecret, rotated.ClientSecret, "digest", "private"} {
		if strings.Contains(string(a.body), secret) {
			t.Errorf("the audit log shows %q", secret)
		}
	}
	var update struct{ Before, After apiView }
	mustUnmarshal(t, records[1].Details, &update)
	if update.Before.Name != "Cargo" || update.After.Name != "Cargo 2" || update.After.AuditIssuance != "off" {
		t.Errorf("apis.update details: %s", records[1].Details)
	}
	if records[2].ClientID != c.ClientID || records[6].ClientID != c.ClientID {
		t.Errorf("client records do not name the client: %+v / %+v", records[2], records[6])
	}
	var rep audit.ReportView
	h.json("GET", "/admin/v1/audit/verify", nil, 200, &rep)
	if !rep.OK || rep.Checked != len(records) || rep.HeadSeq != int64(len(records)) {
		t.Errorf("verify: %+v", rep)
	}
}

func TestAuditQuery(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var c1, c2 clientWithSecret
	h.json("POST", "/admin/v1/clients", `{"name":"one"}`, 201, &c1)
	h.json("POST", "/admin/v1/clients", `{"name":"two"}`, 201, &c2)
	h.json("PATCH", "/admin/v1/clients/"+c1.ClientID, `{"name":"one again"}`, 200, nil)
	seqs := func(query string) string {
		t.Helper()
		var records []audit.View
		h.json("GET", "/admin/v1/audit"+query, nil, 200, &records)
		var s []string
		for _, r := range records {
			s = append(s, itoa(r.Seq))
		}
		return strings.Join(s, ",")
	}
	for query, want := range map[string]string{
		"":                                    "1,2,3",
		"?client_id=" + c1.ClientID:           "1,3",
		"?kind=admin.clients.update":          "3",
		"?after_seq=1&limit=1":                "2",
		"?since=2026-03-04T05:06:07Z":         "1,2,3",
		"?until=2026-03-04T05:06:07Z":         "",
		"?client_id=nobody&kind=token.issued": "",
		"?order=newest":                       "3,2,1",
		"?order=newest&limit=2":               "3,2",
		"?order=newest&before_seq=3&limit=1":  "2",
		"?order=oldest&before_seq=3":          "1,2",
	} {
		if got := seqs(query); got != want {
			t.Errorf("GET /admin/v1/audit%s: seqs %q, want %q", query, got, want)
		}
	}
	for _, query := range []string{"?since=yesterday", "?until=1", "?after_seq=-1", "?limit=0", "?limit=1001", "?after_seq=x", "?before_seq=0", "?before_seq=x", "?order=desc"} {
		a := h.do(call{method: "GET", path: "/admin/v1/audit" + query, token: h.bearer})
		var e struct{ Error, Field string }
		json.Unmarshal(a.body, &e)
		if a.status != 400 || e.Error != "invalid_request" || e.Field == "" {
			t.Errorf("GET /admin/v1/audit%s: %d %s, want 400 invalid_request naming the field", query, a.status, a.body)
		}
	}
	for _, path := range []string{"/admin/v1/audit", "/admin/v1/audit/verify"} {
		a := h.do(call{method: "GET", path: path, token: h.token("clients:read")})
		if a.status != 403 {
			t.Errorf("GET %s without audit:read: %d, want 403", path, a.status)
		}
	}
	a := h.do(call{method: "POST", path: "/admin/v1/apis", token: h.bearer, contentType: "application/json",
		body: `{"name":"x","audience":"https://x","audit_issuance":"sample:0"}`})
	if a.status != 400 || !strings.Contains(string(a.body), "audit_issuance") {
		t.Errorf("audit_issuance sample:0: %d %s, want 400 on audit_issuance", a.status, a.body)
	}
}
