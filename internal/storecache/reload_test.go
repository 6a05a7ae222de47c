package storecache_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/storecache"
)

// rendezvous is a store whose reads each wait until want reads are in
// flight at once (or a deadline passes), counting them: reads shared
// between callers never reach want.
type rendezvous struct {
	synthetic
	want    int64
	reads   atomic.Int64
	arrived chan struct{}
	once    sync.Once
}

func (r *rendezvous) wait() {
	if r.reads.Add(1) == r.want {
		r.once.Do(func() { close(r.arrived) })
	}
	select {
	case <-r.arrived:
	case <-time.After(2 * time.Second):
	}
}

func (r *rendezvous) GetClient(ctx context.Context, id string) (mint.Client, error) {
	r.wait()
	return r.synthetic.GetClient(ctx, id)
}

func (r *rendezvous) ListSecrets(ctx context.Context, clientID string) ([]mint.Secret, error) {
	r.wait()
	return r.synthetic.ListSecrets(ctx, clientID)
}

// TestReloadsAreNotShared: concurrent reloads of one key (refusals of one
// client_id being confirmed) each make a read of their own. Shared, a
// refusal's time depended on how many others of the same client_id were
// in flight, which told a client that others fail on from an unknown one
// (hostile.TestClientIDsCannotBeToldApartByTiming).
func TestReloadsAreNotShared(t *testing.T) {
	const callers = 4
	id := clientID(1)
	reloads := []struct {
		name   string
		reload func(context.Context, *storecache.Store) error
		kept   func(context.Context, *storecache.Store) bool
	}{
		{"ReloadSecrets", func(ctx context.Context, c *storecache.Store) error {
			_, err := c.ReloadSecrets(ctx, id)
			return err
		}, func(ctx context.Context, c *storecache.Store) bool {
			_, fromMemory, _ := c.LookupSecrets(ctx, id)
			return fromMemory
		}},
		{"ReloadClient", func(ctx context.Context, c *storecache.Store) error {
			_, err := c.ReloadClient(ctx, id)
			return err
		}, func(ctx context.Context, c *storecache.Store) bool {
			_, fromMemory, _ := c.LookupClient(ctx, id)
			return fromMemory
		}},
	}
	for _, r := range reloads {
		t.Run(r.name, func(t *testing.T) {
			store := &rendezvous{want: callers, arrived: make(chan struct{})}
			c := newCache(t, store, storecache.Options{})
			var wg sync.WaitGroup
			for range callers {
				wg.Go(func() {
					if err := r.reload(t.Context(), c); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if n := store.reads.Load(); n != callers {
				t.Fatalf("%d concurrent reloads of one key made %d reads of the store; want %d, one each", callers, n, callers)
			}
			if st := c.Stats(); st.Loads != callers {
				t.Errorf("Stats().Loads = %d, want %d", st.Loads, callers)
			}
			if !r.kept(t.Context(), c) {
				t.Error("the answer reloaded was not kept: the next lookup read the store")
			}
		})
	}
}
