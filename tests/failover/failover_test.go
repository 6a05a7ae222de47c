package failover

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Load and bounds of the failover tests.
const (
	loadClients = 40 // clients asking for tokens, each once before the fault
	loadWorkers = 8
	steadyFor   = 2 * time.Second  // load before the fault and after recovery
	recoverIn   = 90 * time.Second // until admin writes succeed again
	auditIn     = 60 * time.Second // until every issued token's record is written
)

// strictTokens: the tests want no failed token request from a client
// active before the fault, which the store cache's bounded staleness
// gives (docs/deployment.md; mint serve's default bound, 5 min).
// MINT_FAILOVER_STRICT_TOKENS=0 relaxes that to what holds with the bound
// off (--cache-stale-bound 0): a failed token request is a 503
// temporarily_unavailable, never a 500 or a hang.
var strictTokens = os.Getenv("MINT_FAILOVER_STRICT_TOKENS") != "0"

// TestRestartPrimary: the primary restarted (fast shutdown, start) under
// token load, with mint given both servers.
func TestRestartPrimary(t *testing.T) {
	primary, standby := primaryAndStandby(t)
	dsn := fmt.Sprintf("postgres://postgres@127.0.0.1:%d,127.0.0.1:%d/postgres?sslmode=disable&target_session_attrs=read-write&connect_timeout=3",
		primary.port, standby.port)
	runFault(t, dsn, nil, "restart the primary", func() { primary.restart(t) })
}

// TestKillPrimaryAndPromote: the primary and its children SIGKILLed under
// token load, the standby promoted a second later (as a failover manager
// would); mint, given both servers in a keyword/value connection string
// and an audit spill file, follows it without a restart.
func TestKillPrimaryAndPromote(t *testing.T) {
	primary, standby := primaryAndStandby(t)
	dsn := fmt.Sprintf("host=127.0.0.1,127.0.0.1 port=%d,%d user=postgres dbname=postgres sslmode=disable target_session_attrs=read-write connect_timeout=3",
		primary.port, standby.port)
	spill := []string{"--audit-spill", filepath.Join(t.TempDir(), "audit-spill")}
	runFault(t, dsn, spill, "SIGKILL the primary, promote the standby", func() {
		primary.kill()
		time.Sleep(time.Second)
		standby.promote(t)
	})
}

// tally is what the load saw.
type tally struct {
	mu       sync.Mutex
	statuses map[int]int
	hangs    int
	bad      []string // answers that are neither 200 nor 503 temporarily_unavailable
	jtis     []string // of every token issued
}

func (l *tally) record(a answer, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case err != nil:
		l.hangs++
	case a.status == 200:
		l.statuses[200]++
		l.jtis = append(l.jtis, jti(a.body))
	default:
		l.statuses[a.status]++
		if (a.status != 503 || a.errorCode() != "temporarily_unavailable") && len(l.bad) < 5 {
			l.bad = append(l.bad, fmt.Sprintf("%d %s", a.status, a.body))
		}
	}
}

// runFault starts mint on dsn, puts token load on it from clients that all
// got a token before, writes clients through the admin API all along,
// applies fault, and then checks what was lost and measures what failed.
func runFault(t *testing.T, dsn string, args []string, name string, fault func()) {
	p := startMint(t, dsn, args...)
	bearer := adminToken(t, p.URL)
	clients := newClients(t, p.URL, bearer, loadClients)
	tokens := &tally{statuses: map[int]int{}}
	for _, c := range clients { // every client active before the fault
		a, err := tokenRequest(context.Background(), p.URL, c.id, c.secret, audience)
		if err != nil || a.status != 200 {
			t.Fatalf("token before the fault: %v %d %s", err, a.status, a.body)
		}
		tokens.record(a, err)
	}

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range loadWorkers {
		wg.Go(func() {
			for i := w; ctx.Err() == nil; i += loadWorkers {
				c := clients[i%len(clients)]
				a, err := tokenRequest(ctx, p.URL, c.id, c.secret, audience)
				if ctx.Err() != nil {
					return
				}
				tokens.record(a, err)
				time.Sleep(2 * time.Millisecond)
			}
		})
	}
	writes := &adminWriter{base: p.URL, bearer: bearer}
	wg.Go(func() { writes.run(ctx) })

	time.Sleep(steadyFor)
	faultAt := time.Now()
	fault()
	t.Logf("%s: done in %v", name, time.Since(faultAt).Round(time.Millisecond))
	back := writes.firstSuccessAfter(t, faultAt, recoverIn)
	t.Logf("admin writes succeed again %v after the fault began", back.Sub(faultAt).Round(time.Millisecond))
	time.Sleep(steadyFor)
	stop()
	wg.Wait()

	tokens.mu.Lock()
	failed := 0
	for status, n := range tokens.statuses {
		if status != 200 {
			failed += n
		}
	}
	t.Logf("token requests: %d, statuses %v, hangs %d; failed: %d", len(tokens.jtis)+failed+tokens.hangs,
		tokens.statuses, tokens.hangs, failed+tokens.hangs)
	if tokens.hangs > 0 || len(tokens.bad) > 0 {
		t.Errorf("token load: %d hangs, answers other than 200 and 503 temporarily_unavailable: %v", tokens.hangs, tokens.bad)
	}
	if strictTokens && failed > 0 {
		t.Errorf("%d token requests failed for clients active before the fault; want none", failed)
	}
	jtis := tokens.jtis
	tokens.mu.Unlock()
	writes.checkKept(t)
	checkAudit(t, p.URL, bearer, jtis)
	verifyAudit(t, p.URL, bearer)
	must(t, "GET", p.URL+"/readyz", "", nil, 200)
	if strings.Contains(p.Log(), "keeping them in the spill file") {
		t.Log("audit records went through the spill file during the fault")
	}
}

// adminWriter creates clients one after the other, noting which were
// acknowledged, and when writes succeeded and failed.
type adminWriter struct {
	base, bearer string
	mu           sync.Mutex
	acked        []string
	events       []writeEvent
	failures     map[int]int // by status; 0: no answer
}

type writeEvent struct {
	at time.Time
	ok bool
}

func (w *adminWriter) run(ctx context.Context) {
	for ctx.Err() == nil {
		a, err := send(ctx, "POST", w.base+"/admin/v1/clients", w.bearer, map[string]any{"name": "written during failover"})
		if ctx.Err() != nil {
			return
		}
		ok := err == nil && a.status == 201
		w.mu.Lock()
		w.events = append(w.events, writeEvent{time.Now(), ok})
		if ok {
			var c struct {
				ClientID string `json:"client_id"`
			}
			json.Unmarshal(a.body, &c)
			w.acked = append(w.acked, c.ClientID)
		} else {
			if w.failures == nil {
				w.failures = map[int]int{}
			}
			w.failures[a.status]++
		}
		w.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
}

// firstSuccessAfter waits for the first write acknowledged after the
// fault and after the failures it caused, and returns when it ended.
func (w *adminWriter) firstSuccessAfter(t *testing.T, at time.Time, within time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		w.mu.Lock()
		var failedSince, back time.Time
		for _, e := range w.events {
			switch {
			case !e.at.After(at):
			case !e.ok:
				failedSince, back = e.at, time.Time{}
			case back.IsZero() && !failedSince.IsZero():
				back = e.at
			}
		}
		if failedSince.IsZero() { // no write failed: the first after the fault
			for _, e := range w.events {
				if e.ok && e.at.After(at) {
					back = e.at
					break
				}
			}
		}
		w.mu.Unlock()
		if !back.IsZero() {
			return back
		}
		if time.Now().After(deadline) {
			t.Fatalf("no admin write succeeded within %v of the fault", within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkKept wants every acknowledged client to be there.
func (w *adminWriter) checkKept(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	missing := 0
	for _, id := range w.acked {
		a, err := send(context.Background(), "GET", w.base+"/admin/v1/clients/"+id, w.bearer, nil)
		if err != nil || a.status != 200 {
			missing++
		}
	}
	t.Logf("admin writes: %d acknowledged, failures by status %v; acknowledged and missing: %d", len(w.acked), w.failures, missing)
	if missing > 0 {
		t.Errorf("%d acknowledged admin writes are missing", missing)
	}
	for status, n := range w.failures {
		if status != 503 {
			t.Errorf("%d admin writes answered %d (0: no answer); want 503 only", n, status)
		}
	}
}

// checkAudit waits until every issued token has its audit record.
func checkAudit(t *testing.T, base, bearer string, jtis []string) {
	t.Helper()
	deadline := time.Now().Add(auditIn)
	for {
		have := auditSubjects(t, base, bearer, "token.issued")
		missing := 0
		for _, j := range jtis {
			if !have[j] {
				missing++
			}
		}
		if missing == 0 {
			t.Logf("audit: all %d issued tokens recorded", len(jtis))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("audit: %d of %d issued tokens have no record %v after the load stopped", missing, len(jtis), auditIn)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
