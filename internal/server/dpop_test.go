package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/bearer/dpop"
	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/server"
	"github.com/mintauth/mint/internal/testdb"
)

// TestDPoPNonceAcrossReplicas: with --dpop-nonce, a nonce one replica
// hands out is accepted by another (they derive the nonce key from the
// shared master key), a proof is used once across both, and introspection
// shows the binding.
func TestDPoPNonceAcrossReplicas(t *testing.T) {
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) {
			dsn := testdb.New(t, backend)
			key := keyring.NewMasterKey()
			a := startReplica(t, server.Config{DB: dsn, MasterKey: key, DPoPNonce: true})
			b := startReplica(t, server.Config{DB: dsn, MasterKey: key, DPoPNonce: true})
			c := setUpLimits(t, a.srv.Store(), nil, nil)
			p, err := dpop.GenerateProver()
			if err != nil {
				t.Fatal(err)
			}
			const htu = "http://mint.test/oauth/token"
			proof := func(nonce string) string {
				raw, err := p.Proof("POST", htu, "", nonce)
				if err != nil {
					t.Fatal(err)
				}
				return raw
			}
			resp, m := dpopToken(t, a.url, c, proof(""))
			nonce := resp.Header.Get("DPoP-Nonce")
			if resp.StatusCode != 400 || m["error"] != "use_dpop_nonce" || nonce == "" {
				t.Fatalf("no nonce: %d %v, DPoP-Nonce %q", resp.StatusCode, m, nonce)
			}
			withNonce := proof(nonce)
			resp, m = dpopToken(t, b.url, c, withNonce)
			if resp.StatusCode != 200 || m["token_type"] != "DPoP" {
				t.Fatalf("nonce from the other replica: %d %v", resp.StatusCode, m)
			}
			tok := m["access_token"].(string)
			resp, m = dpopToken(t, a.url, c, withNonce)
			if resp.StatusCode != 400 || m["error"] != "invalid_dpop_proof" {
				t.Fatalf("replayed on the other replica: %d %v", resp.StatusCode, m)
			}
			in := introspectDPoP(t, a.url, c, tok)
			cnf, _ := in["cnf"].(map[string]any)
			if in["active"] != true || in["token_type"] != "DPoP" || cnf["jkt"] != p.JKT() {
				t.Fatalf("introspection = %v, want active DPoP with cnf.jkt %s", in, p.JKT())
			}
		})
	}
}

func dpopToken(t *testing.T, base string, c limitsClient, proof string) (*http.Response, map[string]any) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.id}, "client_secret": {c.secret},
		"audience": {limitsAPI.Audience}}
	req, _ := http.NewRequest("POST", base+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("DPoP", proof)
	return doJSON(t, req)
}

func introspectDPoP(t *testing.T, base string, c limitsClient, tok string) map[string]any {
	t.Helper()
	form := url.Values{"token": {tok}, "client_id": {c.id}, "client_secret": {c.secret}}
	req, _ := http.NewRequest("POST", base+"/oauth/introspect", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_, m := doJSON(t, req)
	return m
}

func doJSON(t *testing.T, req *http.Request) (*http.Response, map[string]any) {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	return resp, m
}
