package durability

import (
	"context"
	"math/rand/v2"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mintauth/mint/internal/sqlite"
	"github.com/mintauth/mint/internal/testdb"
)

// Crash test bounds: rounds of writes, each ended by SIGKILL after a
// random time in [minRun, maxRun).
const (
	crashRounds = 5
	minRun      = 300 * time.Millisecond
	maxRun      = 1200 * time.Millisecond
	writers     = 4
)

// TestCrashSQLite and TestCrashPostgres: admin writes (new clients) stream
// in from several writers while mint is killed with SIGKILL at random
// points, round after round; after a restart every write mint
// acknowledged (201) is there, with its audit record, the audit chain
// verifies and the database passes its integrity check.
func TestCrashSQLite(t *testing.T) {
	t.Parallel()
	db := testdb.New(t, "sqlite")
	acked := crashAndCheck(t, db)
	if err := sqlite.IntegrityCheck(context.Background(), db); err != nil {
		t.Errorf("PRAGMA integrity_check: %v", err)
	}
	t.Logf("%d acknowledged writes over %d SIGKILLs, all present; integrity_check ok", acked, crashRounds)
}

func TestCrashPostgres(t *testing.T) {
	t.Parallel()
	dsn := testdb.New(t, "postgres")
	acked := crashAndCheck(t, dsn)
	amcheck(t, dsn)
	t.Logf("%d acknowledged writes over %d SIGKILLs, all present", acked, crashRounds)
}

// crashAndCheck runs the rounds on db and checks what survived; it
// returns how many writes were acknowledged.
func crashAndCheck(t *testing.T, db string) int {
	var acked []string
	for round := range crashRounds {
		p := startMint(t, db)
		bearer := adminToken(t, p.URL)
		ctx, cancel := context.WithCancel(context.Background())
		var (
			mu sync.Mutex
			wg sync.WaitGroup
		)
		for range writers {
			wg.Go(func() {
				for ctx.Err() == nil {
					a, err := send(ctx, "POST", p.URL+"/admin/v1/clients", bearer, map[string]string{"name": "crash"})
					if err != nil || a.status != 201 {
						continue // not acknowledged: it may or may not be there
					}
					var c struct {
						ClientID string `json:"client_id"`
					}
					if jsonErr := jsonUnmarshal(a.body, &c); jsonErr == nil {
						mu.Lock()
						acked = append(acked, c.ClientID)
						mu.Unlock()
					}
				}
			})
		}
		time.Sleep(minRun + rand.N(maxRun-minRun))
		p.Kill()
		cancel()
		wg.Wait()
		t.Logf("round %d: %d acknowledged so far", round+1, len(acked))
	}
	p := startMint(t, db)
	bearer := adminToken(t, p.URL)
	present := listClientIDs(t, p.URL, bearer)
	recorded := auditSubjects(t, p.URL, bearer, "admin.clients.create")
	missing, unrecorded := 0, 0
	for _, id := range acked {
		if !present[id] {
			missing++
			t.Errorf("acknowledged client %s is missing after the crashes", id)
		}
		if !recorded[id] {
			unrecorded++
			t.Errorf("acknowledged client %s has no audit record", id)
		}
	}
	if len(acked) == 0 {
		t.Fatal("no write was acknowledged: the test proved nothing")
	}
	verifyAudit(t, p.URL, bearer)
	p.Stop(t)
	return len(acked)
}

// amcheck checks every B-tree index of the schema dsn names with the
// amcheck extension (bt_index_check), which PostgreSQL ships in contrib.
func amcheck(t *testing.T, dsn string) {
	ctx := context.Background()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS amcheck SCHEMA public`); err != nil {
		t.Logf("amcheck not available (%v): checked the data through mint only", err)
		return
	}
	rows, err := conn.Query(ctx, `SELECT c.relname, public.bt_index_check(c.oid, true) IS NULL
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am am ON am.oid = c.relam
		WHERE n.nspname = $1 AND am.amname = 'btree'`, schema)
	if err != nil {
		t.Fatalf("amcheck: %v", err)
	}
	n := 0
	for rows.Next() {
		var name string
		var ok bool
		if err := rows.Scan(&name, &ok); err != nil {
			t.Fatalf("amcheck: %v", err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("amcheck: %v", err)
	}
	if n == 0 {
		t.Fatal("amcheck checked no index")
	}
	t.Logf("amcheck: bt_index_check(heapallindexed) passed on %d indexes", n)
}
