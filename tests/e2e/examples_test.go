package e2e_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/server"
)

// The example programs, built as a user would build them, run against a
// real mint: the cargo API binary checks tokens, the cargo client binary
// gets one token and makes its calls with it.
func TestExamplePrograms(t *testing.T) {
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin+string(filepath.Separator), "./examples/...")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./examples/...: %v\n%s", err, out)
	}
	m := startMint(t, server.Config{})
	partner := dataloy(t, m, 86400)
	apiURL := startCargoAPIProgram(t, filepath.Join(bin, "cargo-api"), "--addr", "127.0.0.1:0", "--issuer", m.URL)

	before := m.TokenRequests()
	client := exec.Command(filepath.Join(bin, "cargo-client"), "-n", "25", "--api", apiURL+seedQuery)
	client.Env = append(os.Environ(),
		"MINT_TOKEN_URL="+partner.TokenURL,
		"PARTNER_CLIENT_ID="+partner.ClientID,
		"PARTNER_CLIENT_SECRET="+partner.ClientSecret)
	var stdout, stderr bytes.Buffer
	client.Stdout, client.Stderr = &stdout, &stderr
	if err := client.Run(); err != nil {
		t.Fatalf("cargo-client: %v\n%s%s", err, stdout.String(), stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 26 {
		t.Fatalf("cargo-client printed %d lines, want 26:\n%s", len(lines), stdout.String())
	}
	for i, l := range lines[:25] {
		if want := fmt.Sprintf("call %d: 200 OK", i+1); l != want {
			t.Errorf("line %d = %q, want %q", i+1, l, want)
		}
	}
	if got, want := lines[25], "25 calls, 1 token request"; got != want {
		t.Errorf("last line = %q, want %q", got, want)
	}
	if got := m.TokenRequests() - before; got != 1 {
		t.Errorf("mint saw %d token requests, want 1", got)
	}

	t.Run("client without credentials", func(t *testing.T) {
		cmd := exec.Command(filepath.Join(bin, "cargo-client"))
		cmd.Env = []string{"MINT_TOKEN_URL=" + partner.TokenURL}
		out, err := cmd.CombinedOutput()
		if code := exitCode(err); code != 1 || string(out) != "cargo-client: set PARTNER_CLIENT_ID and PARTNER_CLIENT_SECRET\n" {
			t.Errorf("exit %d, output %q", code, out)
		}
	})
	t.Run("client with a wrong secret", func(t *testing.T) {
		cmd := exec.Command(filepath.Join(bin, "cargo-client"), "-n", "1", "--api", apiURL+seedQuery)
		cmd.Env = []string{"MINT_TOKEN_URL=" + partner.TokenURL,
			"PARTNER_CLIENT_ID=" + partner.ClientID, "PARTNER_CLIENT_SECRET=wrong"}
		out, err := cmd.CombinedOutput()
		if code := exitCode(err); code != 1 || !strings.Contains(string(out), "invalid_client") {
			t.Errorf("exit %d, output %q; want 1 and mint's invalid_client", code, out)
		}
	})
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// startCargoAPIProgram runs the cargo-api binary and returns its URL, read
// from its "cargo API listening" log line.
func startCargoAPIProgram(t *testing.T, path string, args ...string) string {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Env = []string{} // flags only
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	addr := make(chan string, 1)
	var log bytes.Buffer
	go func() {
		listening := regexp.MustCompile(`msg="cargo API listening" addr=(\S+)`)
		sc := bufio.NewScanner(io.TeeReader(stderr, &log))
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("cargo-api after SIGTERM: %v", err)
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Error("cargo-api ignored SIGTERM")
		}
	})
	select {
	case a := <-addr:
		return "http://" + a
	case err := <-exited:
		exited <- err
		t.Fatalf("cargo-api exited: %v\n%s", err, log.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("cargo-api did not start")
	}
	return ""
}
