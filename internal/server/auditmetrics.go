package server

import "github.com/prometheus/client_golang/prometheus"

// registerAuditMetrics publishes the audit appender's counters, read at
// scrape time: an operator (and `mint bench --clients-file`, which reads
// them before and after a run) sees whether the audit log keeps up with the
// token rate. No labels: three series whatever the number of clients.
func (s *Server) registerAuditMetrics() {
	stat := func(pick func(pending int, dropped, lost uint64) float64) func() float64 {
		return func() float64 { return pick(s.AuditStats()) }
	}
	s.metrics.Registry().MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "mint_audit_dropped_total",
			Help: "Token issuance records not written to the audit log because its buffer was full (docs/audit.md).",
		}, stat(func(_ int, dropped, _ uint64) float64 { return float64(dropped) })),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "mint_audit_lost_total",
			Help: "Authentication failure records given up because the audit buffer stayed full while the request waited.",
		}, stat(func(_ int, _, lost uint64) float64 { return float64(lost) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "mint_audit_pending",
			Help: "Audit records buffered, waiting to be written.",
		}, stat(func(pending int, _, _ uint64) float64 { return float64(pending) })),
	)
}
