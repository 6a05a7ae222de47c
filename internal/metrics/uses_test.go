package metrics_test

import (
	"testing"

	"github.com/mintauth/mint/internal/metrics"
	"github.com/mintauth/mint/internal/usebatch"
)

// TestReplayUseSeries: the replay group commit's figures are read at each
// scrape, the refusals under two reasons only (no client label, whatever
// the store holds); without Options.Uses there are no such series.
func TestReplayUseSeries(t *testing.T) {
	st := usebatch.Stats{Waiting: 7, QueueFull: 2, Timeouts: 1}
	m := metrics.New(metrics.Options{Uses: func() usebatch.Stats { return st }})
	for _, scrape := range []usebatch.Stats{st, {Waiting: 0, QueueFull: 5, Timeouts: 1}} {
		st = scrape
		got := map[string]float64{}
		mfs, err := m.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			for _, s := range mf.GetMetric() {
				switch mf.GetName() {
				case "mint_replay_uses_waiting":
					got["waiting"] = s.GetGauge().GetValue()
				case "mint_replay_uses_refused_total":
					if len(s.GetLabel()) != 1 || s.GetLabel()[0].GetName() != "reason" {
						t.Fatalf("labels %v, want reason only", s.GetLabel())
					}
					got[s.GetLabel()[0].GetValue()] = s.GetCounter().GetValue()
				}
			}
		}
		want := map[string]float64{"waiting": float64(st.Waiting), metrics.ReasonQueueFull: float64(st.QueueFull), metrics.ReasonTimeout: float64(st.Timeouts)}
		if len(got) != len(want) {
			t.Fatalf("series %v, want %v", got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %v, want %v", k, got[k], v)
			}
		}
	}
	for _, name := range []string{"mint_replay_uses_waiting", "mint_replay_uses_refused_total"} {
		if n, err := count(metrics.New(metrics.Options{}).Registry(), name); err != nil || n != 0 {
			t.Errorf("without Uses: %d series of %s (%v), want none", n, name, err)
		}
	}
}
