package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Admin write mixes (--admin-mix).
const (
	// MixRename renames a client of the rotating list at each write: every
	// write changes a client the measured server holds and serves.
	MixRename = "rename"
	// MixLifecycle cycles through what a provider's admins do: rename a
	// client of the list, create a client, rotate its secret, delete it.
	MixLifecycle = "lifecycle"
)

// AdminWrites are admin writes a rotating run makes while it loads, as
// another replica's admins would: through the admin API of Server (the
// other replica's base URL), Rate a second, from one keep-alive
// connection of this process (not a process per write, whose own CPU
// would be counted against the server measured on a shared machine).
type AdminWrites struct {
	Server       string
	ClientID     string
	ClientSecret string
	Rate         float64
	Mix          string // MixRename (default) or MixLifecycle
}

// WritesReport is what the admin writes of a run did during its measured
// part.
type WritesReport struct {
	Mix    string           `json:"mix"`
	Rate   float64          `json:"rate"` // asked, writes a second
	Done   int64            `json:"done"` // succeeded in the measured part
	Failed int64            `json:"failed"`
	Kinds  map[string]int64 `json:"kinds"` // succeeded, by kind of write
	// Skipped counts ticks without a write: every connection was busy
	// (the server answered slower than the rate).
	Skipped      int64    `json:"skipped"`
	ErrorSamples []string `json:"error_samples,omitempty"`
}

// check reports what is wrong with w.
func (w *AdminWrites) check() error {
	if w.Rate <= 0 || w.Rate > 1000 {
		return errors.New("--admin-rate must be above 0 and at most 1000 writes a second")
	}
	switch w.Mix {
	case "":
		w.Mix = MixRename
	case MixRename, MixLifecycle:
	default:
		return fmt.Errorf("--admin-mix must be %s or %s", MixRename, MixLifecycle)
	}
	if _, err := url.ParseRequestURI(w.Server); err != nil || !strings.HasPrefix(w.Server, "http") {
		return fmt.Errorf("bad --admin-writes URL %q", w.Server)
	}
	if w.ClientID == "" || w.ClientSecret == "" {
		return errors.New("admin writes need admin credentials: --client-id and MINT_CLIENT_SECRET")
	}
	return nil
}

// maxWritesInFlight bounds the writes (lifecycle cycles) under way at
// once: a server slower than the rate gets this many connections, not one
// per tick.
const maxWritesInFlight = 8

// writer makes the admin writes of one run.
type writer struct {
	cfg     AdminWrites
	admin   *adminClient
	clients []Credentials
	tag     string
	mu      sync.Mutex
	rep     WritesReport
}

// newWriter signs in to the admin API.
func newWriter(ctx context.Context, cfg AdminWrites, clients []Credentials) (*writer, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = maxWritesInFlight
	a := &adminClient{server: strings.TrimRight(cfg.Server, "/"), http: &http.Client{Timeout: 10 * time.Second, Transport: tr}}
	if err := a.login(ctx, cfg.ClientID, cfg.ClientSecret); err != nil {
		return nil, err
	}
	return &writer{cfg: cfg, admin: a, clients: clients, tag: rand.Text()[:8],
		rep: WritesReport{Mix: cfg.Mix, Rate: cfg.Rate, Kinds: map[string]int64{}}}, nil
}

// run makes a write every 1/Rate s until the window ends or ctx is done,
// on keep-alive connections: one while the server answers within the
// interval, up to maxWritesInFlight when it is slower (a tick that finds
// them all busy is counted as skipped). A lifecycle's four writes are one
// cycle, made in order on their ticks. Writes before w.from are made but
// not counted.
func (wr *writer) run(ctx context.Context, w window) {
	every := time.Duration(float64(time.Second) / wr.cfg.Rate)
	steps := 1
	if wr.cfg.Mix == MixLifecycle {
		steps = 4
	}
	start := time.Now()
	busy := make(chan struct{}, maxWritesInFlight)
	var wg sync.WaitGroup
	defer wg.Wait()
	for k := 0; ; k++ {
		at := start.Add(time.Duration(k*steps) * every)
		if !sleepUntil(ctx, at) || !at.Before(w.to) {
			return
		}
		select {
		case busy <- struct{}{}:
		default:
			wr.mu.Lock()
			wr.rep.Skipped++
			wr.mu.Unlock()
			continue
		}
		wg.Go(func() {
			defer func() { <-busy }()
			if steps == 1 {
				sent := time.Now()
				wr.made(ctx, w, sent, "rename", wr.rename(ctx, k))
				return
			}
			wr.lifecycle(ctx, w, k, at, every)
		})
	}
}

// sleepUntil waits until t; false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// made counts a write sent at sent, if that is in the measured window and
// it was not cut short by the run's end.
func (wr *writer) made(ctx context.Context, w window, sent time.Time, kind string, err error) {
	if ctx.Err() != nil || sent.Before(w.from) || !sent.Before(w.to) {
		return
	}
	wr.mu.Lock()
	defer wr.mu.Unlock()
	if err != nil {
		wr.rep.Failed++
		if len(wr.rep.ErrorSamples) < 5 {
			wr.rep.ErrorSamples = append(wr.rep.ErrorSamples, err.Error())
		}
		return
	}
	wr.rep.Done++
	wr.rep.Kinds[kind]++
}

// rename renames client k of the list.
func (wr *writer) rename(ctx context.Context, k int) error {
	c := wr.clients[k%len(wr.clients)]
	return wr.admin.do(ctx, http.MethodPatch, "/clients/"+url.PathEscape(c.ClientID),
		map[string]any{"name": fmt.Sprintf("bench renamed %s %d", wr.tag, k)}, nil)
}

// lifecycle is cycle k of the lifecycle mix, its writes on the ticks from
// at: rename client k of the list, create a client, rotate its secret,
// delete it (also when the run ends before, so that none is left).
func (wr *writer) lifecycle(ctx context.Context, w window, k int, at time.Time, every time.Duration) {
	sent := time.Now()
	wr.made(ctx, w, sent, "rename", wr.rename(ctx, k))
	if !sleepUntil(ctx, at.Add(every)) {
		return
	}
	var c struct {
		ClientID string `json:"client_id"`
	}
	sent = time.Now()
	err := wr.admin.do(ctx, http.MethodPost, "/clients", map[string]any{"name": fmt.Sprintf("bench writes %s %d", wr.tag, k)}, &c)
	wr.made(ctx, w, sent, "create", err)
	if err != nil || c.ClientID == "" {
		return
	}
	path := "/clients/" + url.PathEscape(c.ClientID)
	if sleepUntil(ctx, at.Add(2*every)) {
		sent = time.Now()
		wr.made(ctx, w, sent, "rotate", wr.admin.do(ctx, http.MethodPost, path+"/rotate-secret", map[string]any{}, nil))
	}
	sleepUntil(ctx, at.Add(3*every))
	sent = time.Now()
	wr.made(ctx, w, sent, "delete", wr.admin.do(context.WithoutCancel(ctx), http.MethodDelete, path, nil, nil))
}
