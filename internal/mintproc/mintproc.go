// Package mintproc builds the mint binary and runs `mint serve` as a child
// process, for the tests that need the real thing: end to end, crashes and
// several replicas. It is for tests only.
package mintproc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Main is a TestMain: it builds cmd/mint into a temporary directory, sets
// *bin to the binary, runs the tests and removes the directory.
func Main(m *testing.M, bin *string) {
	dir, err := os.MkdirTemp("", "mint-bin")
	if err != nil {
		panic(err)
	}
	*bin = filepath.Join(dir, "mint")
	build := exec.Command("go", "build", "-o", *bin, "github.com/mintauth/mint/cmd/mint")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build mint:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Process is a running `mint serve`.
type Process struct {
	Cmd    *exec.Cmd
	URL    string        // http://127.0.0.1:PORT
	Exited chan struct{} // closed when the process has exited
	Err    error         // its exit error, once Exited is closed

	mu  sync.Mutex
	log bytes.Buffer
}

// Start runs `bin serve --addr 127.0.0.1:0 --metrics-addr 127.0.0.1:0
// --log-format json args...` (a port of its own for the metrics, so that
// processes started at once do not contend for the default one) with
// env added to this process's environment, in dir ("" for this process's),
// and waits up to a minute for its "mint serving" line. It is safe to call
// from several goroutines.
func Start(bin string, env []string, dir string, args ...string) (*Process, error) {
	args = append([]string{"serve", "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--log-format", "json"}, args...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = dir
	pipe, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	p := &Process{Cmd: cmd, Exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addr := make(chan string, 1)
	// Wait only once the log is read to its end: Wait closes the pipe, and
	// the last lines — why a process that exits at once refused to start —
	// would be lost.
	go func() {
		p.readLog(pipe, addr)
		io.Copy(io.Discard, pipe) // past a line too long to scan
		p.Err = cmd.Wait()
		close(p.Exited)
	}()
	select {
	case a := <-addr:
		p.URL = "http://" + a
		return p, nil
	case <-p.Exited:
		return nil, fmt.Errorf("mint serve exited early: %v\n%s", p.Err, p.Log())
	case <-time.After(60 * time.Second):
		p.Kill()
		return nil, fmt.Errorf("mint serve did not start\n%s", p.Log())
	}
}

func (p *Process) readLog(r io.Reader, addr chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		p.mu.Lock()
		p.log.WriteString(line + "\n")
		p.mu.Unlock()
		var rec struct{ Msg, Addr string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "mint serving" {
			addr <- rec.Addr
		}
	}
}

// Log returns what the process has written to stderr so far.
func (p *Process) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// Stop asks for a graceful shutdown (SIGTERM) and waits up to 30 s; a
// process that ignores it is killed and fails t.
func (p *Process) Stop(t testing.TB) {
	select {
	case <-p.Exited:
		return
	default:
	}
	p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.Exited:
	case <-time.After(30 * time.Second):
		p.Cmd.Process.Kill()
		t.Errorf("mint serve ignored SIGTERM")
	}
}

// Kill sends SIGKILL, as a crashed host or the OOM killer would, and waits
// up to 10 s for the process to go.
func (p *Process) Kill() error {
	if err := p.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill -9: %w", err)
	}
	select {
	case <-p.Exited:
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("the process survived SIGKILL")
	}
}
