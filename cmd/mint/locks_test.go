package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/proclocks"
)

// TestCommandsKeepTheServersLocks guards issue 13 part 2 across mint's
// commands: `mint serve` runs in this process on a SQLite file, and
// `mint backup` and `mint audit verify --db` run in the same process on
// the same file, as do outside sqlite3 shells. After the server starts
// and after each command, every POSIX lock the server's SQLite held on the
// file must still be held: a command that opened and closed its own
// descriptor on the file would drop them all (closing any descriptor drops
// a process's locks on that file), and an outside reader would then
// delete the WAL under the server.
func TestCommandsKeepTheServersLocks(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "mint.db")
	ctx, cancel := context.WithCancel(context.Background())
	log := &syncBuffer{}
	served := make(chan int, 1)
	getenv := func(k string) string {
		return map[string]string{
			"MINT_BOOTSTRAP_CLIENT_ID":     "locks-admin",
			"MINT_BOOTSTRAP_CLIENT_SECRET": "locks-admin-secret-0123456789abcdef",
		}[k]
	}
	go func() {
		served <- serve(ctx, []string{"--addr", "127.0.0.1:0", "--metrics-addr", "off", "--db", db}, getenv, log)
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-served; code != 0 {
			t.Errorf("mint serve exited %d:\n%s", code, log)
		}
	})
	for deadline := time.Now().Add(time.Minute); !strings.Contains(log.String(), "mint serving"); {
		select {
		case code := <-served:
			served <- code
			t.Fatalf("mint serve exited %d:\n%s", code, log)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("mint serve did not start:\n%s", log)
		}
	}

	held := func() []proclocks.Lock {
		t.Helper()
		locks, err := proclocks.Held(os.Getpid(), db)
		if errors.Is(err, proclocks.ErrUnsupported) {
			t.Skip(err)
		}
		if err != nil {
			t.Fatal(err)
		}
		return locks
	}
	baseline := held()
	if len(baseline) == 0 {
		t.Fatal("the serving mint holds no POSIX lock on its database file: starting dropped them")
	}
	shell, _ := exec.LookPath("sqlite3")
	steps := []struct {
		name string
		run  func(i int) error
	}{
		{"mint backup", func(i int) error {
			return command(ctx, "backup", "--db", db, "--out", filepath.Join(dir, fmt.Sprintf("copy-%d.db", i)))
		}},
		{"mint audit verify --db", func(int) error { return command(ctx, "audit", "verify", "--db", db) }},
		{"mint audit verify --db sqlite:", func(int) error { return command(ctx, "audit", "verify", "--db", "sqlite:"+db) }},
		{"sqlite3 shell", func(int) error {
			if shell == "" {
				return nil // the in-process steps are the point here; tests/durability/ requires the shell
			}
			out, err := exec.Command(shell, "-cmd", ".timeout 10000", db, "select count(*) from clients").CombinedOutput()
			if err != nil {
				return fmt.Errorf("%v: %s", err, out)
			}
			return nil
		}},
	}
	for i := range 2 {
		for _, s := range steps {
			if err := s.run(i); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if missing := proclocks.Missing(baseline, held()); len(missing) > 0 {
				t.Fatalf("%s dropped the server's locks %v on its database file", s.name, missing)
			}
			if _, err := os.Stat(db + "-wal"); err != nil {
				t.Fatalf("after %s the server's WAL is gone: %v", s.name, err)
			}
		}
	}
}

// command runs one mint command line in this process and wants exit 0.
func command(ctx context.Context, args ...string) error {
	var out bytes.Buffer
	var code int
	switch args[0] {
	case "backup":
		code = backupCmd(ctx, args[1:], &out, &out)
	case "audit":
		code = auditCmd(ctx, args[1:], func(string) string { return "" }, &out, &out)
	}
	if code != 0 {
		return fmt.Errorf("exit %d: %s", code, out.String())
	}
	return nil
}

// syncBuffer is a bytes.Buffer safe for the server's log and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

var _ io.Writer = (*syncBuffer)(nil)

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
