package storecache_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/storecache"
)

// BenchmarkTokenPathReads makes the store reads of one token request that
// names its audience — ListSecrets, GetClient, FindGrant, GetAPIByAudience
// — for one of 100 clients, from parallel goroutines, on each backend,
// straight to the store and through the cache.
func BenchmarkTokenPathReads(b *testing.B) {
	for _, name := range backends {
		b.Run(name, func(b *testing.B) {
			be := openBackend(b, name)
			const clients = 100
			for i := range clients {
				seed(b, be.Raw, fmt.Sprint("c", i))
			}
			c := storecache.New(be.Raw, storecache.Options{Changes: be.Changes})
			b.Cleanup(func() { c.Close() })
			for _, kind := range []struct {
				name  string
				store mint.Store
			}{{"raw", be.Raw}, {"cached", c}} {
				b.Run(kind.name, func(b *testing.B) {
					b.ReportAllocs()
					b.RunParallel(func(pb *testing.PB) {
						ctx := context.Background()
						i := 0
						for pb.Next() {
							id := fmt.Sprint("c", i%clients)
							i++
							if err := requestReads(ctx, kind.store, id); err != nil {
								b.Error(err)
								return
							}
						}
					})
				})
			}
		})
	}
}

func requestReads(ctx context.Context, s mint.Store, clientID string) error {
	if _, err := s.ListSecrets(ctx, clientID); err != nil {
		return err
	}
	if _, err := s.GetClient(ctx, clientID); err != nil {
		return err
	}
	if _, err := s.FindGrant(ctx, clientID, audience); err != nil {
		return err
	}
	_, err := s.GetAPIByAudience(ctx, audience)
	return err
}
