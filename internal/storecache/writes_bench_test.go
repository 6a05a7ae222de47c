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

// slowSynthetic is synthetic with each read taking readCost, about what a
// read of PostgreSQL over loopback takes: a miss costs what it would.
type slowSynthetic struct{ synthetic }

const readCost = 200 * time.Microsecond

func (s slowSynthetic) GetClient(ctx context.Context, id string) (mint.Client, error) {
	time.Sleep(readCost)
	return s.synthetic.GetClient(ctx, id)
}

func (s slowSynthetic) ListSecrets(ctx context.Context, id string) ([]mint.Secret, error) {
	time.Sleep(readCost)
	return s.synthetic.ListSecrets(ctx, id)
}

func (s slowSynthetic) FindGrant(ctx context.Context, id, aud string) (mint.Grant, error) {
	time.Sleep(readCost)
	return s.synthetic.FindGrant(ctx, id, aud)
}

// ticking is a Notifier that reports, every 100 ms (10 admin writes a
// second on another replica), a change to one client, named (keyed) or
// not (as every change was before migration 00009).
type ticking struct {
	keyed bool
	n     atomic.Int64
}

func (t *ticking) WatchChanges(ctx context.Context, onChange func(string, []string)) error {
	onChange("", nil)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		if t.keyed {
			onChange("secrets", []string{clientID(int(t.n.Add(1)) % writesClients)})
		} else {
			onChange("secrets", nil)
		}
	}
}

const writesClients = 20_000

// BenchmarkWritesElsewhere: the reads of a token request over 20k
// clients, each miss costing readCost, with no changes, with 10 changes
// a second naming their client, and with 10 a second that do not (the
// whole kind goes). store-reads/op says what the changes cost.
func BenchmarkWritesElsewhere(b *testing.B) {
	for _, mode := range []string{"none", "keyed", "unkeyed"} {
		var c *storecache.Store // made and filled once: the testing package calls the function below several times
		parent := b
		b.Run(mode, func(b *testing.B) {
			if c == nil {
				c = warmSlow(parent, mode) // closed when the whole benchmark ends
			}
			ctx := context.Background()
			before := c.Stats()
			b.ResetTimer()
			var next atomic.Int64
			b.SetParallelism(8) // requests wait on the store: more of them in flight, as a server has
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := clientID(int(next.Add(7919)) % writesClients)
					if err := requestReads(ctx, c, id); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			after := c.Stats()
			b.ReportMetric(float64(after.Misses+after.Bypassed-before.Misses-before.Bypassed)/float64(b.N), "store-reads/op")
		})
	}
}

// warmSlow makes the cache of one mode of BenchmarkWritesElsewhere and
// fills it with every client, from 16 goroutines.
func warmSlow(b *testing.B, mode string) *storecache.Store {
	opts := storecache.Options{}
	if mode != "none" {
		opts.Changes = &ticking{keyed: mode == "keyed"}
	}
	c := storecache.New(slowSynthetic{}, opts)
	b.Cleanup(func() { c.Close() })
	for !c.Stats().Watching {
		time.Sleep(time.Millisecond)
	}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := g; i < writesClients; i += 16 {
				if err := requestReads(context.Background(), c, clientID(i)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return c
}
