package durability

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// auditWithin bounds how long the audit records of tokens issued on a full
// disk may take to be written once there is room.
const auditWithin = 30 * time.Second

// TestSQLiteFullDiskLosesNoAuditRecord (issue 20): tokens issued while the
// disk is full are all in the audit log once there is room again, with the
// chain whole — both when mint keeps running and when it is stopped while
// the disk is full (the records then wait in the spill file, here on
// another disk, and the next run writes them). Admin writes meanwhile
// answer 503 with a message that says why.
func TestSQLiteFullDiskLosesNoAuditRecord(t *testing.T) {
	t.Parallel()
	dir := smallDisk(t)
	db := filepath.Join(dir, "mint.db")
	spill := []string{"--audit-spill", filepath.Join(t.TempDir(), "audit-spill")}
	p := startMint(t, db, spill...)
	bearer := adminToken(t, p.URL)
	const aud = "https://disk-audit.test"
	c := newClientWithGrant(t, p.URL, bearer, aud)

	// Running through the full disk.
	filler := fill(t, dir)
	want := issueTokens(t, p.URL, c, aud, 30)
	a := must(t, "POST", p.URL+"/admin/v1/clients", bearer, map[string]string{"name": "full"}, 503, nil)
	var e struct {
		ErrorDescription string `json:"error_description"`
	}
	json.Unmarshal(a.body, &e)
	if a.errorCode() != "temporarily_unavailable" || !strings.Contains(e.ErrorDescription, "disk is full") {
		t.Errorf("admin write on a full disk: %s; want temporarily_unavailable saying why", a.body)
	}
	t.Logf("admin write on a full disk: 503 %q", e.ErrorDescription)
	time.Sleep(1500 * time.Millisecond) // a flush fails, and the records go to the spill file
	os.Remove(filler)
	waitForAudit(t, p.URL, bearer, want)

	// Stopped while the disk is full, started once it has room.
	filler = fill(t, dir)
	more := issueTokens(t, p.URL, c, aud, 30)
	time.Sleep(1500 * time.Millisecond)
	p.Stop(t)
	if !strings.Contains(p.Log(), "audit") {
		t.Logf("mint's log said nothing of the audit records it kept:\n%s", p.Log())
	}
	os.Remove(filler)
	p = startMint(t, db, spill...)
	bearer = adminToken(t, p.URL)
	waitForAudit(t, p.URL, bearer, append(want, more...))
	verifyAudit(t, p.URL, bearer)
	p.Stop(t)
}

// TestSQLiteFullDiskSpillOnTheSameDisk: with the spill file in its default
// place, beside the database on the disk that is full, the records wait in
// its memory part while the file cannot grow, and are all written once
// there is room, mint running throughout.
func TestSQLiteFullDiskSpillOnTheSameDisk(t *testing.T) {
	t.Parallel()
	dir := smallDisk(t)
	db := filepath.Join(dir, "mint.db")
	p := startMint(t, db)
	bearer := adminToken(t, p.URL)
	const aud = "https://disk-spill.test"
	c := newClientWithGrant(t, p.URL, bearer, aud)
	if _, err := os.Stat(db + ".audit-spill"); err != nil {
		t.Fatalf("no spill file beside the database: %v", err)
	}
	filler := fill(t, dir)
	topUp := fillPages(t, dir)
	want := issueTokens(t, p.URL, c, aud, 30)
	time.Sleep(2500 * time.Millisecond) // flushes fail, the spill file cannot be written
	want = append(want, issueTokens(t, p.URL, c, aud, 30)...)
	time.Sleep(1500 * time.Millisecond)
	if !strings.Contains(p.Log(), "audit spill sync failed") {
		t.Fatalf("the spill file was written on the full disk: the test proved nothing\n%s", p.Log())
	}
	os.Remove(filler)
	os.Remove(topUp)
	waitForAudit(t, p.URL, bearer, want)
	verifyAudit(t, p.URL, bearer)
	p.Stop(t)
}

// fillPages fills what fill's 64 KiB chunks left, a page at a time, so that
// not even a small write finds room.
func fillPages(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler-pages")
	f, err := os.Create(path)
	if err != nil && !errors.Is(err, syscall.ENOSPC) {
		t.Fatal(err)
	}
	if f == nil {
		return path
	}
	defer f.Close()
	page := make([]byte, 4096)
	for {
		if _, err := f.Write(page); err != nil {
			return path
		}
	}
}

// issueTokens asks for n tokens, each of which must be issued, and
// returns their "jti"s.
func issueTokens(t *testing.T, base string, c creds, aud string, n int) []string {
	t.Helper()
	var jtis []string
	for i := range n {
		a, err := tokenRequest(context.Background(), base, c.id, c.secret, aud)
		if err != nil || a.status != 200 {
			t.Fatalf("token %d on a full disk: %v %d %s; want 200", i, err, a.status, a.body)
		}
		jtis = append(jtis, tokenJTI(t, a.body))
	}
	return jtis
}

func tokenJTI(t *testing.T, body []byte) string {
	t.Helper()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal(body, &tok)
	parts := strings.Split(tok.AccessToken, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %s", body)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims struct {
		JTI string `json:"jti"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.JTI == "" {
		t.Fatalf("no jti in %s", payload)
	}
	return claims.JTI
}

// waitForAudit waits until every jti has its token.issued record.
func waitForAudit(t *testing.T, base, bearer string, jtis []string) {
	t.Helper()
	deadline := time.Now().Add(auditWithin)
	for {
		have := auditSubjects(t, base, bearer, "token.issued")
		var missing []string
		for _, j := range jtis {
			if !have[j] {
				missing = append(missing, j)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d tokens issued on the full disk have no audit record %v after there was room", len(missing), len(jtis), auditWithin)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
