package main_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPlainHTTPOnlyOnLoopback: mint serve refuses plain HTTP on an address
// other than loopback unless told TLS is terminated in front, and says
// what to do.
func TestPlainHTTPOnlyOnLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0"} {
		t.Run(addr, func(t *testing.T) {
			cmd := exec.Command(mintBin, "serve", "--addr", addr, "--db", t.TempDir()+"/mint.db")
			out, err := cmd.CombinedOutput()
			if code := exitCode(err); code != 2 {
				t.Fatalf("exit code %d, want 2\n%s", code, out)
			}
			for _, want := range []string{"refusing to serve plain HTTP", "--tls-cert", "--tls-terminated-upstream"} {
				if !strings.Contains(string(out), want) {
					t.Errorf("message lacks %q:\n%s", want, out)
				}
			}
		})
	}
	t.Run("bad trusted proxy", func(t *testing.T) {
		out, err := exec.Command(mintBin, "serve", "--trusted-proxy", "10.0.0.0/33", "--db", t.TempDir()+"/mint.db").CombinedOutput()
		if code := exitCode(err); code != 2 || !strings.Contains(string(out), "--trusted-proxy") {
			t.Fatalf("exit code %d, want 2 naming the flag\n%s", code, out)
		}
	})
	t.Run("terminated upstream", func(t *testing.T) {
		m := startMint(t, nil, "--addr", "0.0.0.0:0", "--tls-terminated-upstream", "--trusted-proxy", "10.0.0.0/8")
		if code, _ := getStatus(t, strings.Replace(m.URL, "0.0.0.0", "127.0.0.1", 1)+"/healthz"); code != 200 {
			t.Fatalf("healthz: %d", code)
		}
	})
	t.Run("terminated upstream from the environment", func(t *testing.T) {
		m := startMint(t, []string{"MINT_TLS_TERMINATED_UPSTREAM=true"}, "--addr", "0.0.0.0:0")
		if code, _ := getStatus(t, strings.Replace(m.URL, "0.0.0.0", "127.0.0.1", 1)+"/healthz"); code != 200 {
			t.Fatalf("healthz: %d", code)
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
