package durability

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Bounds of the onlookers test: rounds of outside tools run on the live
// file while writes are being acknowledged, each tool followed by
// writesBetween acknowledged writes, and writesAfter once the last tool is
// done (the writes the old code lost). Writers pause writePause between
// writes, so that the last writes stay in the WAL, below SQLite's
// automatic checkpoint, as an admin's occasional changes would.
const (
	onlookerRounds = 3
	writesBetween  = 3
	writesAfter    = 20
	writePause     = 20 * time.Millisecond
)

// TestSQLiteOutsideReadersLoseNoWrite is issue 13 part 2 as an operator
// meets it: mint serves a SQLite file and acknowledges admin creates while
// Debian's sqlite3 shell and Python's sqlite3 module read the live file
// and run PRAGMA wal_checkpoint(TRUNCATE) on it, and `mint backup` and
// `mint audit verify --db` run beside it; then mint is killed with
// SIGKILL and restarted: every create it acknowledged is there.
//
// mint used to open and close a second descriptor on the file after
// SQLite had locked it, which drops every POSIX lock the process holds on
// the file: the first outside tool to close then found itself alone,
// checkpointed and deleted the WAL mint went on appending to, and every
// later commit vanished with the process.
func TestSQLiteOutsideReadersLoseNoWrite(t *testing.T) {
	t.Parallel()
	tools := onlookerTools(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "mint.db")
	p := startMintEnv(t, []string{"MINT_MASTER_KEY="}, db) // the key in mint.db.key, as backup copies it
	bearer := adminToken(t, p.URL)

	ctx, cancel := context.WithCancel(context.Background())
	var (
		mu    sync.Mutex
		acked []string
		wg    sync.WaitGroup
	)
	for range 2 {
		wg.Go(func() {
			for ctx.Err() == nil {
				a, err := send(ctx, "POST", p.URL+"/admin/v1/clients", bearer, map[string]string{"name": "onlooker"})
				if err != nil || a.status != 201 {
					continue // not acknowledged: it may or may not be there
				}
				time.Sleep(writePause)
				var c struct {
					ClientID string `json:"client_id"`
				}
				if jsonUnmarshal(a.body, &c) == nil {
					mu.Lock()
					acked = append(acked, c.ClientID)
					mu.Unlock()
				}
			}
		})
	}
	ackedSoFar := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }

	for round := range onlookerRounds {
		for _, tool := range tools {
			before := ackedSoFar()
			out, err := tool.run(db, filepath.Join(dir, fmt.Sprintf("backup-%d.db", round)))
			if err != nil {
				t.Errorf("round %d, %s: %v\n%s", round+1, tool.name, err, out)
			}
			waitForWrites(t, ackedSoFar, before+writesBetween)
		}
	}
	waitForWrites(t, ackedSoFar, ackedSoFar()+writesAfter)
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	cancel()
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("no write was acknowledged: the test proved nothing")
	}

	p = startMintEnv(t, []string{"MINT_MASTER_KEY="}, db)
	bearer = adminToken(t, p.URL)
	present := listClientIDs(t, p.URL, bearer)
	missing := 0
	for _, id := range acked {
		if !present[id] {
			missing++
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged creates are missing after kill -9 and restart", missing, len(acked))
	}
	verifyAudit(t, p.URL, bearer)
	p.Stop(t)
	t.Logf("%d acknowledged creates, %d rounds of %d outside tools on the live file, SIGKILL: %d missing",
		len(acked), onlookerRounds, len(tools), missing)
}

// onlooker is one thing an operator runs on the live database file.
type onlooker struct {
	name string
	run  func(db, backupOut string) ([]byte, error)
}

// onlookerTools are the outside readers: the sqlite3 shell and Python's
// sqlite3 module, each reading and checkpointing, and mint's own offline
// commands. The shell and Python are required, not skipped: scripts/test
// installs them.
func onlookerTools(t *testing.T) []onlooker {
	t.Helper()
	shell, err := exec.LookPath("sqlite3")
	if err != nil {
		t.Fatal("the sqlite3 shell is not installed (scripts/test installs Debian's sqlite3)")
	}
	python := pythonWithSQLite(t)
	const pyRead = `import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=10)
print(c.execute("select count(*) from clients").fetchone()[0])
print(c.execute("pragma wal_checkpoint(TRUNCATE)").fetchone())
c.close()`
	cmd := func(name string, args ...string) func(string, string) ([]byte, error) {
		return func(db, out string) ([]byte, error) {
			argv := make([]string, len(args))
			for i, a := range args {
				argv[i] = map[string]string{"DB": db, "OUT": out}[a]
				if argv[i] == "" {
					argv[i] = a
				}
			}
			return exec.Command(name, argv...).CombinedOutput()
		}
	}
	return []onlooker{
		{"sqlite3 select", cmd(shell, "-cmd", ".timeout 10000", "DB", "select count(*) from clients")},
		{"sqlite3 checkpoint", cmd(shell, "-cmd", ".timeout 10000", "DB", "pragma wal_checkpoint(TRUNCATE)")},
		{"python3 sqlite3", cmd(python, "-c", pyRead, "DB")},
		{"mint backup", cmd(mintBin, "backup", "--db", "DB", "--out", "OUT")},
		{"mint audit verify", cmd(mintBin, "audit", "verify", "--db", "DB")},
	}
}

// pythonWithSQLite returns a Python 3 whose sqlite3 module imports:
// MINT_TEST_PYTHON (as scripts/test may set it), python3 on the PATH, or
// Debian's /usr/bin/python3.
func pythonWithSQLite(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("MINT_TEST_PYTHON"), "python3", "/usr/bin/python3"} {
		if p == "" {
			continue
		}
		if exec.Command(p, "-c", "import sqlite3").Run() == nil {
			return p
		}
	}
	t.Fatal("no python3 with its sqlite3 module")
	return ""
}

// waitForWrites waits, up to 20 s, until n writes have been acknowledged,
// so that each outside tool is followed by commits it could have lost.
func waitForWrites(t *testing.T, acked func() int, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for acked() < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d writes acknowledged after 20 s, want %d", acked(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
