package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/server"
)

// selfSigned writes a certificate for 127.0.0.1 and its key to dir and
// returns the two file names.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	mustDo(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mint edges test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	mustDo(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	mustDo(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	mustDo(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	mustDo(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	return certFile, keyFile
}

// trickleReader yields one byte every 50 ms until ctx ends.
type trickleReader struct{ ctx context.Context }

func (r trickleReader) Read(p []byte) (int, error) {
	select {
	case <-time.After(50 * time.Millisecond):
		p[0] = 'x'
		return 1, nil
	case <-r.ctx.Done():
		return 0, io.EOF
	}
}

// TestTLSEdges: over TLS, with HTTP/1.1 and HTTP/2, a request without a
// token is refused while its body still trickles, and a trickled token
// body is cut at BodyTimeout (1 s here; ReadTimeout is 2 minutes).
func TestTLSEdges(t *testing.T) {
	cert, key := selfSigned(t, t.TempDir())
	s := serveReal(t, server.Config{HTTP: server.HTTPConfig{TLSCertFile: cert, TLSKeyFile: key,
		BodyTimeout: time.Second, ReadTimeout: 2 * time.Minute}})
	for _, proto := range []string{"http/1.1", "h2"} {
		client := &http.Client{Timeout: answerBound, Transport: &http.Transport{
			TLSClientConfig:   &tls.Config{InsecureSkipVerify: true, NextProtos: []string{proto}},
			ForceAttemptHTTP2: proto == "h2",
		}}
		for _, c := range []struct {
			path   string
			status int
		}{
			{"/admin/v1/clients", http.StatusUnauthorized},
			{"/oauth/token", http.StatusBadRequest},
		} {
			t.Run(proto+c.path, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				req, _ := http.NewRequestWithContext(ctx, "POST", "https://"+s.addr+c.path, trickleReader{ctx})
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				start := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					t.Fatalf("no answer within %v: %v", answerBound, err)
				}
				resp.Body.Close()
				if resp.StatusCode != c.status || resp.Proto[:6] != map[string]string{"http/1.1": "HTTP/1", "h2": "HTTP/2"}[proto] {
					t.Errorf("%s %d, want %d over %s", resp.Proto, resp.StatusCode, c.status, proto)
				}
				t.Logf("%s %s: %d after %v", resp.Proto, c.path, resp.StatusCode, time.Since(start).Round(time.Millisecond))
			})
		}
	}
}
