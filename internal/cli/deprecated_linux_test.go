package cli

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal and returns its two ends.
func openPTY(t *testing.T) (primary, replica *os.File) {
	t.Helper()
	p, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	if err := unix.IoctlSetPointerInt(int(p.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(p.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("ptsname: %v", err)
	}
	r, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open the replica: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return p, r
}

// TestDeprecatedClientIDWarns: the old --client-id of grants create still
// names the grant's client, and a person at a terminal is told to use
// --client; a script's stderr (not a terminal) stays as it was.
func TestDeprecatedClientIDWarns(t *testing.T) {
	h := newHarness(t)
	h.run("apis", "create", "--name", "A", "--audience", "https://a").wantCode(t, exitOK)
	client := h.newClient(t, "c")
	env := map[string]string{"MINT_SERVER": h.url, "MINT_CLIENT_ID": h.admin.id, "MINT_CLIENT_SECRET": h.admin.secret}
	getenv := func(k string) string { return env[k] }

	r := h.run("grants", "list", "--client-id", client.id)
	r.wantCode(t, exitOK)
	if r.stderr != "" {
		t.Errorf("stderr of a script: %q, want nothing", r.stderr)
	}

	primary, replica := openPTY(t)
	var stdout bytes.Buffer
	code := Main(context.Background(), []string{"grants", "create", "--client-id", client.id, "--audience", "https://a"},
		getenv, strings.NewReader(""), &stdout, replica, Extensions{})
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(stdout.String(), client.id) {
		t.Errorf("the grant is not for the --client-id given:\n%s", stdout.String())
	}
	replica.WriteString("END\n") // so that the read below returns even when nothing was written
	var seen strings.Builder
	buf := make([]byte, 4096)
	for !strings.Contains(seen.String(), "END") {
		n, err := primary.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		seen.Write(buf[:n])
	}
	if got := seen.String(); !strings.Contains(got, "--client-id here is deprecated") || !strings.Contains(got, "use --client") {
		t.Errorf("terminal got %q, want the deprecation warning", got)
	}
}
