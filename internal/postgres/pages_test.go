package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/storetest"
)

// benchClients is the number of clients of BenchmarkLists: issue 16's
// target is a page in < 100 ms at 100k.
const benchClients = 100_000

// BenchmarkLists: go test -run '^$' -bench Lists -benchtime 20x ./internal/postgres/
func BenchmarkLists(b *testing.B) {
	_, dsn := freshSchema(b)
	s := openTest(b, dsn)
	fill(b, s, benchClients)
	storetest.BenchLists(b, s, benchClients)
}

// TestSearchAcrossWindows: a search reads at most mint.SearchScanLimit
// clients a page, and its pages still find every match.
func TestSearchAcrossWindows(t *testing.T) {
	_, dsn := freshSchema(t)
	s := openTest(t, dsn)
	n := 2*mint.SearchScanLimit + 5000
	fill(t, s, n)
	storetest.SearchAcrossWindows(t, s, n)
}

// fill inserts n clients in bulk, three per millisecond (ties break by
// their random IDs), each with a secret and a grant on one of
// storetest.BenchAPIs APIs: the admin API would take minutes.
func fill(t testing.TB, s *Store, n int) {
	t.Helper()
	// Minutes, not testContext's one: the race detector slows a bulk
	// insert of 100k rows down many times.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	stmts := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO apis (id, name, audience, scopes, token_lifetime_ns, created_at, updated_at)
		 SELECT 'api_' || i, 'API ' || i, 'https://api' || i || '.example.com', '{read}', 3600000000000,
		        timestamptz '2026-01-01Z', timestamptz '2026-01-01Z'
		   FROM generate_series(0, $1::int - 1) AS i`, []any{storetest.BenchAPIs}},
		{`INSERT INTO clients (id, name, created_at, updated_at)
		 SELECT md5(random()::text || i), 'Partner ' || i,
		        timestamptz '2026-01-01Z' + (i / 3) * interval '1 millisecond', timestamptz '2026-01-01Z'
		   FROM generate_series(0, $1::int - 1) AS i`, []any{n}},
		{`INSERT INTO secrets (id, client_id, digest, created_at)
		 SELECT 'sec_' || id, id, '\x00', created_at FROM clients`, nil},
		{`INSERT INTO grants (id, client_id, audience, scopes, created_at, updated_at)
		 SELECT 'grant_' || id, id, 'https://api' || (seq % $1::int) || '.example.com', '{read}', created_at, created_at
		   FROM clients`, []any{storetest.BenchAPIs}},
		{`VACUUM ANALYZE`, nil},
	}
	for _, stmt := range stmts {
		if _, err := s.pool.Exec(ctx, stmt.sql, stmt.args...); err != nil {
			t.Fatalf("fill: %v", err)
		}
	}
}
