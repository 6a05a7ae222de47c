package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/mintauth/mint/internal/storecache"
)

var (
	cacheRequestsDesc = prometheus.NewDesc("mint_cache_requests_total",
		"Reads of the token path's store cache by kind of answer and result: hit, miss (read the store), bypass (read through while changes were not heard).",
		[]string{"kind", "result"}, nil)
	cacheEntriesDesc = prometheus.NewDesc("mint_cache_entries",
		"Answers the store cache holds, by kind.", []string{"kind"}, nil)
	cacheLoadsDesc = prometheus.NewDesc("mint_cache_loads_total",
		"Reads of the store made to fill the cache; concurrent misses of one key share one.", nil, nil)
	cacheRefreshesDesc = prometheus.NewDesc("mint_cache_refreshes_total",
		"Background reads of expired answers given from memory meanwhile (changes heard), by kind: started, or skipped because too many were running (a later hit retries).",
		[]string{"kind", "result"}, nil)
	cacheFlushesDesc = prometheus.NewDesc("mint_cache_flushes_total",
		"Times the cache was emptied because something changed.", nil, nil)
)

// cacheCollector reads the cache's own counters at scrape time.
type cacheCollector struct {
	read func() ([]storecache.KindStats, storecache.Stats)
}

func (c *cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- cacheRequestsDesc
	ch <- cacheEntriesDesc
	ch <- cacheLoadsDesc
	ch <- cacheFlushesDesc
	ch <- cacheRefreshesDesc
}

func (c *cacheCollector) Collect(ch chan<- prometheus.Metric) {
	kinds, total := c.read()
	for _, k := range kinds {
		for _, r := range []struct {
			result string
			n      uint64
		}{{"hit", k.Hits}, {"miss", k.Misses}, {"bypass", k.Bypassed}} {
			ch <- prometheus.MustNewConstMetric(cacheRequestsDesc, prometheus.CounterValue, float64(r.n), k.Kind, r.result)
		}
		ch <- prometheus.MustNewConstMetric(cacheRefreshesDesc, prometheus.CounterValue, float64(k.Refreshes), k.Kind, "started")
		ch <- prometheus.MustNewConstMetric(cacheRefreshesDesc, prometheus.CounterValue, float64(k.RefreshesSkipped), k.Kind, "skipped")
		ch <- prometheus.MustNewConstMetric(cacheEntriesDesc, prometheus.GaugeValue, float64(k.Entries), k.Kind)
	}
	ch <- prometheus.MustNewConstMetric(cacheLoadsDesc, prometheus.CounterValue, float64(total.Loads))
	ch <- prometheus.MustNewConstMetric(cacheFlushesDesc, prometheus.CounterValue, float64(total.Flushes))
}
