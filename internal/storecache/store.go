package storecache

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/mintauth/mint/internal/mint"
)

// Defaults of Options.
const (
	DefaultTTL        = 60 * time.Second
	DefaultMaxEntries = 10_000
)

// loadTimeout bounds one shared read of the store. A shared read does not
// end when the request that started it goes away: others may be waiting.
const loadTimeout = 10 * time.Second

// Options configure a Store. The zero value is usable: no notifications
// (entries live for the TTL whatever changes), the default TTL and size.
type Options struct {
	// Changes tells of committed changes; the sqlite and postgres stores
	// are Notifiers. Nil: changes made elsewhere are seen once the TTL has
	// passed.
	Changes Notifier
	// TTL is the longest an entry is kept. Zero: DefaultTTL.
	TTL time.Duration
	// MaxEntries bounds the entries of each kind. Zero: DefaultMaxEntries.
	MaxEntries int
	// OnChange, when set, is told of every change the Notifier reports,
	// tables the cache ignores included, and of "" each time it (re)starts
	// listening: others in the process (the key ring) react to the same
	// notifications without a second watch. It must be quick.
	OnChange func(table string)
	// Log receives a warning when the Notifier stops listening.
	Log *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ObserveLoad, when set, is told how long each read of the wrapped
	// store took (misses and bypassed reads; hits read no store), by the
	// name of the read: get_client, list_secrets, list_grants, find_grant,
	// get_api or get_api_by_audience. It must be quick.
	ObserveLoad func(op string, d time.Duration)
}

// Store is a mint.Store that answers the token path's reads from memory.
// It is safe for concurrent use. Close stops watching for changes and
// closes the wrapped store.
type Store struct {
	writes // every method not cached; writes empty the cache

	ttl time.Duration
	now func() time.Time
	log *slog.Logger
	// onChange is Options.OnChange, never nil.
	onChange func(table string)
	// observeLoad is Options.ObserveLoad, or nil.
	observeLoad func(op string, d time.Duration)

	// gen counts flushes; an answer is stored only if gen has not moved
	// since it was read. live: changes are being heard (or there is no
	// Notifier), so answers may be kept.
	gen    atomic.Uint64
	live   atomic.Bool
	flight singleflight.Group

	clients   *table[mint.Client]
	secrets   *table[[]mint.Secret]
	grants    *table[[]mint.Grant] // a client's, by client ID
	grantFor  *table[mint.Grant]   // by pairKey(client ID, audience)
	apis      *table[mint.API]     // by ID
	audiences *table[mint.API]     // by audience

	loads, flushes atomic.Uint64

	stopWatch context.CancelFunc
	watching  chan struct{} // closed when the watch has ended
	closeOnce sync.Once
	closeErr  error
}

var _ mint.Store = (*Store)(nil)

// New returns a Store reading through to store. With opts.Changes it starts
// watching for changes at once; until the Notifier is listening, reads
// pass through. The caller must Close the Store, which closes store.
func New(store mint.Store, opts Options) *Store {
	if opts.TTL <= 0 {
		opts.TTL = DefaultTTL
	}
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = DefaultMaxEntries
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.OnChange == nil {
		opts.OnChange = func(string) {}
	}
	n := opts.MaxEntries
	c := &Store{
		ttl: opts.TTL, now: opts.Now, log: opts.Log, onChange: opts.OnChange, observeLoad: opts.ObserveLoad,
		clients:   newTable('c', "clients", "get_client", n, cloneClient),
		secrets:   newTable('s', "secrets", "list_secrets", n, cloneSecrets),
		grants:    newTable('g', "grants", "list_grants", n, cloneGrants),
		grantFor:  newTable('f', "grant_by_audience", "find_grant", n, cloneGrant),
		apis:      newTable('a', "apis", "get_api", n, cloneAPI),
		audiences: newTable('u', "apis_by_audience", "get_api_by_audience", n, cloneAPI),
		watching:  make(chan struct{}),
	}
	c.writes = writes{Store: store, cache: c}
	ctx, cancel := context.WithCancel(context.Background())
	c.stopWatch = cancel
	if opts.Changes == nil {
		c.live.Store(true)
		close(c.watching)
	} else {
		go c.watch(ctx, opts.Changes)
	}
	return c
}

// Fresh returns the store for callers that must read the latest state, as
// the admin API does: reads go to the wrapped store, and writes empty this
// cache once they return. Closing it closes c.
func (c *Store) Fresh() mint.Store { return c.writes }

// Close stops watching for changes and closes the wrapped store. It is safe
// to call more than once.
func (c *Store) Close() error {
	c.closeOnce.Do(func() {
		c.stopWatch()
		<-c.watching
		c.closeErr = c.writes.Store.Close()
	})
	return c.closeErr
}

// Stats are a Store's counters since New.
type Stats struct {
	Hits     uint64 // reads answered from memory
	Misses   uint64 // reads that waited for the store, alone or sharing a read
	Loads    uint64 // reads of the store made to fill the cache
	Bypassed uint64 // reads passed to the store while changes were not heard
	Flushes  uint64 // times the cache was emptied
	Entries  int    // entries held now, every kind together
	Watching bool   // whether answers are kept: changes are heard, or no Notifier
}

// Stats returns the counters. It is safe to call at any time.
func (c *Store) Stats() Stats {
	s := Stats{Loads: c.loads.Load(), Flushes: c.flushes.Load(), Watching: c.live.Load()}
	for _, k := range c.KindStats() {
		s.Hits += k.Hits
		s.Misses += k.Misses
		s.Bypassed += k.Bypassed
		s.Entries += k.Entries
	}
	return s
}

// KindStats are the counters of one kind of cached answer.
type KindStats struct {
	// Kind is clients, secrets, grants (a client's), grant_by_audience,
	// apis or apis_by_audience.
	Kind                   string
	Hits, Misses, Bypassed uint64 // as in Stats
	// Absent is how many keys are kept as "not found".
	Absent int
	// Reloads are reads of the store made past a kept answer
	// (ReloadClient, ReloadSecrets).
	Reloads uint64
	Entries int
}

// KindStats returns the counters of each kind. It is safe to call at any
// time.
func (c *Store) KindStats() []KindStats {
	return []KindStats{c.clients.stats(), c.secrets.stats(), c.grants.stats(),
		c.grantFor.stats(), c.apis.stats(), c.audiences.stats()}
}

// flush empties the cache. Moving gen first makes every read in flight
// unable to store what it read (see table.put).
func (c *Store) flush() {
	c.gen.Add(1)
	c.flushes.Add(1)
	c.clients.flush()
	c.secrets.flush()
	c.grants.flush()
	c.grantFor.flush()
	c.apis.flush()
	c.audiences.flush()
}

// cached answers key from t, or reads it with fetch and keeps the answer.
// Reads of one key in one generation share one fetch; a caller whose ctx
// ends stops waiting, without ending the fetch others may share.
func cached[V any](ctx context.Context, c *Store, t *table[V], key string, fetch func(context.Context) (V, error)) (V, error) {
	v, _, err := lookup(ctx, c, t, key, fetch)
	return v, err
}

// lookup is cached that also says whether the answer came from memory.
func lookup[V any](ctx context.Context, c *Store, t *table[V], key string, fetch func(context.Context) (V, error)) (V, bool, error) {
	gen := c.gen.Load() // before live: see deaf
	if !c.live.Load() {
		t.bypassed.Add(1)
		v, err := observed(ctx, c, t.op, fetch)
		return v, false, err
	}
	now := c.now()
	if v, ok := t.get(key, now); ok {
		t.hits.Add(1)
		return t.clone(v), true, nil
	}
	if t.isAbsent(key, now) {
		t.hits.Add(1)
		var zero V
		return zero, true, fmt.Errorf("%s %q: %w", t.name, key, mint.ErrNotFound)
	}
	t.misses.Add(1)
	v, err := load(ctx, c, t, key, gen, now, fetch)
	return v, false, err
}

// reload reads key with fetch as a miss does, whatever memory holds, and
// keeps the answer.
func reload[V any](ctx context.Context, c *Store, t *table[V], key string, fetch func(context.Context) (V, error)) (V, error) {
	gen := c.gen.Load()
	if !c.live.Load() {
		t.bypassed.Add(1)
		return observed(ctx, c, t.op, fetch)
	}
	t.reloads.Add(1)
	return load(ctx, c, t, key, gen, c.now(), fetch)
}

// load reads key with fetch, shared with the other reads of key in
// generation gen, and keeps the answer unless the cache was emptied since.
func load[V any](ctx context.Context, c *Store, t *table[V], key string, gen uint64, now time.Time, fetch func(context.Context) (V, error)) (V, error) {
	done := c.flight.DoChan(t.loadKey(gen, key), func() (any, error) {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
		defer cancel()
		c.loads.Add(1)
		v, err := observed(lctx, c, t.op, fetch)
		switch {
		case err == nil:
			t.put(key, v, now.Add(c.ttl), gen, &c.gen)
		case errors.Is(err, mint.ErrNotFound):
			t.putAbsent(key, now.Add(c.ttl), gen, &c.gen)
		}
		return v, err
	})
	select {
	case r := <-done:
		if r.Err != nil {
			var zero V
			return zero, r.Err
		}
		return t.clone(r.Val.(V)), nil
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}

// observed reads with fetch, telling Options.ObserveLoad how long it took.
func observed[V any](ctx context.Context, c *Store, op string, fetch func(context.Context) (V, error)) (V, error) {
	if c.observeLoad == nil {
		return fetch(ctx)
	}
	start := time.Now()
	v, err := fetch(ctx)
	c.observeLoad(op, time.Since(start))
	return v, err
}

// GetClient: ErrNotFound is kept too (see table).
func (c *Store) GetClient(ctx context.Context, id string) (mint.Client, error) {
	return cached(ctx, c, c.clients, id, c.getClient(id))
}

// ListSecrets: as GetClient.
func (c *Store) ListSecrets(ctx context.Context, clientID string) ([]mint.Secret, error) {
	return cached(ctx, c, c.secrets, clientID, c.listSecrets(clientID))
}

// LookupClient is GetClient that also says whether the answer came from
// memory, and ReloadClient reads the store as a miss would: client
// authentication confirms a refusal against the database when it was
// decided on a kept answer, so that a known client refused costs the one
// database read an unknown client costs (internal/clientauth/timing.go).
func (c *Store) LookupClient(ctx context.Context, id string) (mint.Client, bool, error) {
	return lookup(ctx, c, c.clients, id, c.getClient(id))
}

// ReloadClient: see LookupClient.
func (c *Store) ReloadClient(ctx context.Context, id string) (mint.Client, error) {
	return reload(ctx, c, c.clients, id, c.getClient(id))
}

// LookupSecrets and ReloadSecrets are LookupClient and ReloadClient for
// ListSecrets.
func (c *Store) LookupSecrets(ctx context.Context, clientID string) ([]mint.Secret, bool, error) {
	return lookup(ctx, c, c.secrets, clientID, c.listSecrets(clientID))
}

// ReloadSecrets: see LookupSecrets.
func (c *Store) ReloadSecrets(ctx context.Context, clientID string) ([]mint.Secret, error) {
	return reload(ctx, c, c.secrets, clientID, c.listSecrets(clientID))
}

func (c *Store) getClient(id string) func(context.Context) (mint.Client, error) {
	return func(ctx context.Context) (mint.Client, error) { return c.writes.Store.GetClient(ctx, id) }
}

func (c *Store) listSecrets(clientID string) func(context.Context) ([]mint.Secret, error) {
	return func(ctx context.Context) ([]mint.Secret, error) { return c.writes.Store.ListSecrets(ctx, clientID) }
}

// ListGrants caches one client's grants; every grant (clientID "") is read
// from the store.
func (c *Store) ListGrants(ctx context.Context, clientID string) ([]mint.Grant, error) {
	if clientID == "" {
		return c.writes.Store.ListGrants(ctx, "")
	}
	return cached(ctx, c, c.grants, clientID, func(ctx context.Context) ([]mint.Grant, error) {
		return c.writes.Store.ListGrants(ctx, clientID)
	})
}

// FindGrant: as GetClient.
func (c *Store) FindGrant(ctx context.Context, clientID, audience string) (mint.Grant, error) {
	return cached(ctx, c, c.grantFor, pairKey(clientID, audience), func(ctx context.Context) (mint.Grant, error) {
		return c.writes.Store.FindGrant(ctx, clientID, audience)
	})
}

// GetAPI: as GetClient.
func (c *Store) GetAPI(ctx context.Context, id string) (mint.API, error) {
	return cached(ctx, c, c.apis, id, func(ctx context.Context) (mint.API, error) {
		return c.writes.Store.GetAPI(ctx, id)
	})
}

// GetAPIByAudience: as GetClient.
func (c *Store) GetAPIByAudience(ctx context.Context, audience string) (mint.API, error) {
	return cached(ctx, c, c.audiences, audience, func(ctx context.Context) (mint.API, error) {
		return c.writes.Store.GetAPIByAudience(ctx, audience)
	})
}
