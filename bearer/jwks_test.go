package bearer_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/oauth"
)

func newJWKS(t *testing.T, cfg bearer.JWKSConfig) *bearer.JWKS {
	t.Helper()
	j, err := bearer.NewJWKS(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func lookup(t *testing.T, j *bearer.JWKS, kid string) bool {
	t.Helper()
	_, found, err := j.LookupKey(t.Context(), kid)
	if err != nil {
		t.Fatalf("LookupKey(%s): %v", kid, err)
	}
	return found
}

func wantFetches(t *testing.T, iss *issuer, want int32) {
	t.Helper()
	if got := iss.fetches.Load(); got != want {
		t.Fatalf("%d JWKS fetches, want %d", got, want)
	}
}

// waitFetches waits (bounded) for the issuer to have served want fetches:
// a stale set is fetched again in the background.
func waitFetches(t *testing.T, iss *issuer, want int32) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for iss.fetches.Load() < want && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	wantFetches(t, iss, want)
}

// TestKeyRotationWithoutRestart: a key the issuer adds is used as soon as a
// token names it, and tokens naming unknown keys refetch at most once per
// MinRefreshInterval, however many there are at once.
func TestKeyRotationWithoutRestart(t *testing.T) {
	first := newKey(t, jose.RS256)
	iss := newIssuer(t, first)
	c := newClock()
	v := newVerifier(t, iss, c)
	wantFetches(t, iss, 1)
	ctx := t.Context()
	if _, err := v.Verify(ctx, first.sign(t, iss.claims(nil))); err != nil {
		t.Fatal(err)
	}

	second := newKey(t, jose.ES256)
	iss.publish(second)
	c.Advance(bearer.DefaultMinRefreshInterval)
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			_, err := v.Verify(ctx, second.sign(t, iss.claims(nil)))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("token of the new key: %v", err)
		}
	}
	wantFetches(t, iss, 2)

	// A flood of unknown kids within the interval costs no fetch, one after it.
	stranger := newKey(t, jose.ES256)
	for range 20 {
		if _, err := v.Verify(ctx, stranger.sign(t, iss.claims(nil))); err == nil {
			t.Fatal("token of an unpublished key verified")
		}
	}
	wantFetches(t, iss, 2)
	c.Advance(bearer.DefaultMinRefreshInterval)
	_, _ = v.Verify(ctx, stranger.sign(t, iss.claims(nil)))
	wantFetches(t, iss, 3)
}

func TestCacheControl(t *testing.T) {
	tests := []struct {
		cacheControl string
		age          time.Duration
	}{
		{"public, max-age=300", 300 * time.Second},
		{"max-age=3600, must-revalidate", time.Hour},
		{"max-age=5", bearer.MinCacheAge},
		{"no-store", bearer.MinCacheAge},
		{"", bearer.DefaultCacheAge},
		{"max-age=99999999", bearer.MaxCacheAge},
	}
	for _, tt := range tests {
		t.Run(tt.cacheControl, func(t *testing.T) {
			key := newKey(t, jose.ES256)
			iss := newIssuer(t, key)
			iss.setCacheControl(tt.cacheControl)
			c := newClock()
			j := newJWKS(t, bearer.JWKSConfig{URL: iss.url() + "/.well-known/jwks.json", Now: c.Now})
			c.Advance(tt.age - time.Second)
			if !lookup(t, j, key.kid) {
				t.Fatal("key not found")
			}
			wantFetches(t, iss, 1)
			c.Advance(time.Second)
			if !lookup(t, j, key.kid) {
				t.Fatal("key not found")
			}
			waitFetches(t, iss, 2)
		})
	}
}

// TestStaleSetServesWhileIssuerDown: a failed refetch keeps the cached keys.
func TestStaleSetServesWhileIssuerDown(t *testing.T) {
	key := newKey(t, jose.ES256)
	iss := newIssuer(t, key)
	c := newClock()
	j := newJWKS(t, bearer.JWKSConfig{Issuer: iss.url(), Now: c.Now})
	iss.down.Store(true)
	c.Advance(time.Hour)
	if !lookup(t, j, key.kid) {
		t.Fatal("cached key lost while the issuer is down")
	}
	waitFetches(t, iss, 2)
	if lookup(t, j, "other") {
		t.Fatal("unknown kid found")
	}
	wantFetches(t, iss, 2) // rate-limited
	iss.down.Store(false)
	c.Advance(bearer.DefaultMinRefreshInterval)
	if !lookup(t, j, key.kid) {
		t.Fatal("key not found")
	}
	waitFetches(t, iss, 3)
}

func TestUnreachableWithoutCache(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	c := newClock()
	j := newJWKS(t, bearer.JWKSConfig{Issuer: srv.URL, Now: c.Now})
	if _, _, err := j.LookupKey(t.Context(), "k"); err == nil {
		t.Fatal("no error without any key set")
	}
}

func TestDiscovery(t *testing.T) {
	key := newKey(t, jose.ES256)
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		key.public(),
		{Key: []byte("symmetric-secret"), KeyID: "oct", Algorithm: "HS256"},
		{Key: key.priv.Public(), KeyID: "enc", Use: "enc"},
	}}
	tests := []struct {
		name     string
		path     string // issuer path
		metadata string // where the metadata is served
		named    string // the issuer the metadata names; default the real one
		found    bool
	}{
		{"rfc8414", "", "/.well-known/oauth-authorization-server", "", true},
		{"rfc8414_with_path", "/tenant", "/.well-known/oauth-authorization-server/tenant", "", true},
		{"openid_with_path", "/tenant", "/tenant/.well-known/openid-configuration", "", true},
		{"issuer_mismatch", "", "/.well-known/oauth-authorization-server", "https://evil.example", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var srv *httptest.Server
			mux := http.NewServeMux()
			mux.HandleFunc("GET "+tt.metadata, func(w http.ResponseWriter, r *http.Request) {
				named := tt.named
				if named == "" {
					named = srv.URL + tt.path
				}
				oauth.WriteJSON(w, 200, map[string]string{"issuer": named, "jwks_uri": srv.URL + "/keys"})
			})
			mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
				oauth.WriteJSON(w, 200, set)
			})
			srv = httptest.NewServer(mux)
			defer srv.Close()
			j := newJWKS(t, bearer.JWKSConfig{Issuer: srv.URL + tt.path})
			_, found, err := j.LookupKey(t.Context(), key.kid)
			if found != tt.found || (err == nil) != tt.found {
				t.Fatalf("found %v, err %v; want found %v", found, err, tt.found)
			}
			if !tt.found {
				return
			}
			for _, kid := range []string{"oct", "enc"} {
				if lookup(t, j, kid) {
					t.Errorf("unusable key %q served", kid)
				}
			}
		})
	}
}

// TestLookupHonoursContext: a caller that gives up is not held by a slow
// issuer.
func TestLookupHonoursContext(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	defer srv.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	j, err := bearer.NewJWKS(ctx, bearer.JWKSConfig{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel2()
	if _, _, err := j.LookupKey(ctx2, "k"); err == nil {
		t.Fatal("no error")
	}
}
