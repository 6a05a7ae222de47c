package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeTLSClientAuthFlags: the RFC 8705 flags refuse the
// combinations that would silently do nothing or trust anyone: a client
// CA with no way to see certificates, a certificate header without the
// proxies it is trusted from, a CA file without a certificate, an mTLS
// listener without TLS, an mTLS URL that is not an https origin.
func TestServeTLSClientAuthFlags(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-client-ca", notPEM}, "--tls-client-ca"},
		{[]string{"--client-cert-header", "Client-Cert"}, "--trusted-proxy"},
		{[]string{"--client-cert-header", "Client-Cert", "--trusted-proxy", "127.0.0.1", "--tls-client-ca", notPEM}, "client CAs"},
		{[]string{"--mtls-addr", "127.0.0.1:0"}, "--mtls-addr needs --tls-cert"},
		{[]string{"--mtls-url", "http://mtls.example"}, "--mtls-url"},
		{[]string{"--mtls-url", "https://mtls.example/oauth"}, "--mtls-url"},
	} {
		// No listener but the token server's own, on a free port: another
		// process may hold the default metrics port.
		args := append([]string{"serve", "--addr", "127.0.0.1:0", "--metrics-addr", "off", "--db", filepath.Join(t.TempDir(), "mint.db")}, tt.args...)
		out, err := exec.Command(mintBin, args...).CombinedOutput()
		if code := exitCode(err); code == 0 || !strings.Contains(string(out), tt.want) {
			t.Errorf("%v: exit %d, want non-zero naming %q\n%s", tt.args, code, tt.want, out)
		}
	}
}
