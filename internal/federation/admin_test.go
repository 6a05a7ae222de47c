package federation_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/server"
	"github.com/mintauth/mint/internal/testdb"
)

// TestRuleMadeThroughAdminAPI: a rule made with the admin API of a real
// `mint serve` (default audience: its issuer) lets the partner in at once.
func TestRuleMadeThroughAdminAPI(t *testing.T) {
	f := &fixture{t: t, clock: &clock{t: time.Now().Truncate(time.Second)}}
	const adminID, adminSecret = "ops-admin", "bootstrap-secret-0123456789abcdefghijkl"
	f.a = f.start(server.Config{DB: testdb.New(t, "sqlite"), MasterKey: keyring.NewMasterKey(),
		BootstrapClientID: adminID, BootstrapClientSecret: adminSecret})
	f.b = f.a
	f.k8s = newIssuer(t, "ES256")
	admin := post(t, f.a, url.Values{"grant_type": {"client_credentials"}, "client_id": {adminID},
		"client_secret": {adminSecret}, "audience": {mint.AdminAudience}})
	if admin.status != 200 {
		t.Fatalf("admin token: %d %v", admin.status, admin.body)
	}
	call := func(method, path, body string, want int) answer {
		t.Helper()
		req, _ := http.NewRequest(method, f.a.url+"/admin/v1"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+admin.str("access_token"))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if want == http.StatusNoContent {
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Fatalf("%s %s: %d, want %d", method, path, resp.StatusCode, want)
			}
			return answer{status: want}
		}
		a := read(t, resp)
		if a.status != want {
			t.Fatalf("%s %s: %d %v, want %d", method, path, a.status, a.body, want)
		}
		return a
	}
	call("POST", "/apis", `{"name":"cargo","audience":"`+cargo+`","scopes":["read"]}`, 201)
	client := call("POST", "/clients", `{"name":"partner"}`, 201).str("client_id")
	call("POST", "/grants", `{"client_id":"`+client+`","audience":"`+cargo+`","scopes":["read"]}`, 201)
	rule := call("POST", "/clients/"+client+"/federated-credentials",
		`{"issuer":"`+f.k8s.URL()+`","subject":"`+k8sSubject+`"}`, 201)
	if rule.str("audience") != mintIssuer {
		t.Fatalf("default audience %q, want the issuer", rule.str("audience"))
	}
	got := post(t, f.a, assertion(f.k8s.sign(f.k8sClaims())))
	if got.status != 200 || payload(t, got.str("access_token"))["client_id"] != client {
		t.Fatalf("token with the rule: %d %v", got.status, got.body)
	}
	call("DELETE", "/clients/"+client+"/federated-credentials/"+rule.str("id"), "", 204)
	wantRefused(t, post(t, f.a, assertion(f.k8s.sign(f.k8sClaims()))), 401, "invalid_client", "no trust rule")
}
