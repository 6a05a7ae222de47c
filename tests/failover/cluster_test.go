package failover

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cluster is a PostgreSQL server of the test's own, in a temporary
// directory on a free loopback port.
type cluster struct {
	name, bin, data, sock, logFile string
	port                           int
	asUser                         string // run the server as this user (root may not)
}

// pgBin returns the directory of PostgreSQL's server binaries.
func pgBin(t *testing.T) string {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Fatal("no /usr/lib/postgresql/*/bin/initdb: the failover tests need PostgreSQL's server binaries")
	}
	return filepath.Dir(bins[len(bins)-1])
}

// newCluster prepares an empty directory for a cluster, owned by the
// postgres user when the test runs as root; the directory and the server
// go when the test ends, whatever happened.
func newCluster(t *testing.T, name string) *cluster {
	t.Helper()
	dir, err := os.MkdirTemp("", "mint-failover-"+name+"-")
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{name: name, bin: pgBin(t), data: filepath.Join(dir, "data"), sock: dir,
		logFile: filepath.Join(dir, "log"), port: freePort(t)}
	t.Cleanup(func() {
		c.kill()
		os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 { // initdb and postgres refuse root
		c.asUser = "postgres"
		u, err := user.Lookup(c.asUser)
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
	return c
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func (c *cluster) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, name)
	if c.asUser != "" {
		return exec.Command("runuser", append([]string{"-u", c.asUser, "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func (c *cluster) run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := c.command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", c.name, name, err, out)
	}
}

func (c *cluster) ctl(args ...string) ([]byte, error) {
	return c.command("pg_ctl", append([]string{"-D", c.data, "-w", "-t", "60"}, args...)...).CombinedOutput()
}

// start starts the server. fsync stays on: a SIGKILLed postgres loses
// nothing the OS has, but the test is about what was acknowledged.
func (c *cluster) start(t *testing.T) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", c.port, c.sock)
	if out, err := c.ctl("start", "-l", c.logFile, "-o", opts); err != nil {
		log, _ := os.ReadFile(c.logFile)
		t.Fatalf("%s: pg_ctl start: %v\n%s\n%s", c.name, err, out, log)
	}
}

func (c *cluster) restart(t *testing.T) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", c.port, c.sock)
	if out, err := c.ctl("restart", "-m", "fast", "-l", c.logFile, "-o", opts); err != nil {
		log, _ := os.ReadFile(c.logFile)
		t.Fatalf("%s: pg_ctl restart: %v\n%s\n%s", c.name, err, out, log)
	}
}

func (c *cluster) promote(t *testing.T) {
	t.Helper()
	if out, err := c.ctl("promote"); err != nil {
		t.Fatalf("%s: pg_ctl promote: %v\n%s", c.name, err, out)
	}
}

// postmasterPID reads the server's PID from postmaster.pid; 0 if none.
func (c *cluster) postmasterPID() int {
	b, err := os.ReadFile(filepath.Join(c.data, "postmaster.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	return pid
}

// kill sends SIGKILL to the server and every process it started, as a
// crashed host would leave them: gone at once, with no shutdown. It is
// safe to call when the server is not running.
func (c *cluster) kill() {
	pid := c.postmasterPID()
	if pid == 0 {
		return
	}
	children := childrenOf(pid)
	syscall.Kill(pid, syscall.SIGKILL)
	for _, child := range children {
		syscall.Kill(child, syscall.SIGKILL)
	}
	for range 100 { // until the postmaster is gone
		if syscall.Kill(pid, 0) != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	os.Remove(filepath.Join(c.data, "postmaster.pid"))
}

// childrenOf lists the processes whose parent is pid, from /proc.
func childrenOf(pid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []int
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 || f[1] != strconv.Itoa(pid) {
			continue
		}
		child, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		out = append(out, child)
	}
	return out
}

// psql runs one statement on the cluster and returns its output.
func (c *cluster) psql(t *testing.T, sql string) string {
	t.Helper()
	out, err := exec.Command("psql", "-h", "127.0.0.1", "-p", strconv.Itoa(c.port), "-U", "postgres", "-d", "postgres",
		"-Atqc", sql).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: psql %q: %v\n%s", c.name, sql, err, out)
	}
	return strings.TrimSpace(string(out))
}

// primaryAndStandby makes a primary and a streaming standby of it, with
// synchronous replication (every commit the primary acknowledges is on
// the standby), and waits until the standby is in sync.
func primaryAndStandby(t *testing.T) (primary, standby *cluster) {
	t.Helper()
	primary = newCluster(t, "primary")
	primary.run(t, "initdb", "-D", primary.data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8")
	conf := "wal_level = replica\nmax_wal_senders = 5\nhot_standby = on\n" +
		"synchronous_standby_names = '*'\nsynchronous_commit = on\nwal_keep_size = '256MB'\n"
	appendFile(t, filepath.Join(primary.data, "postgresql.conf"), conf)
	primary.start(t)

	standby = newCluster(t, "standby")
	standby.run(t, "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(primary.port), "-U", "postgres",
		"-D", standby.data, "-R", "-X", "stream", "--no-sync")
	// The copy has the primary's settings. Promoted, with no standby of
	// its own, it must not wait for one: every commit would hang (mint's
	// writes too) until an operator changed it. And it retries a lost
	// primary every second, not every 5 (the default), so that after the
	// primary's restart synchronous commits wait 1 s, not 5.
	appendFile(t, filepath.Join(standby.data, "postgresql.conf"),
		"synchronous_standby_names = ''\nwal_retrieve_retry_interval = '1s'\n")
	standby.start(t)
	deadline := time.Now().Add(60 * time.Second)
	for primary.psql(t, `SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'`) != "1" {
		if time.Now().After(deadline) {
			t.Fatalf("the standby did not reach synchronous streaming within 60 s: %s",
				primary.psql(t, `SELECT application_name, state, sync_state FROM pg_stat_replication`))
		}
		time.Sleep(200 * time.Millisecond)
	}
	return primary, standby
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}
