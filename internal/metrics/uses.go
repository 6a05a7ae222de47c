package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/mintauth/mint/internal/usebatch"
)

// Reasons a use of a jti is refused before the database answers, the
// reason label of mint_replay_uses_refused_total.
const (
	ReasonQueueFull = "queue_full"
	ReasonTimeout   = "timeout"
)

var (
	usesWaitingDesc = prometheus.NewDesc("mint_replay_uses_waiting",
		"Used jti values (DPoP proofs, client assertions) waiting for their group's commit to the replay table, those being written included; past the queue bound (4096) they are refused.",
		nil, nil)
	usesRefusedDesc = prometheus.NewDesc("mint_replay_uses_refused_total",
		"Used jti values refused with 503 before the replay table answered, by reason: queue_full (too many waiting), timeout (the group's commit took longer than 5 s).",
		[]string{"reason"}, nil)
)

// usesCollector reads the replay group commit's figures at scrape time.
type usesCollector struct {
	read func() usebatch.Stats
}

func (c *usesCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- usesWaitingDesc
	ch <- usesRefusedDesc
}

func (c *usesCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.read()
	ch <- prometheus.MustNewConstMetric(usesWaitingDesc, prometheus.GaugeValue, float64(st.Waiting))
	ch <- prometheus.MustNewConstMetric(usesRefusedDesc, prometheus.CounterValue, float64(st.QueueFull), ReasonQueueFull)
	ch <- prometheus.MustNewConstMetric(usesRefusedDesc, prometheus.CounterValue, float64(st.Timeouts), ReasonTimeout)
}
