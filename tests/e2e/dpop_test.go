package e2e_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/bearer/dpop"
	"github.com/mintauth/mint/client"
	"github.com/mintauth/mint/internal/gateway"
	"github.com/mintauth/mint/internal/server"
)

// TestDPoPFullLoop: a partner whose client requires DPoP gets a bound
// token from mint (answering mint's nonce challenge), and calls an API
// behind the gateway (answering the gateway's nonce challenge) and the
// example API behind the Go middleware, all through the SDK. Then, as an
// attacker holding the token but not the key, every way of using it is
// refused before the upstream.
func TestDPoPFullLoop(t *testing.T) {
	m := startMint(t, server.Config{DPoPNonce: true})
	partner := dataloy(t, m, 3600)
	m.patch(t, "/admin/v1/clients/"+partner.ClientID, map[string]any{"token_binding": "dpop"})
	upstream, hits := plainUpstream(t)
	rules, err := gateway.ParseRules("GET / read:cargo")
	if err != nil {
		t.Fatal(err)
	}
	nonceKey := make([]byte, 32)
	rand.Read(nonceKey)
	gw := startGateway(t, &gateway.Options{Upstream: upstream.URL, Issuer: m.URL, Audience: prodAudience, Rules: rules,
		DPoP: gateway.DPoPConfig{Required: true, NonceKey: nonceKey}})
	api := startCargoAPI(t, m, prodAudience, 0, nil)
	ctx := context.Background()

	t.Run("without a key the partner gets no token", func(t *testing.T) {
		_, err := partner.TokenSource(ctx).Token()
		var e *client.Error
		if !errors.As(err, &e) || e.Code != "invalid_dpop_proof" {
			t.Fatalf("token without DPoP: %v", err)
		}
	})

	prover, err := dpop.GenerateProver()
	if err != nil {
		t.Fatal(err)
	}
	partner.DPoP = prover
	hc := partner.Client(ctx)
	var seen http.Header
	t.Run("SDK through the gateway", func(t *testing.T) {
		resp, err := hc.Get(gw + "/echo?x=1")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			body, _ := io.ReadAll(resp.Body)
			t.Fatalf("%s %s", resp.Status, body)
		}
		json.NewDecoder(resp.Body).Decode(&seen)
		if !strings.HasPrefix(seen.Get("Authorization"), "DPoP ") || seen.Get("X-Mint-Client-Id") != partner.ClientID {
			t.Fatalf("upstream saw %v", seen)
		}
	})
	t.Run("SDK to the example API (Go middleware)", func(t *testing.T) {
		rows := getRows(t, hc, api.URL+seedQuery)
		if len(rows) == 0 {
			t.Fatal("no rows")
		}
	})
	tok := strings.TrimPrefix(seen.Get("Authorization"), "DPoP ")
	echo := gw + "/echo"
	nonce := prover.Nonce(strings.TrimSuffix(gw, "/"))
	if nonce == "" {
		t.Fatal("the SDK kept no gateway nonce")
	}
	proof := func(p *dpop.Prover, method, url, token string) string {
		raw, err := p.Proof(method, url, token, nonce)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	thief, _ := dpop.GenerateProver()
	stale, _ := dpop.GenerateProver()
	stale.Now = func() time.Time { return time.Now().Add(-5 * time.Minute) }
	used := proof(prover, "GET", echo, tok)
	if status, _ := call(t, "GET", echo, "DPoP "+tok, used); status != 200 {
		t.Fatalf("a fresh proof: %d", status)
	}
	before := hits.Load()
	for _, tt := range []struct {
		name, method, url, auth, proof, challenge string
	}{
		{"bound token as Bearer", "GET", echo, "Bearer " + tok, "", `DPoP error="invalid_token"`},
		{"missing proof", "GET", echo, "DPoP " + tok, "", `invalid_dpop_proof`},
		{"proof for another method", "GET", echo, "DPoP " + tok, proof(prover, "POST", echo, tok), `invalid_dpop_proof`},
		{"proof for another URL", "GET", echo, "DPoP " + tok, proof(prover, "GET", gw+"/download", tok), `invalid_dpop_proof`},
		{"replayed proof", "GET", echo, "DPoP " + tok, used, `invalid_dpop_proof`},
		{"stale iat", "GET", echo, "DPoP " + tok, proof(stale, "GET", echo, tok), `invalid_dpop_proof`},
		{"wrong ath", "GET", echo, "DPoP " + tok, proof(prover, "GET", echo, tok+"x"), `invalid_dpop_proof`},
		{"wrong key", "GET", echo, "DPoP " + tok, proof(thief, "GET", echo, tok), `invalid_dpop_proof`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, challenge := call(t, tt.method, tt.url, tt.auth, tt.proof)
			if status != 401 || !strings.Contains(challenge, tt.challenge) {
				t.Fatalf("%d %q, want 401 with %s", status, challenge, tt.challenge)
			}
		})
	}
	if hits.Load() != before {
		t.Errorf("%d refused requests reached the upstream", hits.Load()-before)
	}
	t.Run("bound token as Bearer at the example API", func(t *testing.T) {
		if status, challenge := call(t, "GET", api.URL+seedQuery, "Bearer "+tok, ""); status != 401 || !strings.Contains(challenge, "DPoP") {
			t.Fatalf("%d %q", status, challenge)
		}
	})
	t.Run("protected resource metadata", func(t *testing.T) {
		resp, err := http.Get(gw + bearer.ProtectedResourcePath)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var md bearer.ResourceMetadata
		if err := json.NewDecoder(resp.Body).Decode(&md); err != nil || md.Resource != prodAudience ||
			len(md.AuthorizationServers) != 1 || md.AuthorizationServers[0] != m.URL || !md.DPoPBoundRequired {
			t.Fatalf("%s %+v %v", resp.Status, md, err)
		}
	})
}

// call sends one request with the Authorization and DPoP headers given
// and returns the status and the challenges.
func call(t *testing.T, method, url, auth, proof string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	req.Header.Set("Authorization", auth)
	if proof != "" {
		req.Header.Set("DPoP", proof)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, strings.Join(resp.Header.Values("WWW-Authenticate"), " | ")
}

// patch sends one admin PATCH and wants 200.
func (m *mintServer) patch(t *testing.T, path string, body any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("PATCH", m.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+m.adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("PATCH %s: %s %s", path, resp.Status, raw)
	}
}
