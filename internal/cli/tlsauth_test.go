package cli

import (
	"strings"
	"testing"
)

// TestTLSAuthFlags: clients create and update register an RFC 8705 §2
// method through a real server, show it, remove it with "", and the
// server's refusal of a malformed DN reaches the user.
func TestTLSAuthFlags(t *testing.T) {
	h := newHarness(t)
	client := h.newClient(t, "cargo")
	r := h.run("clients", "update", client.id, "--tls-subject-dn", "CN=cargo,O=Example,C=DE")
	r.wantCode(t, exitOK)
	if !strings.Contains(r.stdout, "tls_client_auth_subject_dn") || !strings.Contains(r.stdout, "CN=cargo,O=Example,C=DE") {
		t.Fatalf("clients update shows:\n%s", r.stdout)
	}
	r = h.run("clients", "update", client.id, "--tls-subject-dn", "")
	r.wantCode(t, exitOK)
	if strings.Contains(r.stdout, "tls_client_auth") {
		t.Fatalf("after removing, clients update shows:\n%s", r.stdout)
	}
	if r := h.run("clients", "update", client.id, "--tls-subject-dn", "not a dn"); r.code == exitOK {
		t.Fatalf("a malformed DN was taken:\n%s", r.stdout)
	}
	if r := h.run("clients", "update", client.id, "--self-signed-tls"); r.code == exitOK {
		t.Fatalf("self-signed without keys was taken:\n%s", r.stdout)
	}
}
