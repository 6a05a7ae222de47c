package main_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
)

// getStatus returns the status and body of GET url.
func getStatus(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// metricsAddr returns the address of the "metrics serving" log line, or "".
func metricsAddr(p *mintProcess) string {
	for _, line := range strings.Split(p.Log(), "\n") {
		var rec struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "metrics serving" {
			return rec.Addr
		}
	}
	return ""
}

// TestMetricsAddr: /metrics is never on the serve address (it names every
// active client and API, which the token endpoint takes care never to
// confirm); it is on its own loopback address, 127.0.0.1:9464 unless
// --metrics-addr says otherwise, which must be loopback unless
// --metrics-public; "off" serves none. /readyz is on the serve address.
func TestMetricsAddr(t *testing.T) {
	t.Run("own address", func(t *testing.T) {
		p := startMint(t, nil) // mintproc gives --metrics-addr 127.0.0.1:0
		addr := metricsAddr(p)
		if addr == "" || !strings.HasPrefix(addr, "127.0.0.1:") {
			t.Fatalf("metrics address %q logged, want 127.0.0.1:…\n%s", addr, p.Log())
		}
		if status, body := getStatus(t, "http://"+addr+"/metrics"); status != http.StatusOK ||
			!strings.Contains(body, "mint_signing_duration_seconds_count{alg=\"EdDSA\"}") {
			t.Errorf("/metrics on the metrics address: %d\n%.300s", status, body)
		}
		if status, _ := getStatus(t, p.URL+"/metrics"); status != http.StatusNotFound {
			t.Errorf("/metrics on the serve address: %d, want 404", status)
		}
		if status, body := getStatus(t, p.URL+"/readyz"); status != http.StatusOK || strings.TrimSpace(body) != `{"status":"ready"}` {
			t.Errorf("/readyz: %d %s", status, body)
		}
	})
	t.Run("default is loopback", func(t *testing.T) {
		out, _ := exec.Command(mintBin, "serve", "-h").CombinedOutput()
		if !strings.Contains(string(out), `"127.0.0.1:9464"`) {
			t.Errorf("mint serve -h does not give 127.0.0.1:9464 as the default --metrics-addr:\n%s", out)
		}
	})
	t.Run("off", func(t *testing.T) {
		p := startMint(t, []string{"MINT_METRICS_ADDR=off"}, "--metrics-addr", "off")
		if addr := metricsAddr(p); addr != "" {
			t.Errorf("metrics served on %s with --metrics-addr off", addr)
		}
		if status, _ := getStatus(t, p.URL+"/metrics"); status != http.StatusNotFound {
			t.Errorf("/metrics on the serve address: %d, want 404", status)
		}
	})
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		t.Run("refuses "+addr, func(t *testing.T) {
			out, err := exec.Command(mintBin, "serve", "--metrics-addr", addr, "--db", t.TempDir()+"/mint.db").CombinedOutput()
			if code := exitCode(err); code != 2 || !strings.Contains(string(out), "--metrics-public") {
				t.Fatalf("exit code %d, want 2 naming --metrics-public\n%s", code, out)
			}
		})
	}
	// Tests bind loopback only: an address of TEST-NET-1 (RFC 5737), on no
	// interface here, shows that --metrics-public lifts the refusal (the
	// bind is tried, and fails) without opening anything to a network.
	t.Run("public when told", func(t *testing.T) {
		cmd := exec.Command(mintBin, "serve", "--addr", "127.0.0.1:0", "--metrics-addr", "192.0.2.1:0", "--db", t.TempDir()+"/mint.db")
		cmd.Env = append(cmd.Environ(), "MINT_METRICS_PUBLIC=true")
		out, err := cmd.CombinedOutput()
		if code := exitCode(err); code != 1 || !strings.Contains(string(out), "metrics address") ||
			strings.Contains(string(out), "refusing") {
			t.Fatalf("exit code %d, want 1 from the bind, not the refusal\n%s", code, out)
		}
	})
}
