package main_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSeedRubySnippetOverTLS runs seed 002's Ruby snippet, verbatim but
// for the host and credentials, against mint serve --tls-cert/--tls-key
// with a self-signed certificate. The snippet sets use_ssl and verifies
// the peer (Net::HTTP's default); Ruby trusts the certificate through
// SSL_CERT_FILE, which OpenSSL reads: environment, not a code change.
func TestSeedRubySnippetOverTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	pool := selfSigned(t, certFile, keyFile)
	old := http.DefaultClient
	http.DefaultClient = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	t.Cleanup(func() { http.DefaultClient = old })

	m := startMint(t, []string{"MINT_BOOTSTRAP_CLIENT_ID=" + adminID, "MINT_BOOTSTRAP_CLIENT_SECRET=" + adminSecret},
		"--tls-cert", certFile, "--tls-key", keyFile)
	base := "https://" + strings.TrimPrefix(m.URL, "http://")
	admin := getToken(t, base+"/oauth/token", map[string]string{
		"client_id": adminID, "client_secret": adminSecret, "audience": "urn:mint:admin"}).AccessToken
	const audience = "https://partner.example"
	id, secret := newPartner(t, base, admin, audience)
	script := fillSnippet(t, "002-ruby.rb", map[string]string{
		"https://<<api_base_path>>": "{base}", "<<client_id>>": "{id}", "<<client_secret>>": "{secret}"},
		map[string]string{"{base}": base, "{id}": id, "{secret}": secret})
	// Without the certificate trusted, Ruby refuses the connection: the
	// snippet verifies the peer.
	if out, err := exec.Command("ruby", script).CombinedOutput(); err == nil || !strings.Contains(string(out), "certificate verify failed") {
		t.Fatalf("Ruby connected without trusting the certificate (err %v):\n%s", err, out)
	}
	t.Setenv("SSL_CERT_FILE", certFile)
	out := runSnippet(t, "ruby", script)
	token := ""
	for line := range strings.Lines(out) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "access_token "); ok {
			token = v
		}
	}
	if token == "" || !strings.Contains(out, "expired in ") {
		t.Fatalf("the Ruby snippet printed no access token:\n%s", out)
	}
	if c := verify(t, base, token); c["aud"] != audience || c["azp"] != id || !strings.HasPrefix(c["iss"].(string), "https://") {
		t.Errorf("claims = %v, want aud %s for client %s from an https issuer", c, audience, id)
	}
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key,
// and returns a pool that trusts it.
func selfSigned(t *testing.T, certFile, keyFile string) *x509.CertPool {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mint test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	if os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600) != nil ||
		os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600) != nil {
		t.Fatal("cannot write the certificate")
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}
