package main_test

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestServerCommandsHelp: the commands this binary adds have the help of
// every other command: on stdout, exit 0, --long flags, and reached by
// `mint help NAME` too.
func TestServerCommandsHelp(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"serve", "--help"}, []string{"usage: mint serve", "--addr", "--db"}},
		{[]string{"serve", "-h"}, []string{"usage: mint serve"}},
		{[]string{"help", "serve"}, []string{"usage: mint serve", "--addr"}},
		{[]string{"gateway", "--help"}, []string{"usage: mint gateway", "--listen", "--audience"}},
		{[]string{"bench", "--help"}, []string{"usage: mint bench", "--duration"}},
		{[]string{"backup", "--help"}, []string{"usage: mint backup", "--out"}},
		{[]string{"help"}, []string{"mint serve", "mint gateway", "mint bench", "mint backup", "mint audit"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			cmd := exec.Command(mintBin, tt.args...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil || stderr.Len() > 0 {
				t.Fatalf("exit: %v, stderr: %s", err, stderr.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(string(out), "Usage of") || strings.Contains(string(out), "\n  -addr") {
				t.Errorf("Go's raw flag usage:\n%s", out)
			}
		})
	}
	t.Run("single-dash long flags still read", func(t *testing.T) {
		dir := t.TempDir()
		out, err := exec.Command(mintBin, "backup", "-db", filepath.Join(dir, "missing.db"), "-out", filepath.Join(dir, "copy.db")).CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.HasPrefix(string(out), "mint backup:") {
			t.Errorf("mint backup -db … -out …: %v, want exit 1 from the backup itself\n%s", err, out)
		}
	})
	t.Run("serve takes no arguments", func(t *testing.T) {
		out, err := exec.Command(mintBin, "serve", "extra").CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 {
			t.Errorf("mint serve extra: %v, want exit 2\n%s", err, out)
		}
	})
}
