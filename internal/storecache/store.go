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
	// DefaultTTL bounds an entry's life while changes are heard: it only
	// matters for a change the Notifier failed to report, so it is long;
	// a shorter one would make every active client miss once per TTL.
	DefaultTTL = 10 * time.Minute
	// DefaultMaxEntries bounds each kind: 120,000 clients' answers (100k
	// active clients and a margin), about 650 bytes of live heap each,
	// 78 MB at most, almost none of it scanned by the collector
	// (docs/scale-cache.md).
	DefaultMaxEntries = 120_000
	// DefaultMaxAgeTTLs is Options.MaxAge in TTLs: an entry whose
	// background refreshes all failed (its shard invalidated while each
	// read, the store failing, too many refreshes running) is read before
	// it is answered once it is this many TTLs old.
	DefaultMaxAgeTTLs = 3
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
	// TTL is how long an entry is answered as read. Past it, while the
	// Notifier listens, the entry is still answered and read again in the
	// background (revalidate.go), up to MaxAge; without a Notifier, or
	// while it is not listening, an expired entry is read again before it
	// is answered. Zero: DefaultTTL.
	TTL time.Duration
	// MaxAge is the longest an entry is answered after it was read, while
	// the Notifier listens: past it the read waits for the store, as a
	// miss does. Zero: DefaultMaxAgeTTLs × TTL. At most TTL (negative
	// included): no answer past the TTL, no background refresh.
	MaxAge time.Duration
	// MaxEntries bounds the entries of each kind. Zero: DefaultMaxEntries.
	MaxEntries int
	// StaleBound: once the Notifier stops listening (the database or the
	// connection to it lost), answers kept from before still answer for
	// this long, expired or not; misses read the store. Zero: every read
	// passes through to the store until the Notifier listens again.
	StaleBound time.Duration
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
	// get_api, get_api_by_audience or find_federated. It must be quick.
	ObserveLoad func(op string, d time.Duration)
}

// Store is a mint.Store that answers the token path's reads from memory.
// It is safe for concurrent use. Close stops watching for changes and
// closes the wrapped store.
//
// Answers are shared, not copied: callers must not change the slices
// (Client.JWKS, Secret.Digest, Grant.Scopes, API.Scopes, the lists) of
// what they are given.
type Store struct {
	writes // every method not cached; writes invalidate what they change

	ttl        time.Duration
	staleBound time.Duration
	// grace is how long past its expiry an entry is still answered while
	// the Notifier listens, refreshed in the background; 0: not at all.
	grace int64
	// refreshSlots bounds the background refreshes running at once; bg
	// counts them, for Close to wait for.
	refreshSlots chan struct{}
	bg           sync.WaitGroup
	now          func() time.Time
	log          *slog.Logger
	// onChange is Options.OnChange, never nil.
	onChange func(table string)
	// observeLoad is Options.ObserveLoad, or nil.
	observeLoad func(op string, d time.Duration)

	// live: changes are being heard (or there is no Notifier), so answers
	// may be kept. deafSince: when the Notifier stopped listening (unix
	// ns), 0 while it listens or before it first did.
	live      atomic.Bool
	deafSince atomic.Int64
	flight    singleflight.Group

	clients   *table[mint.Client]
	secrets   *table[[]mint.Secret]
	grants    *table[[]mint.Grant] // a client's, by client ID
	grantFor  *table[mint.Grant]   // by pairKey(client ID, audience)
	apis      *table[mint.API]     // by ID
	audiences *table[mint.API]     // by audience
	// federated holds the trust rules by pairKey(issuer, subject).
	federated *table[[]mint.FederatedCredential]

	intern interner // audiences and scope lists grants repeat

	loads, flushes, invalidated atomic.Uint64

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
	if opts.MaxAge == 0 {
		opts.MaxAge = DefaultMaxAgeTTLs * opts.TTL
	}
	var grace int64
	if opts.Changes != nil && opts.MaxAge > opts.TTL {
		// Without a Notifier the TTL is how changes are seen: no grace.
		grace = int64(opts.MaxAge - opts.TTL)
	}
	n := opts.MaxEntries
	c := &Store{
		ttl: opts.TTL, staleBound: max(opts.StaleBound, 0), now: opts.Now, log: opts.Log,
		grace: grace, refreshSlots: make(chan struct{}, maxRefreshes),
		onChange: opts.OnChange, observeLoad: opts.ObserveLoad,
		clients:   newTable[mint.Client]('c', "clients", "get_client", n, nil),
		secrets:   newTable[[]mint.Secret]('s', "secrets", "list_secrets", n, nil),
		grants:    newTable[[]mint.Grant]('g', "grants", "list_grants", n, nil),
		grantFor:  newTable[mint.Grant]('f', "grant_by_audience", "find_grant", n, pairGroup),
		apis:      newTable[mint.API]('a', "apis", "get_api", n, nil),
		audiences: newTable[mint.API]('u', "apis_by_audience", "get_api_by_audience", n, nil),
		federated: newTable[[]mint.FederatedCredential]('d', "federated", "find_federated", n, nil),
		watching:  make(chan struct{}),
	}
	for _, g := range []*int64{&c.clients.grace, &c.secrets.grace, &c.grants.grace, &c.grantFor.grace,
		&c.apis.grace, &c.audiences.grace, &c.federated.grace} {
		*g = grace
	}
	// The per-client kinds live in slabs the collector does not scan
	// (slab.go, codec.go); the others hold few answers and keep them whole.
	c.clients.codec = clientCodec
	c.secrets.codec = secretsCodec
	c.grantFor.codec = grantCodec(&c.intern)
	c.grants.codec = grantsCodec
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
// the admin API does: reads go to the wrapped store, and writes invalidate
// what they changed in this cache once they return. Closing it closes c.
func (c *Store) Fresh() mint.Store { return c.writes }

// Close stops watching for changes and closes the wrapped store. It is safe
// to call more than once.
func (c *Store) Close() error {
	c.closeOnce.Do(func() {
		c.stopWatch()
		<-c.watching
		c.bg.Wait()
		c.closeErr = c.writes.Store.Close()
	})
	return c.closeErr
}

// Stats are a Store's counters since New.
type Stats struct {
	Hits     uint64 // reads answered from memory while changes were heard
	Stale    uint64 // reads answered from memory while they were not (StaleBound)
	Misses   uint64 // reads that waited for the store, alone or sharing a read
	Loads    uint64 // reads of the store made to fill the cache
	Bypassed uint64 // reads passed to the store while changes were not heard
	Flushes  uint64 // times the cache, or some kinds of it, were emptied
	// Invalidated counts the keys invalidated one by one (a change that
	// named the client it touched).
	Invalidated uint64
	// Refreshes counts background reads of an expired answer that was
	// given meanwhile (Options.MaxAge); RefreshesSkipped, the expired
	// answers given without one because too many were running.
	Refreshes, RefreshesSkipped uint64
	Entries                     int  // entries held now, every kind together
	Watching                    bool // whether answers are kept: changes are heard, or no Notifier
	// DegradedSince is when the Notifier stopped listening, zero while it
	// listens (or before it first did): answers given since may be up to
	// the time since then out of date.
	DegradedSince time.Time
	// StaleBound is Options.StaleBound.
	StaleBound time.Duration
}

// Stats returns the counters. It is safe to call at any time.
func (c *Store) Stats() Stats {
	s := Stats{Loads: c.loads.Load(), Flushes: c.flushes.Load(), Invalidated: c.invalidated.Load(), Watching: c.live.Load(), StaleBound: c.staleBound}
	if since := c.deafSince.Load(); since != 0 {
		s.DegradedSince = time.Unix(0, since)
	}
	for _, k := range c.KindStats() {
		s.Hits += k.Hits
		s.Stale += k.Stale
		s.Misses += k.Misses
		s.Bypassed += k.Bypassed
		s.Entries += k.Entries
		s.Refreshes += k.Refreshes
		s.RefreshesSkipped += k.RefreshesSkipped
	}
	return s
}

// KindStats are the counters of one kind of cached answer.
type KindStats struct {
	// Kind is clients, secrets, grants (a client's), grant_by_audience,
	// apis, apis_by_audience or federated (trust rules by issuer and
	// subject).
	Kind                          string
	Hits, Stale, Misses, Bypassed uint64 // as in Stats
	// Absent is how many keys are kept as "not found".
	Absent int
	// Reloads are reads of the store made past a kept answer
	// (ReloadClient, ReloadSecrets).
	Reloads uint64
	// Refreshes and RefreshesSkipped: as in Stats.
	Refreshes, RefreshesSkipped uint64
	Entries                     int
}

// KindStats returns the counters of each kind. It is safe to call at any
// time.
func (c *Store) KindStats() []KindStats {
	return []KindStats{c.clients.stats(), c.secrets.stats(), c.grants.stats(),
		c.grantFor.stats(), c.apis.stats(), c.audiences.stats(), c.federated.stats()}
}

// flush empties the cache (drop) or only stops reads in flight from
// storing their answers. Moving the generations first makes every read in
// flight unable to store what it read (see table.put).
func (c *Store) flush(drop bool) {
	c.flushes.Add(1)
	c.clients.flush(drop)
	c.secrets.flush(drop)
	c.grants.flush(drop)
	c.grantFor.flush(drop)
	c.apis.flush(drop)
	c.audiences.flush(drop)
	c.federated.flush(drop)
}

// staleUsable reports whether, the Notifier not listening, kept answers
// may still be given at now: since it stopped, less than StaleBound has
// passed.
func (c *Store) staleUsable(now int64) bool {
	since := c.deafSince.Load()
	return c.staleBound > 0 && since != 0 && now-since < int64(c.staleBound)
}

// fetcher reads key from the store. The fetchers are functions, not
// closures over the key, so that a hit allocates nothing.
type fetcher[V any] func(ctx context.Context, s mint.Store, key string) (V, error)

// cached answers key from t, or reads it with fetch and keeps the answer.
// Reads of one key in one generation share one fetch; a caller whose ctx
// ends stops waiting, without ending the fetch others may share.
func cached[V any](ctx context.Context, c *Store, t *table[V], key string, fetch fetcher[V]) (V, error) {
	v, _, err := lookup(ctx, c, t, key, fetch)
	return v, err
}

// lookup is cached that also says whether the answer came from memory.
func lookup[V any](ctx context.Context, c *Store, t *table[V], key string, fetch fetcher[V]) (V, bool, error) {
	sh, h := t.locate(key)
	gen := sh.gen.Load() // before live: see deaf
	now := c.now().UnixNano()
	if !c.live.Load() {
		if c.staleUsable(now) {
			if v, _, ok := t.get(sh, key, now); ok {
				t.stale.Add(1)
				return v, true, nil
			}
			if ok, _ := t.isAbsent(sh, key, now); ok {
				t.stale.Add(1)
				return notFound[V](t, key)
			}
		}
		t.bypassed.Add(1)
		v, err := observed(ctx, c, t.op, key, fetch)
		return v, false, err
	}
	if v, expires, ok := t.getHashed(sh, h, key, now); ok {
		if now < expires {
			t.hits.Add(1)
			return v, true, nil
		}
		if now < expires+c.grace {
			t.hits.Add(1)
			refresh(c, t, sh, key, gen, fetch)
			return v, true, nil
		}
	}
	if ok, expired := t.isAbsent(sh, key, now); ok && !expired {
		t.hits.Add(1)
		return notFound[V](t, key)
	}
	t.misses.Add(1)
	v, err := load(ctx, c, t, sh, key, gen, now, fetch)
	return v, false, err
}

func notFound[V any](t *table[V], key string) (V, bool, error) {
	var zero V
	return zero, true, fmt.Errorf("%s %q: %w", t.name, key, mint.ErrNotFound)
}

// reload reads key with fetch, whatever memory holds, and keeps the
// answer as a miss does.
//
// Unlike a miss, the read is the caller's own, never shared with other
// reads of key in flight (singleflight): reload confirms a refusal
// (internal/clientauth/timing.go), and a shared read made a refusal's
// time depend on how many other refusals of the same client_id were in
// flight, so a client_id others were failing on answered ~30 µs slower
// (median, loopback) than one nobody named: the residual of
// hostile.TestClientIDsCannotBeToldApartByTiming (z down to −5), whose
// planted stream names the known client. The throttle bounds the reads.
func reload[V any](ctx context.Context, c *Store, t *table[V], key string, fetch fetcher[V]) (V, error) {
	sh := t.shardOf(key)
	gen := sh.gen.Load()
	if !c.live.Load() {
		t.bypassed.Add(1)
		return observed(ctx, c, t.op, key, fetch)
	}
	t.reloads.Add(1)
	now := c.now().UnixNano()
	c.loads.Add(1)
	v, err := observed(ctx, c, t.op, key, fetch)
	keep(t, sh, key, v, err, now, now+int64(c.ttl), gen)
	return v, err
}

// keep stores what a read of key in generation gen answered: the value,
// or "not found"; any other error is not kept.
func keep[V any](t *table[V], sh *shard[V], key string, v V, err error, now, expires int64, gen uint64) {
	switch {
	case err == nil:
		t.put(sh, key, v, now, expires, gen)
	case errors.Is(err, mint.ErrNotFound):
		t.putAbsent(sh, key, expires, gen)
	}
}

// load reads key with fetch, shared with the other reads of key in
// generation gen, and keeps the answer unless key was invalidated since.
func load[V any](ctx context.Context, c *Store, t *table[V], sh *shard[V], key string, gen uint64, now int64, fetch fetcher[V]) (V, error) {
	done := c.flight.DoChan(t.loadKey(gen, key), func() (any, error) {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
		defer cancel()
		c.loads.Add(1)
		v, err := observed(lctx, c, t.op, key, fetch)
		keep(t, sh, key, v, err, now, now+int64(c.ttl), gen)
		return v, err
	})
	select {
	case r := <-done:
		if r.Err != nil {
			var zero V
			return zero, r.Err
		}
		return r.Val.(V), nil
	case <-ctx.Done():
		var zero V
		return zero, ctx.Err()
	}
}

// observed reads with fetch, telling Options.ObserveLoad how long it took.
func observed[V any](ctx context.Context, c *Store, op, key string, fetch fetcher[V]) (V, error) {
	if c.observeLoad == nil {
		return fetch(ctx, c.writes.Store, key)
	}
	start := time.Now()
	v, err := fetch(ctx, c.writes.Store, key)
	c.observeLoad(op, time.Since(start))
	return v, err
}

// GetClient: ErrNotFound is kept too (see table).
func (c *Store) GetClient(ctx context.Context, id string) (mint.Client, error) {
	return cached(ctx, c, c.clients, id, getClient)
}

// ListSecrets: as GetClient.
func (c *Store) ListSecrets(ctx context.Context, clientID string) ([]mint.Secret, error) {
	return cached(ctx, c, c.secrets, clientID, listSecrets)
}

// LookupClient is GetClient that also says whether the answer came from
// memory, and ReloadClient reads the store (a read of its own, see
// reload) and keeps the answer as a miss would: client
// authentication confirms a refusal against the database when it was
// decided on a kept answer, so that a known client refused costs the one
// database read an unknown client costs (internal/clientauth/timing.go).
func (c *Store) LookupClient(ctx context.Context, id string) (mint.Client, bool, error) {
	return lookup(ctx, c, c.clients, id, getClient)
}

// ReloadClient: see LookupClient.
func (c *Store) ReloadClient(ctx context.Context, id string) (mint.Client, error) {
	return reload(ctx, c, c.clients, id, getClient)
}

// LookupSecrets and ReloadSecrets are LookupClient and ReloadClient for
// ListSecrets.
func (c *Store) LookupSecrets(ctx context.Context, clientID string) ([]mint.Secret, bool, error) {
	return lookup(ctx, c, c.secrets, clientID, listSecrets)
}

// ReloadSecrets: see LookupSecrets.
func (c *Store) ReloadSecrets(ctx context.Context, clientID string) ([]mint.Secret, error) {
	return reload(ctx, c, c.secrets, clientID, listSecrets)
}

// ListGrants caches one client's grants; every grant (clientID "") is read
// from the store.
func (c *Store) ListGrants(ctx context.Context, clientID string) ([]mint.Grant, error) {
	if clientID == "" {
		return c.writes.Store.ListGrants(ctx, "")
	}
	return cached(ctx, c, c.grants, clientID, listGrants)
}

// FindGrant: as GetClient. A hit allocates nothing: the pair's key is
// made on the stack to look up, and as a string only for the full lookup.
func (c *Store) FindGrant(ctx context.Context, clientID, audience string) (mint.Grant, error) {
	var buf [160]byte
	key := appendPairKey(buf[:0], clientID, audience)
	if c.live.Load() {
		if g, ok := c.grantFor.freshHit(clientID, key, c.now().UnixNano()); ok {
			return g, nil
		}
	}
	return cached(ctx, c, c.grantFor, string(key), findGrant)
}

// GetAPI: as GetClient.
func (c *Store) GetAPI(ctx context.Context, id string) (mint.API, error) {
	return cached(ctx, c, c.apis, id, getAPI)
}

// GetAPIByAudience: as GetClient.
func (c *Store) GetAPIByAudience(ctx context.Context, audience string) (mint.API, error) {
	return cached(ctx, c, c.audiences, audience, getAPIByAudience)
}

func getClient(ctx context.Context, s mint.Store, id string) (mint.Client, error) {
	return s.GetClient(ctx, id)
}

func listSecrets(ctx context.Context, s mint.Store, clientID string) ([]mint.Secret, error) {
	return s.ListSecrets(ctx, clientID)
}

func listGrants(ctx context.Context, s mint.Store, clientID string) ([]mint.Grant, error) {
	return s.ListGrants(ctx, clientID)
}

func findGrant(ctx context.Context, s mint.Store, key string) (mint.Grant, error) {
	return s.FindGrant(ctx, pairGroup(key), pairSecond(key))
}

func getAPI(ctx context.Context, s mint.Store, id string) (mint.API, error) {
	return s.GetAPI(ctx, id)
}

func getAPIByAudience(ctx context.Context, s mint.Store, audience string) (mint.API, error) {
	return s.GetAPIByAudience(ctx, audience)
}
