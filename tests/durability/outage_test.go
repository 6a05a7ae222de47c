package durability

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// privatePostgres is a PostgreSQL server of the test's own, in a temporary
// directory on a free loopback port, so that stopping it disturbs no other
// test: the shared server stays up.
type privatePostgres struct {
	bin, data, sock, logFile string
	port                     int
	asUser                   string // run the server as this user (root may not)
}

func newPrivatePostgres(t *testing.T) *privatePostgres {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Fatal("no /usr/lib/postgresql/*/bin/initdb: the outage test needs PostgreSQL's server binaries")
	}
	dir, err := os.MkdirTemp("", "mint-pg-outage-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	pg := &privatePostgres{bin: filepath.Dir(bins[len(bins)-1]), data: filepath.Join(dir, "data"),
		sock: dir, logFile: filepath.Join(dir, "log"), port: freePort(t)}
	if os.Geteuid() == 0 { // initdb refuses root: run it as postgres, who must own the directory
		pg.asUser = "postgres"
		u, err := user.Lookup(pg.asUser)
		if err != nil {
			t.Fatalf("running as root and no postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		os.Chmod(dir, 0o755)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	pg.run(t, "initdb", "-D", pg.data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
	pg.start(t)
	t.Cleanup(func() { pg.ctl("stop", "-m", "immediate") })
	return pg
}

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func (pg *privatePostgres) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(pg.bin, name)
	if pg.asUser != "" {
		return exec.Command("runuser", append([]string{"-u", pg.asUser, "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func (pg *privatePostgres) run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := pg.command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
}

func (pg *privatePostgres) ctl(args ...string) ([]byte, error) {
	return pg.command("pg_ctl", append([]string{"-D", pg.data, "-w", "-t", "30"}, args...)...).CombinedOutput()
}

func (pg *privatePostgres) start(t *testing.T) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", pg.port, pg.sock)
	if out, err := pg.ctl("start", "-l", pg.logFile, "-o", opts); err != nil {
		log, _ := os.ReadFile(pg.logFile)
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
}

func (pg *privatePostgres) stop(t *testing.T) {
	t.Helper()
	if out, err := pg.ctl("stop", "-m", "fast"); err != nil {
		t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}

func (pg *privatePostgres) dsn() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", pg.port)
}

// Outage bounds.
const (
	outageAnswerWithin = 5 * time.Second  // a 503, not a hang
	recoverWithin      = 30 * time.Second // after PostgreSQL is back
)

// TestPostgresOutage: PostgreSQL stopped under token load. While it is
// down, a client mint has not cached gets 503 temporarily_unavailable as
// JSON within seconds, admin writes too, and /readyz says 503; no request
// gets a 500 or hangs (a cached client may go on getting tokens). Once
// PostgreSQL is back, mint serves again by itself, without a restart.
func TestPostgresOutage(t *testing.T) {
	t.Parallel()
	pg := newPrivatePostgres(t)
	p := startMint(t, pg.dsn())
	bearer := adminToken(t, p.URL)
	const aud = "https://outage.test"
	cached := newClientWithGrant(t, p.URL, bearer, aud)
	cold := newClientWithGrant(t, p.URL, bearer, aud) // never asks before the outage
	if a, err := tokenRequest(context.Background(), p.URL, cached.id, cached.secret, aud); err != nil || a.status != 200 {
		t.Fatalf("token before the outage: %v %d %s", err, a.status, a.body)
	}

	// Token load all along: statuses counted, hangs are client timeouts.
	ctx, cancel := context.WithCancel(context.Background())
	var (
		mu       sync.Mutex
		statuses = map[int]int{}
		hangs    int
		wg       sync.WaitGroup
	)
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				a, err := tokenRequest(ctx, p.URL, cached.id, cached.secret, aud)
				mu.Lock()
				if err != nil && ctx.Err() == nil {
					hangs++
				} else if err == nil {
					statuses[a.status]++
				}
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	time.Sleep(300 * time.Millisecond)

	pg.stop(t)
	t.Log("PostgreSQL stopped")
	checks := []struct {
		name string
		do   func() (answer, error)
	}{
		{"token for an uncached client", func() (answer, error) {
			return tokenRequest(context.Background(), p.URL, cold.id, cold.secret, aud)
		}},
		{"admin write", func() (answer, error) {
			return send(context.Background(), "POST", p.URL+"/admin/v1/clients", bearer, map[string]string{"name": "x"})
		}},
		{"readyz", func() (answer, error) { return send(context.Background(), "GET", p.URL+"/readyz", "", nil) }},
	}
	for round := range 3 {
		for _, c := range checks {
			a, err := c.do()
			if err != nil {
				t.Fatalf("outage, %s: no answer: %v (after %v)", c.name, err, a.took)
			}
			if a.status != 503 || a.errorCode() != "temporarily_unavailable" || a.took > outageAnswerWithin {
				t.Errorf("outage, %s: %d %s in %v; want 503 temporarily_unavailable within %v",
					c.name, a.status, a.body, a.took, outageAnswerWithin)
			} else if round == 0 {
				t.Logf("outage, %s: 503 %s in %v", c.name, a.errorCode(), a.took.Round(time.Millisecond))
			}
		}
		time.Sleep(300 * time.Millisecond)
	}

	pg.start(t)
	t.Log("PostgreSQL started again")
	deadline := time.Now().Add(recoverWithin)
	for {
		a, err := tokenRequest(context.Background(), p.URL, cold.id, cold.secret, aud)
		if err == nil && a.status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mint did not recover within %v: %d %s %v", recoverWithin, a.status, a.body, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	must(t, "POST", p.URL+"/admin/v1/clients", bearer, map[string]string{"name": "after"}, 201, nil)
	must(t, "GET", p.URL+"/readyz", "", nil, 200, nil)
	cancel()
	wg.Wait()
	t.Logf("token load during the test: statuses %v, hangs %d", statuses, hangs)
	if statuses[500] > 0 || hangs > 0 {
		t.Errorf("token load saw %d answers 500 and %d hangs; want none", statuses[500], hangs)
	}
	for status := range statuses {
		if status != 200 && status != 503 {
			t.Errorf("token load saw status %d", status)
		}
	}
	verifyAudit(t, p.URL, bearer)
	p.Stop(t)
}
