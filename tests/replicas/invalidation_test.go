package replicas_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestAdminWritesOnAKeepBsCache: admin writes through replica A (a secret
// rotated, a client created with its grant) reach replica B as changes to
// those clients only: B keeps answering every other client from its
// cache, which the test proves by locking the token path's tables against
// every read while B issues their tokens. Before migration 00009 each
// write emptied B's whole cache. It then logs B's token rate over the
// clients with and without A making 10 admin writes a second (issue 16's
// target: the writes cost B less than 10 %); the figure is logged, not
// asserted, since the machine is shared.
func TestAdminWritesOnAKeepBsCache(t *testing.T) {
	dsn := freshSchema(t)
	a, b := startPair(t, dsn)
	admin := mustToken(t, a, adminID, adminSecret, "urn:mint:admin")
	var clients []cred
	for range 20 {
		id, secret := setUpClient(t, a, admin)
		clients = append(clients, cred{id, secret})
	}
	churn, _ := setUpClient(t, a, admin)
	time.Sleep(notificationSettle) // the creations' notifications reach B
	for _, c := range clients {
		mustToken(t, b, c.id, c.secret, audience)
	}
	rotate := func() {
		call(t, http.StatusOK, "POST", a.URL+"/admin/v1/clients/"+churn+"/rotate-secret", admin, nil, nil)
	}
	rotate()
	setUpClient(t, a, admin)
	time.Sleep(notificationSettle)

	t.Run("BystandersServedFromCache", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(context.Background())
		if _, err := tx.Exec(ctx, `LOCK TABLE apis, clients, secrets, grants IN ACCESS EXCLUSIVE MODE`); err != nil {
			t.Fatalf("lock the token path's tables: %v", err)
		}
		for _, c := range clients {
			rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			status, ans, err := requestToken(rctx, b, c.id, c.secret, audience)
			cancel()
			if err != nil || status != http.StatusOK {
				t.Fatalf("token from B for %s with the tables locked, after writes on A to other clients: "+
					"status %d, answer %+v, error %v; want it from B's cache", c.id, status, ans, err)
			}
		}
	})

	t.Run("RateUnderAdminWrites", func(t *testing.T) {
		const phase = 2 * time.Second
		quiet := tokenRate(t, b, clients, phase)
		stop := make(chan struct{})
		var writes atomic.Int64
		var wg sync.WaitGroup
		wg.Go(func() {
			tick := time.NewTicker(100 * time.Millisecond) // 10 writes a second
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					rotate()
					writes.Add(1)
				}
			}
		})
		busy := tokenRate(t, b, clients, phase)
		close(stop)
		wg.Wait()
		t.Logf("B over %d clients: %.0f tokens/s alone, %.0f tokens/s while A made %d admin writes (%.1f%% of the rate)",
			len(clients), quiet, busy, writes.Load(), 100*busy/quiet)
	})
}

// cred is a client's ID and secret.
type cred struct{ id, secret string }

// tokenRate sends token requests for clients to r from 4 goroutines for d
// and returns the rate of successes; any failure fails the test.
func tokenRate(t *testing.T, r *replica, clients []cred, d time.Duration) float64 {
	t.Helper()
	var ok atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for g := range 4 {
		wg.Go(func() {
			for i := g; time.Since(start) < d; i++ {
				c := clients[i%len(clients)]
				status, ans, err := requestToken(t.Context(), r, c.id, c.secret, audience)
				if err != nil || status != http.StatusOK {
					t.Errorf("token from %s: status %d, answer %+v, error %v", r.name, status, ans, err)
					return
				}
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(ok.Load()) / time.Since(start).Seconds()
}
