package server_test

import (
	"context"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/server"
	"github.com/mintauth/mint/internal/storecache"
)

// The store cache hands out its answers shared, not copied: no caller on
// the token path may change a slice it is given. Token requests of every
// shape (scopes narrowed, refused, repeated, concurrent) leave what the
// cache holds equal to the database's rows.
func TestTokenPathLeavesCachedAnswersUnchanged(t *testing.T) {
	srv := newServer(t, server.Config{})
	cache := srv.Store().(*storecache.Store)
	c := setUpLimits(t, srv.Store(), nil, nil)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	done := make(chan struct{})
	for range 3 {
		go func() {
			defer func() { done <- struct{}{} }()
			for _, scope := range []string{"", "write", "read write", "read", "delete"} {
				for _, api := range []mint.API{limitsAPI, reuseAPI, reuseAPI2} {
					askToken(t, ts.URL, c, api.Audience, scope)
				}
			}
		}()
	}
	for range 3 {
		<-done
	}
	ctx := context.Background()
	fresh := cache.Fresh()
	same(t, "client", read(t, cache.GetClient, ctx, c.id), read(t, fresh.GetClient, ctx, c.id))
	cached, stored := read(t, cache.ListSecrets, ctx, c.id), read(t, fresh.ListSecrets, ctx, c.id)
	for i := range cached { // recorded uses reach the database, not the cache
		cached[i].LastUsedAt, stored[i].LastUsedAt = time.Time{}, time.Time{}
	}
	same(t, "secrets", cached, stored)
	for _, api := range []mint.API{limitsAPI, reuseAPI, reuseAPI2} {
		find := func(s mint.Store) func(context.Context, string) (mint.Grant, error) {
			return func(ctx context.Context, aud string) (mint.Grant, error) { return s.FindGrant(ctx, c.id, aud) }
		}
		same(t, "grant", read(t, find(cache), ctx, api.Audience), read(t, find(fresh), ctx, api.Audience))
		same(t, "API", read(t, cache.GetAPIByAudience, ctx, api.Audience), read(t, fresh.GetAPIByAudience, ctx, api.Audience))
	}
	if s := cache.Stats(); s.Hits == 0 {
		t.Errorf("no token request was answered from the cache: %+v", s)
	}
}

func read[V any](t *testing.T, get func(context.Context, string) (V, error), ctx context.Context, key string) V {
	t.Helper()
	v, err := get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func same[V any](t *testing.T, what string, cached, stored V) {
	t.Helper()
	if !reflect.DeepEqual(cached, stored) {
		t.Errorf("cached %s changed by the token path:\n cache %+v\n store %+v", what, cached, stored)
	}
}
