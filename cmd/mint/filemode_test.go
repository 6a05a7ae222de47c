package main_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/mintproc"
)

// TestServeRefusesFilesOthersCanRead: `mint serve` does not start on a
// database, or with a master key file, that its group or others can read
// (SQLite would give the WAL the database's mode; the master key opens
// every signing key). It says which file and how to fix it, and leaves
// the mode alone; after chmod 600 it starts.
func TestServeRefusesFilesOthersCanRead(t *testing.T) {
	env := []string{"MINT_BOOTSTRAP_CLIENT_ID=" + adminID, "MINT_BOOTSTRAP_CLIENT_SECRET=" + adminSecret, "MINT_MASTER_KEY="}
	for _, c := range []struct {
		name  string
		loose func(dir string) string // makes one file loose, returns its path
		args  []string
	}{
		{"database", func(dir string) string { return filepath.Join(dir, "mint.db") }, nil},
		{"default key file", func(dir string) string { return filepath.Join(dir, "mint.db.key") }, nil},
		{"--master-key-file", func(dir string) string {
			return filepath.Join(dir, "master.key")
		}, []string{"--master-key-file", "master.key"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if len(c.args) > 0 {
				key := "DVwiN/4hX5eJ7SELrNjkbEwSJ7frepcUbev0DR8zdyo=\n"
				if err := os.WriteFile(filepath.Join(dir, "master.key"), []byte(key), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			args := append([]string{"--db", "mint.db"}, c.args...)
			first, err := mintproc.Start(mintBin, env, dir, args...)
			if err != nil {
				t.Fatal(err)
			}
			first.Stop(t)

			file := c.loose(dir)
			if err := os.Chmod(file, 0o644); err != nil {
				t.Fatal(err)
			}
			p, err := mintproc.Start(mintBin, env, dir, args...)
			if err == nil {
				p.Stop(t)
				t.Fatalf("mint serve started with %s readable by others", file)
			}
			if msg := err.Error(); !strings.Contains(msg, "mode 0644") || !strings.Contains(msg, "chmod 600") {
				t.Errorf("the refusal does not say what is wrong and how to fix it: %v", err)
			}
			if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o644 {
				t.Errorf("mint changed the mode of %s: %v %v", file, fi.Mode(), err)
			}

			if err := os.Chmod(file, 0o600); err != nil {
				t.Fatal(err)
			}
			p, err = mintproc.Start(mintBin, env, dir, args...)
			if err != nil {
				t.Fatalf("after chmod 600: %v", err)
			}
			p.Stop(t)
		})
	}
}
