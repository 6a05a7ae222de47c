package hostile

import (
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/server"
	"github.com/mintauth/mint/internal/throttle"
)

// try asks for a token as id with sec, from the client address xff names
// (honoured only when the server trusts loopback), and returns the status,
// Retry-After and body.
func try(t *testing.T, base, id, sec, xff string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/oauth/token", strings.NewReader(tokenForm(id, sec)+"&audience=urn%3Amint%3Aadmin"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), string(body)
}

// TestBruteForceIsThrottled: behind a trusted proxy (loopback), an
// attacker at one address guessing the admin's secret is answered 429
// with Retry-After after 10 failures, with the same answer for a client
// that does not exist; the real admin at another address still gets its
// token; guessing over many client_ids stops at 50 per source.
func TestBruteForceIsThrottled(t *testing.T) {
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	base := serve(t, server.HTTPConfig{TrustedProxies: loopback}, throttle.Config{})
	const attacker, real = "203.0.113.9", "198.51.100.20"
	wrong := strings.Repeat("x", len(adminSecret))
	for i := range 10 {
		if code, _, _ := try(t, base, adminID, wrong, attacker); code != http.StatusUnauthorized {
			t.Fatalf("guess %d: status %d, want 401", i+1, code)
		}
		try(t, base, "no-such-client", wrong, attacker)
	}
	code, retry, known := try(t, base, adminID, wrong, attacker)
	if code != http.StatusTooManyRequests {
		t.Fatalf("11th guess: status %d, want 429", code)
	}
	if n, err := strconv.Atoi(retry); err != nil || n < 1 || n > 60 {
		t.Fatalf("Retry-After %q, want 1–60 seconds", retry)
	}
	_, _, unknown := try(t, base, "no-such-client", wrong, attacker)
	if known != unknown || !strings.Contains(known, `"error":"slow_down"`) {
		t.Fatalf("throttled answers differ or are not slow_down:\n known   %s\n unknown %s", known, unknown)
	}
	if code, _, _ := try(t, base, adminID, adminSecret, attacker); code != http.StatusTooManyRequests {
		t.Fatalf("the right secret from the throttled pair: %d, want 429 (checked before the secret)", code)
	}
	if code, _, body := try(t, base, adminID, adminSecret, real); code != http.StatusOK {
		t.Fatalf("the real client from its own address is locked out: %d %s", code, body)
	}
	// 20 failures from the attacker's source so far: about 30 more
	// client_ids fit under the source's 50 (a little more, as the bucket
	// drains at 50 a minute while the test runs).
	n := 0
	for ; n < 40; n++ {
		if code, _, _ := try(t, base, "guess-"+strconv.Itoa(n), wrong, attacker); code == http.StatusTooManyRequests {
			break
		}
	}
	if n < 30 || n > 33 {
		t.Fatalf("%d more client_ids guessed from the source before 429, want 30 (50 in all)", n)
	}
	if code, _, _ := try(t, base, adminID, adminSecret, real); code != http.StatusOK {
		t.Fatalf("the real client is locked out by the source's throttle: %d", code)
	}
}

// TestSuccessResetsThePair: a client that mistyped its secret 9 times and
// then succeeds has its 10 tries back.
func TestSuccessResetsThePair(t *testing.T) {
	base := serve(t, server.HTTPConfig{}, throttle.Config{})
	for range 9 {
		try(t, base, adminID, "wrong-secret", "")
	}
	if code, _, _ := try(t, base, adminID, adminSecret, ""); code != http.StatusOK {
		t.Fatalf("success after 9 failures: %d", code)
	}
	for i := range 10 {
		if code, _, _ := try(t, base, adminID, "wrong-secret", ""); code != http.StatusUnauthorized {
			t.Fatalf("failure %d after the success: %d, want 401", i+1, code)
		}
	}
}

// TestForwardedForFromUntrustedPeerIsIgnored: without trusted proxies, an
// attacker cannot escape the throttle (or frame another address) by
// sending X-Forwarded-For: every guess counts against its own address.
func TestForwardedForFromUntrustedPeerIsIgnored(t *testing.T) {
	base := serve(t, server.HTTPConfig{}, throttle.Config{})
	for i := range 10 {
		try(t, base, adminID, "wrong-secret", "192.0.2."+strconv.Itoa(i))
	}
	if code, _, _ := try(t, base, adminID, "wrong-secret", "192.0.2.200"); code != http.StatusTooManyRequests {
		t.Fatalf("X-Forwarded-For from an untrusted peer changed the source: %d, want 429", code)
	}
}
