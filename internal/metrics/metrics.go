package metrics

import (
	"cmp"
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/storecache"
	"github.com/mintauth/mint/internal/token"
	"github.com/mintauth/mint/internal/usebatch"
)

// Outcome and label values.
const (
	OutcomeIssued = "issued"
	Unknown       = "unknown"
)

// Buckets of the histograms, in seconds.
var (
	requestBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}
	signingBuckets = []float64{.00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025}
	storeBuckets   = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}
)

// Options configure Metrics.
type Options struct {
	// Cache, when set, is read at every scrape for the cache series.
	Cache func() ([]storecache.KindStats, storecache.Stats)
	// Uses, when set, is read at every scrape for the replay group
	// commit's series (mint_replay_uses_*).
	Uses func() usebatch.Stats
	// Now is the clock of the lifetime windows; nil means time.Now.
	Now func() time.Time
	// MaxWindow bounds the window of mint_tokens_per_lifetime; zero means
	// DefaultMaxWindow.
	MaxWindow time.Duration
	// MaxClients bounds the client_id and audience labels: the first
	// MaxClients distinct values seen get series of their own, the rest
	// are counted under "other"; mint_tokens_per_lifetime exports the
	// MaxClients pairs with the most tokens. Zero means DefaultMaxClients.
	MaxClients int
	// TrackedPairs bounds the client and audience pairs
	// mint_tokens_per_lifetime counts at once (see Lifetimes.Issued); zero
	// means 4 × MaxClients.
	TrackedPairs int
}

// Metrics holds mint's collectors on a registry of their own. It is safe
// for concurrent use.
type Metrics struct {
	registry  *prometheus.Registry
	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	issuedDur prometheus.Observer
	signing   *prometheus.HistogramVec
	algs      map[string]prometheus.Observer
	store     *prometheus.HistogramVec
	lifetimes *Lifetimes
	clients   *labelBudget
	audiences *labelBudget
}

// New registers mint's collectors, with the Go runtime and process ones,
// on a new registry.
func New(opts Options) *Metrics {
	if opts.MaxClients <= 0 {
		opts.MaxClients = DefaultMaxClients
	}
	m := &Metrics{
		registry:  prometheus.NewRegistry(),
		clients:   newLabelBudget(opts.MaxClients),
		audiences: newLabelBudget(opts.MaxClients),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "mint_token_requests_total",
			Help: `Token requests by authenticated client ("unknown" if none), audience and outcome ("issued" or the OAuth error code).`,
		}, []string{"client_id", "audience", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mint_token_request_duration_seconds",
			Help:    "Time the token endpoint took per request, from reading the body to writing the answer, by outcome.",
			Buckets: requestBuckets,
		}, []string{"outcome"}),
		signing: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mint_signing_duration_seconds",
			Help:    "Time signing one access token took, by JWS algorithm.",
			Buckets: signingBuckets,
		}, []string{"alg"}),
		store: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "mint_store_duration_seconds",
			Help:    "Time the token path's store reads took when the cache could not answer, by read.",
			Buckets: storeBuckets,
		}, []string{"op"}),
		lifetimes: NewLifetimes(opts.MaxWindow, opts.Now),
	}
	m.lifetimes.maxSeries = opts.MaxClients
	m.lifetimes.tracked = cmp.Or(opts.TrackedPairs, 4*opts.MaxClients)
	m.issuedDur = m.duration.WithLabelValues(OutcomeIssued)
	m.algs = make(map[string]prometheus.Observer, len(mint.SigningAlgorithms))
	for _, alg := range mint.SigningAlgorithms {
		m.algs[alg] = m.signing.WithLabelValues(alg)
	}
	m.registry.MustRegister(m.requests, m.duration, m.signing, m.store, m.lifetimes,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if opts.Cache != nil {
		m.registry.MustRegister(&cacheCollector{read: opts.Cache})
	}
	if opts.Uses != nil {
		m.registry.MustRegister(&usesCollector{read: opts.Uses})
	}
	return m
}

// Registry returns the registry the collectors are on, for more of them.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Handler serves the metrics in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// ClientLabel is the client_id label value of id: id itself within the
// label budget, else Other. Every series labelled by client goes through
// it.
func (m *Metrics) ClientLabel(id string) string { return m.clients.value(id) }

// TokensPerLifetime returns the mint_tokens_per_lifetime of every pair
// counted (at most Options.TrackedPairs), not only those exported.
func (m *Metrics) TokensPerLifetime() []PairRate { return m.lifetimes.All() }

// TopTokensPerLifetime returns the n pairs with the highest
// mint_tokens_per_lifetime, highest first: the clients that take a new
// token too often, for the console.
func (m *Metrics) TopTokensPerLifetime(n int) []PairRate { return m.lifetimes.Top(n) }

// ClientTokensPerLifetime returns client's mint_tokens_per_lifetime, one
// per audience, when it is counted: for a page that shows some clients.
func (m *Metrics) ClientTokensPerLifetime(client string) []PairRate {
	return m.lifetimes.OfClient(client)
}

// ObserveToken records one token request; it is a token.Endpoint's
// Observe.
func (m *Metrics) ObserveToken(_ context.Context, o token.Outcome) {
	client, audience := orUnknown(o.ClientID), orUnknown(o.Audience)
	if client != Unknown {
		client = m.clients.value(client)
	}
	if audience != Unknown {
		audience = m.audiences.value(audience)
	}
	if o.Err != nil {
		m.requests.WithLabelValues(client, audience, o.Err.Code).Inc()
		m.duration.WithLabelValues(o.Err.Code).Observe(o.Duration.Seconds())
		return
	}
	m.requests.WithLabelValues(client, audience, OutcomeIssued).Inc()
	m.issuedDur.Observe(o.Duration.Seconds())
	if sign, ok := m.algs[o.Alg]; ok {
		sign.Observe(o.Signing.Seconds())
	}
	m.lifetimes.Issued(o.ClientID, o.Audience, o.Lifetime)
}

// ObserveStoreLoad records one store read; it is a storecache's
// Options.ObserveLoad.
func (m *Metrics) ObserveStoreLoad(op string, d time.Duration) {
	m.store.WithLabelValues(op).Observe(d.Seconds())
}

func orUnknown(s string) string {
	if s == "" {
		return Unknown
	}
	return s
}
