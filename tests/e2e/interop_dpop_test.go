package e2e_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/gateway"
	"github.com/mintauth/mint/internal/server"
)

// interopDir holds the independent clients: package.json, its lock file,
// and the scripts. scripts/test runs npm ci there.
const interopDir = "../interop"

// TestDPoPInteropOAuth4WebAPI drives mint and the gateway with
// oauth4webapi (panva's OAuth client for JavaScript runtimes), which
// implements RFC 9449 on its own: discovery, a DPoP-bound token with mint's
// nonce challenge answered, a call through the gateway with its nonce
// challenge answered, and the bound token refused as Bearer. It fails,
// never skips, without Node.js or the installed package.
func TestDPoPInteropOAuth4WebAPI(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed; the DPoP interop test needs Node.js 20 or later")
	}
	if _, err := os.Stat(filepath.Join(interopDir, "node_modules", "oauth4webapi")); err != nil {
		t.Fatalf("oauth4webapi is not installed: run `npm ci` in tests/interop (scripts/test does): %v", err)
	}
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
		DPoP: gateway.DPoPConfig{NonceKey: nonceKey}})

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "dpop.mjs", m.URL, partner.ClientID, partner.ClientSecret, prodAudience, gw+"/echo")
	cmd.Dir = interopDir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node dpop.mjs: %v\n%s", err, stderr.String())
	}
	var got struct {
		DPoPAlgs             []string `json:"dpopAlgs"`
		TokenType            string   `json:"tokenType"`
		TokenNonceChallenged bool     `json:"tokenNonceChallenged"`
		AccessToken          string   `json:"accessToken"`
		APIStatus            int      `json:"apiStatus"`
		APIBody              string   `json:"apiBody"`
		APINonceChallenged   bool     `json:"apiNonceChallenged"`
		AsBearerStatus       int      `json:"asBearerStatus"`
		AsBearerChallenge    string   `json:"asBearerChallenge"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if !strings.EqualFold(got.TokenType, "DPoP") || !got.TokenNonceChallenged || len(got.DPoPAlgs) == 0 {
		t.Errorf("token: type %q, nonce challenged %v, algs %v", got.TokenType, got.TokenNonceChallenged, got.DPoPAlgs)
	}
	var seen map[string][]string
	_ = json.Unmarshal([]byte(got.APIBody), &seen)
	if got.APIStatus != 200 || !got.APINonceChallenged || len(seen["Authorization"]) != 1 ||
		!strings.HasPrefix(seen["Authorization"][0], "DPoP ") {
		t.Errorf("API call: %d, nonce challenged %v, upstream saw %s", got.APIStatus, got.APINonceChallenged, got.APIBody)
	}
	if got.AsBearerStatus != 401 || !strings.Contains(got.AsBearerChallenge, `DPoP error="invalid_token"`) {
		t.Errorf("bound token as Bearer: %d %q", got.AsBearerStatus, got.AsBearerChallenge)
	}
	if hits.Load() != 1 {
		t.Errorf("the upstream was called %d times, want once", hits.Load())
	}
}
