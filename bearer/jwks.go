package bearer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/internal/keycheck"
)

// Cache lifetimes of the key set. The issuer's Cache-Control max-age is
// kept within [MinCacheAge, MaxCacheAge]; without one, DefaultCacheAge.
const (
	MinCacheAge               = time.Minute
	MaxCacheAge               = 24 * time.Hour
	DefaultCacheAge           = 5 * time.Minute
	DefaultMinRefreshInterval = 10 * time.Second
	// DefaultFetchTimeout bounds one fetch of the key set (with discovery).
	DefaultFetchTimeout = 5 * time.Second
	// DefaultLookupWait bounds how long a lookup the cache cannot answer
	// waits for the fetch in flight.
	DefaultLookupWait = time.Second
)

// maxDocumentSize bounds the JWKS and metadata documents read.
const maxDocumentSize = 1 << 20

// DefaultMaxKeys bounds the keys of a set (JWKSConfig.MaxKeys): each RSA
// key costs keycheck milliseconds of CPU (a 4096-bit modulus without small
// factors: tens of ms) on every fetch, which a token naming an unknown kid
// triggers; 1 MB held 1,400 such keys, a minute and more of CPU per fetch.
// Issuers publish a handful (the current key, the next, the retired ones;
// Microsoft Entra about ten); mint publishes one next, active and retired
// key per algorithm and rotation still in its retention.
const DefaultMaxKeys = 256

// JWKSConfig says where a JWKS finds the issuer's keys.
type JWKSConfig struct {
	// URL is the JWK Set URL. When empty, it is discovered from Issuer.
	URL string
	// Issuer is discovered through RFC 8414 metadata, then OpenID Connect
	// discovery, when URL is empty. The metadata must name this issuer.
	Issuer string
	// HTTPClient fetches the documents; default a client with a 10s timeout.
	HTTPClient *http.Client
	// MinRefreshInterval is the least time between two fetches, so that
	// tokens naming unknown keys cannot make us hammer the issuer. Default
	// DefaultMinRefreshInterval.
	MinRefreshInterval time.Duration
	// FetchTimeout bounds one fetch, whatever HTTPClient's own timeout, so
	// that a hung issuer cannot hold the one fetch in flight for ever.
	// Default DefaultFetchTimeout.
	FetchTimeout time.Duration
	// LookupWait bounds how long a lookup waits for a fetch when the cache
	// cannot answer it: a kid the cache lacks, or no set fetched yet. A
	// known key is never waited for, even when the set is stale. Default
	// DefaultLookupWait.
	LookupWait time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Log gets failed fetches at warn level; default nothing is logged.
	Log *slog.Logger
	// MaxKeys bounds the keys of the set: a larger set is refused whole,
	// before any key is checked, and the keys held stay in use. Default
	// DefaultMaxKeys.
	MaxKeys int
	// KeyUse is the "use" a key must have, when it has one; default
	// "sig". A SPIFFE bundle (SPIFFE Trust Domain and Bundle §4.2.1) marks
	// the keys that sign JWT-SVIDs "jwt-svid", and only those are wanted.
	KeyUse string
}

// JWKS is a KeySource that fetches the issuer's JWK Set (RFC 7517 §5) and
// caches it as long as the issuer's Cache-Control allows.
//
// A lookup never waits for the issuer when the cache holds the key: once
// the set is stale the known keys keep serving while one fetch runs in
// the background. A token naming a key the cache lacks starts a fetch, at
// most once per MinRefreshInterval, so that a new signing key is used
// without a restart, and waits for it at most LookupWait: a hung issuer
// makes such a token unknown (401), not slow. Without any set fetched yet
// lookups fail (503) after the same wait. When a fetch fails, the last set
// fetched keeps serving.
//
// A JWKS is safe for concurrent use; at most one fetch is in flight at a
// time, shared by every lookup that waits for it.
type JWKS struct {
	cfg    JWKSConfig
	client *http.Client

	mu          sync.RWMutex
	url         string // the JWK Set URL, once known
	keys        map[string]jose.JSONWebKey
	expires     time.Time // when the cached set goes stale
	lastAttempt time.Time
	lastErr     error
	inflight    *fetchCall // the fetch running, nil when none
}

// fetchCall is one fetch of the set; done is closed when it ends.
type fetchCall struct {
	done chan struct{}
	err  error
}

var _ KeySource = (*JWKS)(nil)

// NewJWKS returns a JWKS for cfg and tries to fetch the keys once with ctx.
// Only a bad cfg is an error: when the issuer cannot be reached, lookups
// keep trying (rate-limited) and fail with an error until it can.
func NewJWKS(ctx context.Context, cfg JWKSConfig) (*JWKS, error) {
	if cfg.URL == "" && cfg.Issuer == "" {
		return nil, errors.New("bearer: JWKSConfig needs URL or Issuer")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.MinRefreshInterval, DefaultMinRefreshInterval)
	def(&cfg.FetchTimeout, DefaultFetchTimeout)
	def(&cfg.LookupWait, DefaultLookupWait)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	j := &JWKS{cfg: cfg, client: cfg.HTTPClient, url: cfg.URL}
	if j.client == nil {
		j.client = &http.Client{Timeout: 10 * time.Second}
	}
	j.client = documentClient(j.client) // a key set fetched over http is anyone's
	_ = j.Refresh(ctx)                  // logged; lookups retry
	return j, nil
}

// LookupKey returns the key with this kid. A cached key is returned at
// once, stale or not (a stale set starts a background fetch); a kid the
// cache lacks waits at most LookupWait for a fetch (rate-limited). err is
// set only when no set has ever been fetched.
func (j *JWKS) LookupKey(ctx context.Context, kid string) (jose.JSONWebKey, bool, error) {
	key, found, fresh := j.cached(kid)
	if found {
		if !fresh {
			j.startFetch(false) // the known keys serve meanwhile
		}
		return key, true, nil
	}
	var waitErr error
	if call := j.startFetch(false); call != nil {
		waitErr = j.wait(ctx, call, j.cfg.LookupWait)
	}
	j.mu.RLock()
	defer j.mu.RUnlock()
	if j.keys == nil {
		if waitErr == nil {
			waitErr = j.lastErr
		}
		return jose.JSONWebKey{}, false, fmt.Errorf("no key set fetched yet: %w", waitErr)
	}
	key, found = j.keys[kid]
	return key, found, nil
}

// Refresh fetches the key set now, whatever the rate limit, or joins the
// fetch in flight, and waits for it as long as ctx allows.
func (j *JWKS) Refresh(ctx context.Context) error {
	return j.wait(ctx, j.startFetch(true), j.cfg.FetchTimeout)
}

func (j *JWKS) cached(kid string) (key jose.JSONWebKey, found, fresh bool) {
	j.mu.RLock()
	defer j.mu.RUnlock()
	key, found = j.keys[kid]
	return key, found, j.cfg.Now().Before(j.expires)
}

// errWaited is a lookup that stopped waiting for a fetch still running.
var errWaited = errors.New("the issuer's key set did not arrive in time")

// wait waits for call at most d and as long as ctx lets it. The fetch
// goes on when the waiter gives up, so later lookups get its result.
func (j *JWKS) wait(ctx context.Context, call *fetchCall, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-call.done:
		return call.err
	case <-timer.C:
		return errWaited
	case <-ctx.Done():
		return ctx.Err()
	}
}

// startFetch returns the fetch in flight, or starts one unless the last
// one started less than MinRefreshInterval ago (then nil; force ignores the
// interval). The attempt is stamped before the fetch starts, so lookups
// racing it see the rate limit at once.
func (j *JWKS) startFetch(force bool) *fetchCall {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.inflight != nil {
		return j.inflight
	}
	now := j.cfg.Now()
	if !force && !j.lastAttempt.IsZero() && now.Sub(j.lastAttempt) < j.cfg.MinRefreshInterval {
		return nil
	}
	j.lastAttempt = now
	call := &fetchCall{done: make(chan struct{})}
	j.inflight = call
	go j.fetch(call)
	return call
}

// fetch runs call, bounded by FetchTimeout and detached from any request.
func (j *JWKS) fetch(call *fetchCall) {
	ctx, cancel := context.WithTimeout(context.Background(), j.cfg.FetchTimeout)
	defer cancel()
	err := j.fetchSet(ctx)
	if err != nil {
		j.cfg.Log.Warn("fetch issuer keys", "error", err)
	}
	j.mu.Lock()
	j.lastErr, call.err, j.inflight = err, err, nil
	j.mu.Unlock()
	close(call.done)
}

func (j *JWKS) fetchSet(ctx context.Context) error {
	j.mu.RLock()
	url := j.url
	j.mu.RUnlock()
	if url == "" {
		var err error
		if url, err = discover(ctx, j.client, j.cfg.Issuer); err != nil {
			return err
		}
		j.mu.Lock()
		j.url = url
		j.mu.Unlock()
	}
	body, header, err := getDocument(ctx, j.client, url)
	if err != nil {
		return err
	}
	keys, err := parseKeySet(body, j.cfg.KeyUse, j.cfg.MaxKeys)
	if err != nil {
		return fmt.Errorf("key set %s: %w", url, err)
	}
	j.mu.Lock()
	j.keys = keys
	j.expires = j.cfg.Now().Add(cacheAge(header.Get("Cache-Control")))
	j.mu.Unlock()
	return nil
}

// ParseKeySet is how a fetched JWK Set is read, for a set that is not
// fetched (a SPIFFE rule's static bundle): the public keys with a kid
// whose use, when they have one, is use (default "sig").
func ParseKeySet(body []byte, use string) (map[string]jose.JSONWebKey, error) {
	return parseKeySet(body, use, 0)
}

// parseKeySet keeps the public signing keys with a kid, skipping keys it
// cannot use (other key types, encryption keys, symmetric keys) rather
// than failing the whole set over one of them.
func parseKeySet(body []byte, use string, maxKeys int) (map[string]jose.JSONWebKey, error) {
	if use == "" {
		use = "sig"
	}
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, err
	}
	if raw.Keys == nil {
		return nil, errors.New(`no "keys" member`)
	}
	if len(raw.Keys) > maxKeys {
		return nil, fmt.Errorf("%d keys, more than %d", len(raw.Keys), maxKeys)
	}
	keys := make(map[string]jose.JSONWebKey, len(raw.Keys))
	for _, r := range raw.Keys {
		var k jose.JSONWebKey
		if json.Unmarshal(r, &k) != nil || k.KeyID == "" || (k.Use != "" && k.Use != use) {
			continue
		}
		if _, symmetric := k.Key.([]byte); symmetric {
			continue
		}
		if keycheck.Public(k.Public().Key) != nil { // weak: a prime RSA modulus, a small-order point
			continue
		}
		keys[k.KeyID] = k.Public()
	}
	return keys, nil
}

// cacheAge reads max-age from a Cache-Control value, within the bounds.
func cacheAge(cc string) time.Duration {
	age := DefaultCacheAge
	for d := range strings.SplitSeq(cc, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), "=")
		switch strings.ToLower(name) {
		case "no-store", "no-cache":
			return MinCacheAge
		case "max-age":
			if s, err := strconv.Atoi(strings.Trim(value, `"`)); err == nil && s >= 0 {
				age = time.Duration(min(s, int(MaxCacheAge.Seconds()))) * time.Second
			}
		}
	}
	return min(max(age, MinCacheAge), MaxCacheAge)
}

func getDocument(ctx context.Context, client *http.Client, url string) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: %w", url, err)
	}
	if len(body) > maxDocumentSize {
		return nil, nil, fmt.Errorf("GET %s: document larger than %d bytes", url, maxDocumentSize)
	}
	return body, resp.Header, nil
}
