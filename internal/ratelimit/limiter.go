package ratelimit

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// Defaults of Config.
const (
	DefaultFlushInterval = time.Second
	// DefaultBurst is the burst when Config.Burst is 0: two seconds of Rate,
	// at least 1.
	defaultBurstSeconds = 2
	// keepCounts is how long counts of past windows stay in the store.
	keepCounts = 48 * time.Hour
	// rateWarnEvery spaces observe mode's warnings about one client's rate.
	rateWarnEvery = time.Minute
)

// Names of the limits, as the "limit" member of a refusal and the label of
// the metric name them.
const (
	LimitRate          = "rate"
	LimitTokensPerHour = "tokens_per_hour"
	LimitTokensPerDay  = "tokens_per_day"
)

// Config configures a Limiter. The zero value limits nothing.
type Config struct {
	// Rate is the token requests per second each client may make on this
	// replica once authenticated, with bursts of Burst (0: 2 s of Rate).
	// 0: no rate limit.
	Rate  float64
	Burst int
	// TokensPerHour and TokensPerDay are the quotas of a client whose own
	// (mint.Client.TokensPerHour, TokensPerDay) is nil. 0: none.
	TokensPerHour, TokensPerDay int64
	// Observe counts and logs what would be refused and refuses nothing.
	Observe bool
	// Counter keeps the counts every replica shares; nil counts in this
	// process only.
	Counter mint.TokenCounter
	// FlushInterval is how often Run adds local counts to Counter and reads
	// the totals back. Zero: DefaultFlushInterval.
	FlushInterval time.Duration
	// Exceeded, when set, is told of each request over a limit, refused or
	// (observing) not. It must be quick.
	Exceeded func(clientID, limit string)
	Now      func() time.Time
	Log      *slog.Logger
}

// Limiter checks the token endpoint's requests against Config. It is safe
// for concurrent use; Run must run for the quotas to be shared.
type Limiter struct {
	cfg     Config
	clients sync.Map // client ID → *clientState
}

// clientState is what one replica knows of one client.
type clientState struct {
	mu       sync.Mutex
	rate     bucket
	warned   time.Time // observe mode's last warning about the rate
	windows  [2]window // hour, day
	lastSeen time.Time
	// active: a token was asked for since the last Flush, which then
	// reads the shared totals back even if this replica issued none.
	active bool
}

// New returns a Limiter for cfg.
func New(cfg Config) *Limiter {
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = DefaultFlushInterval
	}
	if cfg.Burst <= 0 {
		cfg.Burst = max(1, int(cfg.Rate*defaultBurstSeconds))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Limiter{cfg: cfg}
}

// Config returns the configuration in use, defaults filled in.
func (l *Limiter) Config() Config { return l.cfg }

func (l *Limiter) state(clientID string) *clientState {
	if st, ok := l.clients.Load(clientID); ok {
		return st.(*clientState)
	}
	st, _ := l.clients.LoadOrStore(clientID, new(clientState))
	return st.(*clientState)
}

// CheckRequest takes one request from the client's rate. Over the rate it
// returns the 429 to answer (nil when observing).
func (l *Limiter) CheckRequest(ctx context.Context, client mint.Client) error {
	if l.cfg.Rate <= 0 {
		return nil
	}
	now := l.cfg.Now()
	st := l.state(client.ID)
	st.mu.Lock()
	ok, wait := st.rate.take(now, l.cfg.Rate, l.cfg.Burst)
	st.lastSeen = now
	warn := !ok && l.cfg.Observe && now.Sub(st.warned) >= rateWarnEvery
	if warn {
		st.warned = now
	}
	st.mu.Unlock()
	if ok {
		return nil
	}
	ex := exceeded{limit: LimitRate, quota: int64(l.cfg.Burst),
		window: time.Duration(float64(l.cfg.Burst) / l.cfg.Rate * float64(time.Second)), reset: wait}
	return l.over(ctx, client.ID, ex, warn)
}

// TakeToken counts one token about to be issued to client against its
// quotas. Over a quota it returns the 429 to answer and counts nothing;
// observing, it counts the token and returns nil.
func (l *Limiter) TakeToken(ctx context.Context, client mint.Client) error {
	quotas := [2]int64{quota(client.TokensPerHour, l.cfg.TokensPerHour), quota(client.TokensPerDay, l.cfg.TokensPerDay)}
	if quotas[0] == 0 && quotas[1] == 0 {
		return nil
	}
	now := l.cfg.Now()
	st := l.state(client.ID)
	st.mu.Lock()
	st.lastSeen, st.active = now, true
	var ex *exceeded
	warn := false
	for i, kind := range windowKinds {
		q := quotas[i]
		if q <= 0 {
			continue
		}
		w := &st.windows[i]
		w.roll(kind.start(now))
		if w.count() >= q && ex == nil {
			ex = &exceeded{limit: kind.limit, policy: kind.name, quota: q, window: kind.length,
				reset: w.start.Add(kind.length).Sub(now)}
			warn = l.cfg.Observe && !w.warned
			w.warned = true
		}
	}
	if ex == nil || l.cfg.Observe {
		for i := range st.windows {
			if quotas[i] > 0 {
				st.windows[i].pending++
			}
		}
	}
	st.mu.Unlock()
	if ex == nil {
		return nil
	}
	return l.over(ctx, client.ID, *ex, warn)
}

// quota is the client's own quota, or the default when it has none.
func quota(own *int64, def int64) int64 {
	if own != nil {
		return *own
	}
	return def
}

// over reports a request over a limit: to Exceeded always, to the log at
// Warn when observing (once per client, limit and window, as warn says),
// and as the refusal when enforcing.
func (l *Limiter) over(ctx context.Context, clientID string, ex exceeded, warn bool) error {
	if l.cfg.Exceeded != nil {
		l.cfg.Exceeded(clientID, ex.limit)
	}
	if !l.cfg.Observe {
		return ex.refusal()
	}
	if warn {
		l.cfg.Log.LogAttrs(ctx, slog.LevelWarn, "limit exceeded (observe mode: not refused)",
			slog.String("client_id", clientID), slog.String("limit", ex.limit), slog.Int64("quota", ex.quota),
			slog.Duration("resets_in", ex.reset))
	}
	return nil
}
