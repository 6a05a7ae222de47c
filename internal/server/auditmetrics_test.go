package server_test

import (
	"net/http/httptest"
	"testing"

	"github.com/mintauth/mint/internal/server"
)

// The audit appender's counters are on /metrics, unlabelled, as AuditStats
// reports them: what `mint bench --clients-file` reads before and after a
// run.
func TestAuditMetricsMatchAuditStats(t *testing.T) {
	srv := newServer(t, server.Config{BootstrapClientID: "ops-admin", BootstrapClientSecret: adminSecret})
	mts := httptest.NewServer(srv.MetricsHandler())
	defer mts.Close()
	m := scrape(t, mts.URL+server.MetricsPath)
	_, dropped, lost := srv.AuditStats()
	for series, want := range map[string]float64{
		"mint_audit_dropped_total": float64(dropped),
		"mint_audit_lost_total":    float64(lost),
	} {
		if got, ok := m[series]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, want)
		}
	}
	if _, ok := m["mint_audit_pending"]; !ok {
		t.Error("mint_audit_pending is missing")
	}
}
