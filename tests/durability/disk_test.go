package durability

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/sqlite"
)

// tmpfsSize is the size of the small disk the SQLite disk tests fill.
const tmpfsSize = "8m"

// smallDisk mounts a tmpfs of tmpfsSize in a temporary directory, unmounted
// when the test ends. Mounting needs root (CAP_SYS_ADMIN); without it the
// test is skipped, saying why.
func smallDisk(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+tmpfsSize, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs to fill (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes a file until the disk is full and returns its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill: %v", err)
			}
			return path
		}
	}
}

// TestSQLiteFullDisk: with the disk full, admin writes answer 503
// temporarily_unavailable JSON at once while tokens are still issued; once
// there is room again writes succeed, without a restart; the database
// passes its integrity check, and every acknowledged write is there.
func TestSQLiteFullDisk(t *testing.T) {
	t.Parallel()
	dir := smallDisk(t)
	db := filepath.Join(dir, "mint.db")
	p := startMint(t, db)
	bearer := adminToken(t, p.URL)
	const aud = "https://disk.test"
	c := newClientWithGrant(t, p.URL, bearer, aud)
	filler := fill(t, dir)

	failed := 0
	for i := range 20 {
		a, err := send(context.Background(), "POST", p.URL+"/admin/v1/clients", bearer, map[string]string{"name": "full"})
		if err != nil {
			t.Fatalf("full disk, write %d: no answer: %v", i, err)
		}
		switch {
		case a.status == 201: // a page freed inside the file may still take it
		case a.status == 503 && a.errorCode() == "temporarily_unavailable" && a.took < 5*time.Second:
			failed++
		default:
			t.Fatalf("full disk, write %d: %d %s in %v; want 503 temporarily_unavailable", i, a.status, a.body, a.took)
		}
	}
	if failed == 0 {
		t.Fatal("no write failed on the full disk: the test proved nothing")
	}
	t.Logf("full disk: %d of 20 admin writes answered 503 temporarily_unavailable", failed)
	if a, err := tokenRequest(context.Background(), p.URL, c.id, c.secret, aud); err != nil || a.status != 200 {
		t.Errorf("full disk: token request %v %d %s, want 200", err, a.status, a.body)
	}

	os.Remove(filler)
	var after struct {
		ClientID string `json:"client_id"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, err := send(context.Background(), "POST", p.URL+"/admin/v1/clients", bearer, map[string]string{"name": "room again"})
		if err == nil && a.status == 201 {
			jsonUnmarshal(a.body, &after)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("writes did not succeed once there was room: %v %d %s", err, a.status, a.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	verifyAudit(t, p.URL, bearer)
	p.Stop(t)
	if err := sqlite.IntegrityCheck(context.Background(), db); err != nil {
		t.Errorf("PRAGMA integrity_check after the full disk: %v", err)
	}
	p = startMint(t, db)
	if !listClientIDs(t, p.URL, adminToken(t, p.URL))[after.ClientID] {
		t.Errorf("the write acknowledged after the disk had room is missing")
	}
	p.Stop(t)
}

// TestSQLiteReadOnlyDisk: mint started on a database on a read-only disk
// refuses to start and says why; once the disk is writable again it serves
// the database as it was. (A disk cannot be remounted read-only under a
// running mint: Linux refuses while files are open for writing, so the
// running case is the full disk's.)
func TestSQLiteReadOnlyDisk(t *testing.T) {
	t.Parallel()
	dir := smallDisk(t)
	db := filepath.Join(dir, "mint.db")
	p := startMint(t, db)
	const aud = "https://ro.test"
	c := newClientWithGrant(t, p.URL, adminToken(t, p.URL), aud)
	p.Stop(t)
	if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount read-only: %v %s", err, out)
	}
	out, err := runMint(t, []string{"MINT_MASTER_KEY=" + masterKey}, "serve", "--addr", "127.0.0.1:0", "--metrics-addr", "off", "--db", db)
	if err == nil || !strings.Contains(out, "read-only file system") {
		t.Fatalf("mint serve on a read-only disk: %v, want a refusal naming the read-only file system:\n%s", err, out)
	}
	t.Logf("mint serve on a read-only disk: %s", lastLine(out))
	if out, err := exec.Command("mount", "-o", "remount,rw", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount read-write: %v %s", err, out)
	}
	if err := sqlite.IntegrityCheck(context.Background(), db); err != nil {
		t.Errorf("PRAGMA integrity_check: %v", err)
	}
	p = startMint(t, db)
	if a, err := tokenRequest(context.Background(), p.URL, c.id, c.secret, aud); err != nil || a.status != 200 {
		t.Errorf("token after the disk is writable again: %v %d %s", err, a.status, a.body)
	}
	p.Stop(t)
}

func lastLine(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\n' {
			return s[i+1:]
		}
	}
	return s
}
