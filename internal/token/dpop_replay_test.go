package token

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mintauth/mint/bearer/dpop"
	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/storecache"
	"github.com/mintauth/mint/internal/testdb"
	"github.com/mintauth/mint/internal/usebatch"
)

// replayRig is one database and as many mint replicas over it as a test
// starts, each with its own store handle (its own connections, its own
// batcher and its own memory of proofs), store cache and HTTP server, as
// mint serve wires them: what an attacker replaying a captured proof
// faces.
type replayRig struct {
	dpopReplicas // the clients, the clock and post's helpers
	backend, dsn string
	master       []byte
}

func newReplayRig(t *testing.T, backend string) *replayRig {
	t.Helper()
	r := &replayRig{backend: backend, dsn: testdb.New(t, backend), master: keyring.NewMasterKey()}
	r.now = time.Now().Truncate(time.Second)
	r.populate(t, testdb.OpenDSN(t, backend, r.dsn))
	return r
}

// replica starts a replica on a new handle of the database; it returns its
// URL and its store, which the test may close (a restart).
func (r *replayRig) replica(t *testing.T, wrap func(mint.Store) mint.Store) (string, mint.Store) {
	t.Helper()
	raw := testdb.OpenDSN(t, r.backend, r.dsn)
	clock := func() time.Time { return r.now }
	ring, err := keyring.Open(context.Background(), raw, keyring.Config{MasterKey: r.master, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	var store mint.Store = storecache.New(raw, storecache.Options{})
	if wrap != nil {
		store = wrap(store)
	}
	e := &Endpoint{Store: store, Keys: ring, Issuer: testIssuer, Now: clock, DPoP: NewDPoPChecker(store, nil, clock)}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv.URL, raw
}

// answer is a token endpoint's answer, read in any goroutine.
type answer struct {
	status int
	body   map[string]any
	err    error
}

func (a answer) String() string {
	if a.err != nil {
		return a.err.Error()
	}
	shown := maps.Clone(a.body)
	if _, ok := shown["access_token"]; ok {
		shown["access_token"] = "(a token)"
	}
	return fmt.Sprintf("%d %v", a.status, shown)
}

// tokenRequest asks the replica at base for a token for c with one DPoP
// proof; it may be called from any goroutine.
func tokenRequest(base string, c testClient, proof string) answer {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ID}, "client_secret": {c.Secret}}
	req, err := http.NewRequest(http.MethodPost, base+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("DPoP", proof)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{err: err}
	}
	a := answer{status: resp.StatusCode}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		a.err = fmt.Errorf("answer %q: %w", raw, err)
	}
	return a
}

func (a answer) issued() bool {
	return a.err == nil && a.status == 200 && a.body["token_type"] == "DPoP"
}

func (a answer) replay() bool {
	d, _ := a.body["error_description"].(string)
	return a.err == nil && a.status == 400 && a.body["error"] == "invalid_dpop_proof" && strings.Contains(d, "used already")
}

func (a answer) unavailable() bool {
	return a.err == nil && a.status == 503 && a.body["error"] == "temporarily_unavailable"
}

// TestDPoPProofRacedToTwoReplicas sends one proof to two replicas at the
// same instant, twice to each, alongside fresh proofs that share its
// batches: exactly one of the four gets a token, the others are replays,
// and every fresh proof gets one. Round after round, for some seconds.
func TestDPoPProofRacedToTwoReplicas(t *testing.T) {
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) {
			r := newReplayRig(t, backend)
			var urls [2]string
			for i := range urls {
				urls[i], _ = r.replica(t, nil)
			}
			p := r.prover(t)
			const minRounds, maxRounds = 5, 60
			deadline := time.Now().Add(8 * time.Second)
			rounds := 0
			for ; rounds < maxRounds && (rounds < minRounds || time.Now().Before(deadline)); rounds++ {
				raceOneProof(t, r, urls, p)
			}
			t.Logf("%d rounds", rounds)
		})
	}
}

func raceOneProof(t *testing.T, r *replayRig, urls [2]string, p *dpop.Prover) {
	t.Helper()
	stolen := proofFor(t, p, "POST", dpopTokenURL, "")
	var fresh []string
	for range 4 {
		fresh = append(fresh, proofFor(t, p, "POST", dpopTokenURL, ""))
	}
	var (
		wg      sync.WaitGroup
		start   = make(chan struct{})
		mu      sync.Mutex
		stolenA []answer
		freshA  []answer
	)
	send := func(base, proof string, into *[]answer) {
		wg.Go(func() {
			<-start
			a := tokenRequest(base, r.client, proof)
			mu.Lock()
			defer mu.Unlock()
			*into = append(*into, a)
		})
	}
	for i := range 4 {
		send(urls[i%2], stolen, &stolenA)
		send(urls[i%2], fresh[i], &freshA)
	}
	close(start)
	wg.Wait()
	issued := 0
	for _, a := range stolenA {
		switch {
		case a.issued():
			issued++
		case !a.replay():
			t.Fatalf("the raced proof: %v, want a token or a replay", a)
		}
	}
	if issued != 1 {
		t.Fatalf("the proof sent four times to two replicas at once got %d tokens, want exactly 1", issued)
	}
	for _, a := range freshA {
		if !a.issued() {
			t.Fatalf("a fresh proof racing beside: %v, want a token", a)
		}
	}
}

// TestDPoPProofReplayedAfterRestart: a replica that restarts forgets the
// proofs it saw, the database does not: a proof used before the restart
// and replayed within its minute is refused, by the restarted replica and
// by another.
func TestDPoPProofReplayedAfterRestart(t *testing.T) {
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) {
			r := newReplayRig(t, backend)
			p := r.prover(t)
			proof := proofFor(t, p, "POST", dpopTokenURL, "")
			first, store := r.replica(t, nil)
			if a := tokenRequest(first, r.client, proof); !a.issued() {
				t.Fatalf("first use: %v", a)
			}
			if a := tokenRequest(first, r.client, proof); !a.replay() {
				t.Fatalf("replay to the same replica: %v", a)
			}
			if err := store.Close(); err != nil {
				t.Fatal(err)
			}
			r.now = r.now.Add(30 * time.Second) // still within the proof's minute
			restarted, _ := r.replica(t, nil)
			if a := tokenRequest(restarted, r.client, proof); !a.replay() {
				t.Fatalf("replay after the restart: %v, want refused as used", a)
			}
			other, _ := r.replica(t, nil)
			if a := tokenRequest(other, r.client, proof); !a.replay() {
				t.Fatalf("replay to another replica after the restart: %v, want refused as used", a)
			}
		})
	}
}

// TestDPoPStoreCannotRecord: while the table of used jti cannot be
// written (another process holds SQLite's write lock, or a PostgreSQL
// session locks the table), a proof is answered 503 after the batcher's
// wait, never given a token; once the database is back, a new proof is.
func TestDPoPStoreCannotRecord(t *testing.T) {
	for _, backend := range testdb.Backends {
		t.Run(backend, func(t *testing.T) {
			r := newReplayRig(t, backend)
			base, _ := r.replica(t, nil)
			p := r.prover(t)
			// The client and its grant in the cache, read before the lock.
			if a := tokenRequest(base, r.client, proofFor(t, p, "POST", dpopTokenURL, "")); !a.issued() {
				t.Fatalf("before the lock: %v", a)
			}
			release := testdb.LockUsedAssertions(t, backend, r.dsn)
			a := tokenRequest(base, r.client, proofFor(t, p, "POST", dpopTokenURL, ""))
			release()
			if !a.unavailable() {
				t.Fatalf("with the table locked: %v, want 503 temporarily_unavailable", a)
			}
			if a := tokenRequest(base, r.client, proofFor(t, p, "POST", dpopTokenURL, "")); !a.issued() {
				t.Fatalf("after the lock: %v", a)
			}
		})
	}
}

// fullQueue is a store whose uses are refused as by a full batcher queue
// while full is set.
type fullQueue struct {
	mint.Store
	full *atomic.Bool
}

func (s fullQueue) UseAssertion(ctx context.Context, clientID, id string, until time.Time) error {
	if s.full.Load() {
		return fmt.Errorf("sqlite: use assertion %q of client %q: %w", id, clientID, usebatch.ErrQueueFull)
	}
	return s.Store.UseAssertion(ctx, clientID, id, until)
}

// TestDPoPQueueFull: a store whose queue of uses to record is full
// answers at once, and the token endpoint says 503, not a token and not
// a replay; the proof is not remembered as used, so the client's retry
// once there is room gets its token. (Package usebatch tests the queue's
// bound itself, internal/sqlite's TestUseAssertionQueueFull a real store's.)
func TestDPoPQueueFull(t *testing.T) {
	r := newReplayRig(t, "sqlite")
	var full atomic.Bool
	full.Store(true)
	base, _ := r.replica(t, func(s mint.Store) mint.Store { return fullQueue{Store: s, full: &full} })
	proof := proofFor(t, r.prover(t), "POST", dpopTokenURL, "")
	if a := tokenRequest(base, r.client, proof); !a.unavailable() {
		t.Fatalf("with the queue full: %v, want 503 temporarily_unavailable", a)
	}
	full.Store(false)
	if a := tokenRequest(base, r.client, proof); !a.issued() {
		t.Fatalf("the same proof retried once there is room: %v, want a token", a)
	}
}
