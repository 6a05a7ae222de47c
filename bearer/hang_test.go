package bearer_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/oauth"
)

// hangDeadline is how long the old code made each request wait on a hung
// issuer (the default HTTP client's timeout): every request must be
// answered well before it.
const hangDeadline = 10 * time.Second

// hangingIssuer serves a key set until hang is set; from then on each
// fetch hangs until the test ends or the fetcher gives up. It counts the
// fetches and the most that were ever in flight at once.
type hangingIssuer struct {
	srv              *httptest.Server
	set              jose.JSONWebKeySet
	hang             atomic.Bool
	release          chan struct{}
	fetches, running atomic.Int32
	mu               sync.Mutex
	maxRunning       int32
	ended            atomic.Int32 // hung fetches the fetcher abandoned
}

func newHangingIssuer(t *testing.T, keys ...*signingKey) *hangingIssuer {
	h := &hangingIssuer{release: make(chan struct{})}
	for _, k := range keys {
		h.set.Keys = append(h.set.Keys, k.public())
	}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.fetches.Add(1)
		n := h.running.Add(1)
		defer h.running.Add(-1)
		h.mu.Lock()
		h.maxRunning = max(h.maxRunning, n)
		h.mu.Unlock()
		if h.hang.Load() {
			select {
			case <-h.release:
			case <-r.Context().Done():
				h.ended.Add(1)
			}
			return
		}
		oauth.WriteJSONCached(w, http.StatusOK, h.set)
	}))
	// Release the hung handlers first, or Close would wait for them.
	t.Cleanup(func() { close(h.release); h.srv.Close() })
	return h
}

func (h *hangingIssuer) most() int32 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.maxRunning
}

// jwks returns a JWKS on h with a client that has no timeout of its own,
// so that only the JWKS's bounds can end a hung fetch.
func (h *hangingIssuer) jwks(t *testing.T, c *clock, fetchTimeout time.Duration) *bearer.JWKS {
	t.Helper()
	return newJWKS(t, bearer.JWKSConfig{URL: h.srv.URL, HTTPClient: &http.Client{}, Now: c.Now,
		FetchTimeout: fetchTimeout, LookupWait: 100 * time.Millisecond})
}

// verifyAll verifies raw n times at once and returns the errors, failing
// the test if they are not all answered within hangDeadline.
func verifyAll(t *testing.T, v *bearer.Verifier, raw string, n int) []error {
	t.Helper()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = v.Verify(t.Context(), raw) })
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return errs
	case <-time.After(hangDeadline):
		t.Fatalf("%d verifications not all answered within %v while the issuer hangs", n, hangDeadline)
		return nil
	}
}

// statusThroughMiddleware is the status the middleware answers raw with.
func statusThroughMiddleware(t *testing.T, v *bearer.Verifier, raw string) int {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, seedURL, nil)
	r.Header.Set("Authorization", "Bearer "+raw)
	w := httptest.NewRecorder()
	protected(t, v).ServeHTTP(w, r)
	return w.Code
}

// TestStaleKeysServeWhileIssuerHangs: once the cached set is stale and
// the issuer's JWKS endpoint hangs, every request is answered with the
// known keys, without waiting for the issuer, while exactly one fetch is
// in flight.
func TestStaleKeysServeWhileIssuerHangs(t *testing.T) {
	key := newKey(t, jose.ES256)
	h := newHangingIssuer(t, key)
	c := newClock()
	keys := h.jwks(t, c, time.Minute) // the hung fetch outlives the test
	v := &bearer.Verifier{Issuer: "https://issuer.test", Audiences: []string{testAudience}, Keys: keys, Now: c.Now}
	raw := key.sign(t, map[string]any{"iss": "https://issuer.test", "aud": testAudience,
		"exp": epoch.Add(time.Hour).Unix(), "iat": epoch.Unix()})
	h.hang.Store(true)
	c.Advance(time.Hour) // well past max-age and the refresh interval

	for round := range 3 {
		for i, err := range verifyAll(t, v, raw, 200) {
			if err != nil {
				t.Fatalf("round %d, request %d: %v", round, i, err)
			}
		}
		c.Advance(bearer.DefaultMinRefreshInterval) // a refresh is due again: it joins the one in flight
	}
	if got := h.fetches.Load(); got != 2 {
		t.Errorf("%d fetches, want 2 (the first, then one refresh for 600 requests)", got)
	}
	if got := h.most(); got != 1 {
		t.Errorf("%d fetches in flight at once, want 1", got)
	}
}

// TestHungFetchIsAbandoned: a fetch is bounded by FetchTimeout even when
// the HTTP client has none, so a hung issuer cannot pin the one fetch in
// flight for ever: the next refresh, a MinRefreshInterval later, runs.
func TestHungFetchIsAbandoned(t *testing.T) {
	key := newKey(t, jose.ES256)
	h := newHangingIssuer(t, key)
	c := newClock()
	keys := h.jwks(t, c, 100*time.Millisecond)
	h.hang.Store(true)
	c.Advance(time.Hour)
	if !lookup(t, keys, key.kid) {
		t.Fatal("known key not served")
	}
	deadline := time.Now().Add(hangDeadline)
	for h.ended.Load() < 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if h.ended.Load() != 1 {
		t.Fatalf("the hung fetch was not abandoned within %v", hangDeadline)
	}
	c.Advance(bearer.DefaultMinRefreshInterval)
	if !lookup(t, keys, key.kid) {
		t.Fatal("known key not served")
	}
	for h.fetches.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := h.fetches.Load(); got != 3 {
		t.Fatalf("%d fetches, want 3: the abandoned fetch blocks the next", got)
	}
}

// TestUnknownKidWhileIssuerHangs: tokens naming a key the cache lacks
// wait at most LookupWait for the one fetch, then are refused as signed by
// an unknown key (401), while tokens of known keys still pass; with no set
// ever fetched the answer is keys-not-ready (503), just as bounded.
func TestUnknownKidWhileIssuerHangs(t *testing.T) {
	known, stranger := newKey(t, jose.ES256), newKey(t, jose.ES256)
	claims := map[string]any{"iss": "https://issuer.test", "aud": testAudience,
		"exp": epoch.Add(time.Hour).Unix(), "iat": epoch.Unix()}

	t.Run("cached set", func(t *testing.T) {
		h := newHangingIssuer(t, known)
		c := newClock()
		keys := h.jwks(t, c, time.Minute)
		v := &bearer.Verifier{Issuer: "https://issuer.test", Audiences: []string{testAudience}, Keys: keys, Now: c.Now}
		h.hang.Store(true)
		c.Advance(bearer.DefaultMinRefreshInterval) // a refresh is allowed
		for _, err := range verifyAll(t, v, stranger.sign(t, claims), 100) {
			if !errors.Is(err, bearer.ErrUnknownKey) {
				t.Fatalf("unknown kid: %v, want ErrUnknownKey", err)
			}
		}
		for _, err := range verifyAll(t, v, known.sign(t, claims), 100) {
			if err != nil {
				t.Fatalf("known kid: %v", err)
			}
		}
		if got := statusThroughMiddleware(t, v, stranger.sign(t, claims)); got != http.StatusUnauthorized {
			t.Errorf("unknown kid through the middleware: %d, want 401", got)
		}
		if got, most := h.fetches.Load(), h.most(); got != 2 || most != 1 {
			t.Errorf("%d fetches, at most %d at once; want 2 and 1", got, most)
		}
	})
	t.Run("no set yet", func(t *testing.T) {
		h := newHangingIssuer(t, known)
		h.hang.Store(true)
		c := newClock()
		// NewJWKS waits for its first fetch only as long as its context.
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		keys, err := bearer.NewJWKS(ctx, bearer.JWKSConfig{URL: h.srv.URL, HTTPClient: &http.Client{}, Now: c.Now,
			FetchTimeout: time.Minute, LookupWait: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		v := &bearer.Verifier{Issuer: "https://issuer.test", Audiences: []string{testAudience}, Keys: keys, Now: c.Now}
		for _, err := range verifyAll(t, v, known.sign(t, claims), 100) {
			if !errors.Is(err, bearer.ErrKeysNotReady) {
				t.Fatalf("no set fetched: %v, want ErrKeysNotReady", err)
			}
		}
		if got := statusThroughMiddleware(t, v, known.sign(t, claims)); got != http.StatusServiceUnavailable {
			t.Errorf("no set fetched, through the middleware: %d, want 503", got)
		}
		if got, most := h.fetches.Load(), h.most(); got != 1 || most != 1 {
			t.Errorf("%d fetches, at most %d at once; want 1 and 1", got, most)
		}
	})
}
