package main_test

import (
	"encoding/json"
	"io"
	"net/http"
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

// TestMetricsAddr: by default /metrics is on the serve address; with
// MINT_METRICS_ADDR (--metrics-addr) it is only there. /readyz is on the
// serve address either way.
func TestMetricsAddr(t *testing.T) {
	t.Run("default", func(t *testing.T) {
		p := startMint(t, nil)
		if status, body := getStatus(t, p.URL+"/metrics"); status != http.StatusOK || !strings.Contains(body, "mint_signing_duration_seconds_count{alg=\"EdDSA\"}") {
			t.Errorf("/metrics: %d\n%.300s", status, body)
		}
	})
	t.Run("separate", func(t *testing.T) {
		p := startMint(t, []string{"MINT_METRICS_ADDR=127.0.0.1:0"})
		var addr string
		for _, line := range strings.Split(p.Log(), "\n") {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "metrics serving" {
				addr = rec.Addr
			}
		}
		if addr == "" {
			t.Fatalf("no metrics address logged:\n%s", p.Log())
		}
		if status, body := getStatus(t, "http://"+addr+"/metrics"); status != http.StatusOK || !strings.Contains(body, "go_goroutines") {
			t.Errorf("/metrics on the metrics address: %d\n%.300s", status, body)
		}
		if status, _ := getStatus(t, p.URL+"/metrics"); status != http.StatusNotFound {
			t.Errorf("/metrics on the serve address: %d, want 404", status)
		}
		if status, body := getStatus(t, p.URL+"/readyz"); status != http.StatusOK || strings.TrimSpace(body) != `{"status":"ready"}` {
			t.Errorf("/readyz: %d %s", status, body)
		}
	})
}
