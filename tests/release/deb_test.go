package release

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The paths the .deb installs (tools/release/deb.go) and creates
// (tools/release/deb/postinst).
const (
	binPath  = "/usr/bin/mint"
	unitPath = "/lib/systemd/system/mint.service"
	envPath  = "/etc/default/mint"
	stateDir = "/var/lib/mint"
	docDir   = "/usr/share/doc/mint"
)

// testVersion marks the package this test installs, so that a run killed
// half way can be told from an operator's mint and cleaned up by the next.
const testVersion = "v0.0.0-debtest"

// TestDebInstallServePurge builds the release for this machine's
// architecture with scripts/release, installs its .deb with dpkg, runs the
// unit's ExecStart as the unit says, gets an admin token from the real
// token endpoint and uses it, checks that everything in /var/lib/mint is
// the mint user's alone, then removes (the state stays) and purges (the
// state, the user and the settings go) the package, with an install
// between them that must find the same database.
func TestDebInstallServePurge(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("installing a .deb needs root; run as root to test the package")
	}
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("dpkg is not installed: this machine cannot install a .deb")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	refuseForeignMint(t, ctx)

	dist := t.TempDir()
	deb := buildRelease(t, ctx, dist)
	t.Cleanup(func() { dpkgQuiet("--purge", "mint") })
	run(t, ctx, 5*time.Minute, "dpkg", "-i", deb)
	mintUser := checkInstalled(t, ctx)

	secret := configure(t)
	srv := startUnit(t, ctx, mintUser)
	if !strings.HasPrefix(srv.version, testVersion) {
		t.Errorf("the installed mint says it is version %q, want the %s just built", srv.version, testVersion)
	}
	token := adminToken(t, ctx, srv.url, "debtest-admin", secret)
	useAdminToken(t, ctx, srv.url, token)
	checkStateFiles(t, mintUser)
	srv.stop(t)

	run(t, ctx, 2*time.Minute, "dpkg", "--remove", "mint")
	checkRemoved(t)

	// Installed again, mint serves the same database: the admin token
	// issued before the remove is still good (a new database would not
	// know its client, a new master key could not open its signing key).
	run(t, ctx, 5*time.Minute, "dpkg", "-i", deb)
	checkInstalled(t, ctx)
	srv = startUnit(t, ctx, mintUser)
	useAdminToken(t, ctx, srv.url, token)
	srv.stop(t)

	run(t, ctx, 2*time.Minute, "dpkg", "--purge", "mint")
	checkPurged(t, ctx)
}

// refuseForeignMint stops the test before it touches a mint package or user
// that is not its own; one left by an earlier run of this test is purged.
func refuseForeignMint(t *testing.T, ctx context.Context) {
	out, _ := exec.CommandContext(ctx, "dpkg-query", "-W", "-f", "${Status}|${Version}", "mint").Output()
	status, version, _ := strings.Cut(string(out), "|")
	if strings.Contains(status, "installed") || strings.Contains(status, "config-files") {
		if !strings.HasPrefix(version, "0.0.0~debtest") {
			t.Fatalf("a mint package (%s, %s) is installed on this machine; this test installs and purges its own: purge that one first (dpkg --purge mint)", version, status)
		}
		t.Logf("purging the mint %s an earlier run of this test left", version)
		run(t, ctx, 2*time.Minute, "dpkg", "--purge", "mint")
	}
	if _, err := user.Lookup("mint"); err == nil {
		t.Fatal("a user mint exists with no mint package installed; this test's purge would delete it: remove it first (userdel mint)")
	}
}

// buildRelease runs scripts/release for linux/GOARCH into dist, checks the
// archive and the checksums, and returns the .deb's path.
func buildRelease(t *testing.T, ctx context.Context, dist string) string {
	root := repoRoot(t)
	start := time.Now()
	run(t, ctx, 15*time.Minute, filepath.Join(root, "scripts", "release"),
		"--targets", "linux/"+runtime.GOARCH, "--dist", dist, "--allow-dirty", testVersion)
	t.Logf("scripts/release for linux/%s: %s", runtime.GOARCH, time.Since(start).Round(time.Second))

	sums, _ := filepath.Glob(filepath.Join(dist, "mint_*_checksums.txt"))
	debs, _ := filepath.Glob(filepath.Join(dist, "mint_*_"+runtime.GOARCH+".deb"))
	archives, _ := filepath.Glob(filepath.Join(dist, "mint_*_linux_"+runtime.GOARCH+".tar.gz"))
	if len(sums) != 1 || len(debs) != 1 || len(archives) != 1 {
		t.Fatalf("dist holds checksums %v, .deb %v, archives %v; want one of each", sums, debs, archives)
	}
	check := exec.CommandContext(ctx, "sha256sum", "--strict", "-c", filepath.Base(sums[0]))
	check.Dir = dist
	if out, err := check.CombinedOutput(); err != nil || strings.Count(string(out), ": OK") != 2 {
		t.Errorf("sha256sum -c %s: %v\n%s", filepath.Base(sums[0]), err, out)
	}
	checkArchive(t, archives[0])
	return debs[0]
}

// checkArchive wants the binary, executable, and the license and docs in
// the archive's one top folder.
func checkArchive(t *testing.T, path string) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	top := strings.TrimSuffix(filepath.Base(path), ".tar.gz") + "/"
	got := map[string]int64{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		got[h.Name] = h.Mode
	}
	want := map[string]int64{top: 0o755, top + "mint": 0o755, top + "LICENSE": 0o644, top + "README.md": 0o644, top + "CHANGELOG.md": 0o644}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s holds %v, want %v", filepath.Base(path), got, want)
	}
}

// checkInstalled checks what dpkg -i left: the files and their modes, the
// system user, its state directory, and a unit systemd accepts with an
// exposure of at most 2.0 by systemd-analyze's measure. It returns the user.
func checkInstalled(t *testing.T, ctx context.Context) *user.User {
	wantMode(t, binPath, 0o755, 0)
	wantMode(t, unitPath, 0o644, 0)
	wantMode(t, envPath, 0o600, 0) // may hold the bootstrap secret or the master key
	u, err := user.Lookup("mint")
	if err != nil {
		t.Fatalf("dpkg -i made no user mint: %v", err)
	}
	if uid, _ := strconv.Atoi(u.Uid); uid == 0 || uid >= 1000 {
		t.Errorf("user mint has uid %s, want a system uid (1-999)", u.Uid)
	}
	if u.HomeDir != stateDir {
		t.Errorf("user mint's home is %s, want %s", u.HomeDir, stateDir)
	}
	if out, _ := exec.CommandContext(ctx, "getent", "passwd", "mint").Output(); !strings.HasSuffix(strings.TrimSpace(string(out)), ":/usr/sbin/nologin") {
		t.Errorf("user mint can log in: %s", out)
	}
	wantMode(t, stateDir, fs.ModeDir|0o700, uidOf(u))
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		t.Log("systemd-analyze is absent: the unit's hardening is not checked")
		return u
	}
	if out, err := exec.CommandContext(ctx, "systemd-analyze", "verify", unitPath).CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify %s: %v\n%s", unitPath, err, out)
	}
	sec := exec.CommandContext(ctx, "systemd-analyze", "security", "--offline=true", "--threshold=20", unitPath)
	if out, err := sec.CombinedOutput(); err != nil {
		t.Errorf("systemd-analyze security: exposure above 2.0 (%v)\n%s", err, out)
	}
	return u
}

// configure does what the operator does after installing: settings in
// the environment file. The addresses are free loopback ports, the issuer
// is fixed (so that tokens outlive a restart on another port), and the
// admin client is chosen rather than printed. It returns its secret.
func configure(t *testing.T) string {
	raw := make([]byte, 32)
	rand.Read(raw)
	secret := base64.RawURLEncoding.EncodeToString(raw)
	f, err := os.OpenFile(envPath, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintf(f, "\n# added by %s\nMINT_ADDR=127.0.0.1:0\nMINT_METRICS_ADDR=127.0.0.1:0\nMINT_LOG_FORMAT=json\n"+
		"MINT_ISSUER=https://mint.debtest.invalid\n"+
		"MINT_BOOTSTRAP_CLIENT_ID=debtest-admin\nMINT_BOOTSTRAP_CLIENT_SECRET=%s\n", t.Name(), secret)
	return secret
}

// server is the unit's command, running.
type server struct {
	cmd     *exec.Cmd
	url     string
	version string
	exited  chan struct{}
	err     error // once exited is closed

	mu  sync.Mutex
	log bytes.Buffer
}

// startUnit runs the installed unit's command and waits for its "mint
// serving" line; it checks that the process runs as mint with no new
// privileges and no capabilities.
func startUnit(t *testing.T, ctx context.Context, mintUser *user.User) *server {
	u, err := readUnit(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd, err := u.command()
	if err != nil {
		t.Fatal(err)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("running %s in %s", strings.Join(cmd.Args, " "), cmd.Dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, exited: make(chan struct{})}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
		if t.Failed() {
			t.Logf("mint's log:\n%s", s.output())
		}
	})
	serving := make(chan map[string]any, 1)
	go s.readLog(stderr, serving)
	select {
	case rec := <-serving:
		addr, _ := rec["addr"].(string)
		s.url, s.version = "http://"+addr, fmt.Sprint(rec["version"])
	case <-s.exited:
		t.Fatalf("mint exited before serving: %v\n%s", s.err, s.output())
	case <-time.After(time.Minute):
		t.Fatalf("no 'mint serving' line within a minute:\n%s", s.output())
	}
	t.Logf("mint %s serving at %s as pid %d", s.version, s.url, cmd.Process.Pid)
	checkCredentials(t, cmd.Process.Pid, uidOf(mintUser))
	return s
}

func (s *server) readLog(r io.Reader, serving chan<- map[string]any) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		s.mu.Lock()
		s.log.Write(sc.Bytes())
		s.log.WriteByte('\n')
		s.mu.Unlock()
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) == nil && rec["msg"] == "mint serving" {
			serving <- rec
		}
	}
	io.Copy(io.Discard, r) // a line too long to scan: keep mint from blocking on its log
	s.err = s.cmd.Wait()
	close(s.exited)
}

func (s *server) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// stop sends SIGTERM, as systemctl stop does, and wants a clean exit
// within the unit's TimeoutStopSec.
func (s *server) stop(t *testing.T) {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		if s.err != nil {
			t.Errorf("mint exited with %v on SIGTERM", s.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("mint did not stop within 30 s of SIGTERM")
	}
}

// checkCredentials reads /proc: every uid and gid of the process is mint's,
// no_new_privs is set and no capability is left, even in the bounding set.
func checkCredentials(t *testing.T, pid, uid int) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			status[k] = strings.Join(strings.Fields(v), " ")
		}
	}
	id := strconv.Itoa(uid)
	for k, want := range map[string]string{
		"Uid": strings.Repeat(id+" ", 3) + id, "NoNewPrivs": "1",
		"CapPrm": "0000000000000000", "CapEff": "0000000000000000", "CapBnd": "0000000000000000",
	} {
		if status[k] != want {
			t.Errorf("mint's %s is %q, want %q", k, status[k], want)
		}
	}
}

// adminToken asks the real token endpoint for an admin token, as the CLI
// does.
func adminToken(t *testing.T, ctx context.Context, base, id, secret string) string {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}, "audience": {"urn:mint:admin"}}
	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	body := do(t, req, &tok)
	if tok.TokenType != "Bearer" || strings.Count(tok.AccessToken, ".") != 2 {
		t.Fatalf("token endpoint answered %s", body)
	}
	return tok.AccessToken
}

// useAdminToken lists the APIs with the token: the admin API is there.
func useAdminToken(t *testing.T, ctx context.Context, base, token string) {
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/admin/v1/apis", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if body := do(t, req, nil); !strings.Contains(body, `"urn:mint:admin"`) {
		t.Errorf("GET /admin/v1/apis answered %s, want the admin API listed", body)
	}
}

func do(t *testing.T, req *http.Request, into any) string {
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s %s", req.Method, req.URL.Path, resp.Status, body)
	}
	if into != nil {
		if err := json.Unmarshal(body, into); err != nil {
			t.Fatalf("%s %s: %v: %s", req.Method, req.URL.Path, err, body)
		}
	}
	return string(body)
}

// checkStateFiles wants the database and its master key in /var/lib/mint,
// and every file there owned by mint, 0600 (directories 0700).
func checkStateFiles(t *testing.T, mintUser *user.User) {
	uid := uidOf(mintUser)
	var names []string
	err := filepath.WalkDir(stateDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		names = append(names, strings.TrimPrefix(path, stateDir+"/"))
		if d.IsDir() {
			wantMode(t, path, fs.ModeDir|0o700, uid)
		} else {
			wantMode(t, path, 0o600, uid)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s holds %v", stateDir, names)
	for _, want := range []string{"mint.db", "mint.db.key"} {
		if !slices.Contains(names, want) {
			t.Errorf("%s holds %v, no %s", stateDir, names, want)
		}
	}
}

// checkRemoved: dpkg --remove takes the program and the unit, and keeps
// the state, the user and the settings, so that installing again serves
// the same database.
func checkRemoved(t *testing.T) {
	for _, gone := range []string{binPath, unitPath} {
		if _, err := os.Lstat(gone); !os.IsNotExist(err) {
			t.Errorf("after dpkg --remove, %s is still there (%v)", gone, err)
		}
	}
	for _, kept := range []string{stateDir + "/mint.db", stateDir + "/mint.db.key", envPath} {
		if _, err := os.Stat(kept); err != nil {
			t.Errorf("dpkg --remove deleted %s: %v", kept, err)
		}
	}
	if _, err := user.Lookup("mint"); err != nil {
		t.Errorf("dpkg --remove deleted the user mint: %v", err)
	}
}

// checkPurged: after dpkg --purge nothing of mint is left.
func checkPurged(t *testing.T, ctx context.Context) {
	for _, gone := range []string{binPath, unitPath, envPath, stateDir, docDir} {
		if _, err := os.Lstat(gone); !os.IsNotExist(err) {
			t.Errorf("after dpkg --purge, %s is still there (%v)", gone, err)
		}
	}
	if _, err := user.Lookup("mint"); err == nil {
		t.Error("after dpkg --purge, the user mint is still there")
	}
	if _, err := user.LookupGroup("mint"); err == nil {
		t.Error("after dpkg --purge, the group mint is still there")
	}
	if out, _ := exec.CommandContext(ctx, "dpkg-query", "-W", "-f", "${Status}", "mint").Output(); len(out) > 0 && !strings.Contains(string(out), "not-installed") {
		t.Errorf("after dpkg --purge, dpkg-query says %q", out)
	}
}

func wantMode(t *testing.T, path string, mode fs.FileMode, uid int) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Error(err)
		return
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode() != mode || int(st.Uid) != uid || int(st.Gid) != gidFor(uid) {
		t.Errorf("%s: mode %v, owner %d:%d; want mode %v, owner %d:%d", path, fi.Mode(), st.Uid, st.Gid, mode, uid, gidFor(uid))
	}
}

// gidFor is root's group for root, else the user's own group (mint's
// files are mint:mint).
func gidFor(uid int) int {
	if uid == 0 {
		return 0
	}
	u, err := user.LookupId(strconv.Itoa(uid))
	if err != nil {
		return -1
	}
	gid, _ := strconv.Atoi(u.Gid)
	return gid
}

func uidOf(u *user.User) int {
	uid, _ := strconv.Atoi(u.Uid)
	return uid
}

// run runs a command within limit, and fails the test with its output
// when it fails.
func run(t *testing.T, ctx context.Context, limit time.Duration, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	t.Logf("%s %s:\n%s", filepath.Base(name), strings.Join(args, " "), out)
}

// dpkgQuiet is the cleanup's purge: best effort, bounded.
func dpkgQuiet(args ...string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	exec.CommandContext(ctx, "dpkg", args...).Run()
}

// repoRoot is the directory of mint's go.mod.
func repoRoot(t *testing.T) string {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || !strings.HasSuffix(strings.TrimSpace(string(out)), "go.mod") {
		t.Fatalf("go env GOMOD: %v %s", err, out)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}
