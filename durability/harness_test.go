// Package durability holds mint's crash and fault tests (issue 8): the
// real binary is killed with SIGKILL while it acknowledges admin writes,
// its PostgreSQL is stopped and started under load, its SQLite disk fills
// up, and its backups are restored and served. It has tests only.
package durability

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var mintBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mint-durability")
	if err != nil {
		panic(err)
	}
	mintBin = filepath.Join(dir, "mint")
	build := exec.Command("go", "build", "-o", mintBin, "github.com/mintauth/mint/cmd/mint")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build mint:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Test credentials and master key of every mint started here.
const (
	adminID     = "durability-admin"
	adminSecret = "durability-admin-secret-0123456789abcdef"
	masterKey   = "DVwiN/4hX5eJ7SELrNjkbEwSJ7frepcUbev0DR8zdyo="
)

// mintProcess is a running `mint serve`.
type mintProcess struct {
	cmd    *exec.Cmd
	url    string
	mu     sync.Mutex
	logBuf bytes.Buffer
	exited chan struct{}
}

func startMint(t *testing.T, db string, args ...string) *mintProcess {
	t.Helper()
	return startMintEnv(t, []string{"MINT_MASTER_KEY=" + masterKey}, db, args...)
}

// startMintEnv starts mint serve on db with env added to the bootstrap
// client's.
func startMintEnv(t *testing.T, env []string, db string, args ...string) *mintProcess {
	t.Helper()
	args = append([]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json", "--db", db}, args...)
	cmd := exec.Command(mintBin, args...)
	cmd.Env = append(append(os.Environ(), "MINT_BOOTSTRAP_CLIENT_ID="+adminID,
		"MINT_BOOTSTRAP_CLIENT_SECRET="+adminSecret), env...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &mintProcess{cmd: cmd, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go p.readLog(pipe, addr)
	go func() { cmd.Wait(); close(p.exited) }()
	t.Cleanup(p.kill)
	select {
	case a := <-addr:
		p.url = "http://" + a
	case <-p.exited:
		t.Fatalf("mint serve exited early:\n%s", p.log())
	case <-time.After(60 * time.Second):
		t.Fatalf("mint serve did not start:\n%s", p.log())
	}
	return p
}

func (p *mintProcess) readLog(r io.Reader, addr chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		p.mu.Lock()
		p.logBuf.WriteString(line + "\n")
		p.mu.Unlock()
		var rec struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "mint serving" {
			addr <- rec.Addr
		}
	}
}

func (p *mintProcess) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logBuf.String()
}

// kill sends SIGKILL and waits for the process to go.
func (p *mintProcess) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// stop asks for a graceful shutdown (SIGTERM) and waits.
func (p *mintProcess) stop(t *testing.T) {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Errorf("mint serve ignored SIGTERM")
		p.kill()
	}
}

// client is an HTTP client whose timeout tells a hang from an answer.
var client = &http.Client{Timeout: 15 * time.Second}

// answer is one HTTP answer.
type answer struct {
	status int
	body   []byte
	took   time.Duration
}

// errorCode returns the "error" member of a JSON error answer, "" if none.
func (a answer) errorCode() string {
	var e struct{ Error string }
	json.Unmarshal(a.body, &e)
	return e.Error
}

func send(ctx context.Context, method, url, bearer string, body any) (answer, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return answer{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return answer{took: time.Since(start)}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, body: raw, took: time.Since(start)}, err
}

// must sends a request and wants the status, decoding the answer into out.
func must(t *testing.T, method, url, bearer string, body any, want int, out any) answer {
	t.Helper()
	a, err := send(context.Background(), method, url, bearer, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	if a.status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, url, a.status, want, a.body)
	}
	if out != nil {
		if err := json.Unmarshal(a.body, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, url, err, a.body)
		}
	}
	return a
}

// tokenRequest asks for a token with a client's secret.
func tokenRequest(ctx context.Context, base, id, secret, audience string) (answer, error) {
	return send(ctx, "POST", base+"/oauth/token", "", map[string]string{"grant_type": "client_credentials",
		"client_id": id, "client_secret": secret, "audience": audience})
}

// adminToken returns an admin access token of the bootstrap client.
func adminToken(t *testing.T, base string) string {
	t.Helper()
	a, err := tokenRequest(context.Background(), base, adminID, adminSecret, "urn:mint:admin")
	if err != nil || a.status != 200 {
		t.Fatalf("admin token: %v %d %s", err, a.status, a.body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal(a.body, &tok)
	return tok.AccessToken
}

// creds are a client's credentials.
type creds struct{ id, secret string }

// newClientWithGrant creates a client granted the audience (creating the
// API the first time).
func newClientWithGrant(t *testing.T, base, bearer, audience string) creds {
	t.Helper()
	send(context.Background(), "POST", base+"/admin/v1/apis", bearer, map[string]any{"name": "durability", "audience": audience})
	var c struct{ ClientID, ClientSecret string }
	a := must(t, "POST", base+"/admin/v1/clients", bearer, map[string]any{"name": "durability"}, 201, nil)
	var raw map[string]string
	json.Unmarshal(a.body, &raw)
	c.ClientID, c.ClientSecret = raw["client_id"], raw["client_secret"]
	must(t, "POST", base+"/admin/v1/grants", bearer, map[string]any{"client_id": c.ClientID, "audience": audience}, 201, nil)
	return creds{c.ClientID, c.ClientSecret}
}

// listClientIDs returns every client ID the admin API lists.
func listClientIDs(t *testing.T, base, bearer string) map[string]bool {
	t.Helper()
	var clients []struct {
		ClientID string `json:"client_id"`
	}
	must(t, "GET", base+"/admin/v1/clients", bearer, nil, 200, &clients)
	ids := map[string]bool{}
	for _, c := range clients {
		ids[c.ClientID] = true
	}
	return ids
}

// auditSubjects returns the subjects of every record of a kind.
func auditSubjects(t *testing.T, base, bearer, kind string) map[string]bool {
	t.Helper()
	subjects := map[string]bool{}
	var after int64
	for {
		var page []struct {
			Seq     int64  `json:"seq"`
			Subject string `json:"subject"`
		}
		must(t, "GET", fmt.Sprintf("%s/admin/v1/audit?kind=%s&after_seq=%d&limit=1000", base, kind, after), bearer, nil, 200, &page)
		for _, r := range page {
			subjects[r.Subject], after = true, r.Seq
		}
		if len(page) < 1000 {
			return subjects
		}
	}
}

// verifyAudit wants GET /admin/v1/audit/verify to say the chain is whole.
func verifyAudit(t *testing.T, base, bearer string) {
	t.Helper()
	var rep struct {
		OK      bool   `json:"ok"`
		Checked int    `json:"checked"`
		Problem string `json:"problem"`
	}
	must(t, "GET", base+"/admin/v1/audit/verify", bearer, nil, 200, &rep)
	if !rep.OK {
		t.Errorf("audit chain broken: %s", rep.Problem)
	}
}

// runMint runs a mint command to completion and returns its output.
func runMint(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(mintBin, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
