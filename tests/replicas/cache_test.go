package replicas_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// notificationSettle is far more than the few milliseconds a change
// notification takes to reach another replica on this machine.
const notificationSettle = 250 * time.Millisecond

// answersFromCache checks that r issues tokens to the client while the
// tables the token path reads (apis, clients, secrets, grants) are locked
// against every read: r must answer from its cache, not from the database.
// It first lets the notifications of the test's earlier writes reach r
// (they arrive asynchronously, and each empties r's cache), then warms r's
// cache with one token request.
func answersFromCache(t *testing.T, dsn string, r *replica, clientID, secret string) {
	t.Helper()
	time.Sleep(notificationSettle)
	mustToken(t, r, clientID, secret, audience)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
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
	const requests = 3
	for range requests {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		status, ans, err := requestToken(rctx, r, clientID, secret, audience)
		cancel()
		if err != nil || status != http.StatusOK || ans.AccessToken == "" {
			t.Fatalf("token from %s with the tables locked: status %d, answer %+v, error %v; "+
				"want it served from the cache", r.name, status, ans, err)
		}
	}
}
