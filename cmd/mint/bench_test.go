package main_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestBenchSetup runs `mint bench --setup --baseline --pid` as scripts/bench
// does: with admin credentials it registers an API, a client and a grant,
// loads mint and the baseline with them, and removes them again.
func TestBenchSetup(t *testing.T) {
	m := startMint(t, []string{"MINT_BOOTSTRAP_CLIENT_ID=" + adminID, "MINT_BOOTSTRAP_CLIENT_SECRET=" + adminSecret})
	cmd := exec.Command(mintBin, "bench", "--setup", "--baseline", "--json",
		"--connections", "2", "--duration", "1s", "--warmup", "100ms", "--pid", fmt.Sprint(m.Cmd.Process.Pid))
	cmd.Env = append(os.Environ(), "MINT_SERVER="+m.URL, "MINT_CLIENT_ID="+adminID, "MINT_CLIENT_SECRET="+adminSecret)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mint bench: %v\n%s\n%s", err, out, stderr.String())
	}
	var rep struct {
		Alg  string
		Mint struct {
			Requests, Errors int
		}
		Baseline *struct{ Requests int }
		Signing  *struct{ Requests, Errors int } `json:"signing_baseline"`
		Ratio    float64
		RSS      *struct {
			Start int64 `json:"start_bytes"`
		}
	}
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("report %s: %v", out, err)
	}
	if rep.Alg != "RS256" || rep.Mint.Requests == 0 || rep.Mint.Errors != 0 || rep.Baseline == nil || rep.Ratio <= 0 || rep.RSS == nil || rep.RSS.Start <= 0 {
		t.Fatalf("report %s: want RS256 tokens, no errors, a baseline, a ratio and mint's RSS", out)
	}
	if rep.Signing == nil || rep.Signing.Requests == 0 || rep.Signing.Errors != 0 {
		t.Fatalf("report %s: want the signing baseline loaded without errors", out)
	}
	// The bench client and API are gone: only the admin client is left.
	var clients []struct {
		ClientID string `json:"client_id"`
	}
	admin := tokenFor(t, m.URL, adminID, adminSecret)
	call(t, "GET", m.URL+"/admin/v1/clients", admin, nil, &clients)
	if len(clients) != 1 || clients[0].ClientID != adminID {
		t.Errorf("clients after mint bench: %+v, want only the admin", clients)
	}
}

func tokenFor(t *testing.T, url, id, secret string) string {
	t.Helper()
	return getToken(t, url+"/oauth/token", map[string]string{"client_id": id, "client_secret": secret, "audience": "urn:mint:admin"}).AccessToken
}
