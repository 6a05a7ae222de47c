package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// writeCert writes a new self-signed certificate for 127.0.0.1 and its key
// to the files, and returns the certificate's serial number.
func writeCert(t *testing.T, certFile, keyFile string, serial int64) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "mint test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
}

// servedSerial connects over TLS and returns the serial of the
// certificate served (not verified: the test compares serials).
func servedSerial(t *testing.T, addr string, minVersion, maxVersion uint16) (int64, error) {
	conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, MinVersion: minVersion, MaxVersion: maxVersion})
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64(), nil
}

// TestCertificateReload serves TLS, replaces the certificate files, and
// checks that new connections get the new certificate within
// certCheckInterval, without a restart; that a broken pair leaves the old
// one serving; and that TLS 1.1 is refused.
func TestCertificateReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeCert(t, certFile, keyFile, 1)
	c, err := loadCertificate(certFile, keyFile, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := time.Now()
	c.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	hs := httpServer(HTTPConfig{}, http.NotFoundHandler(), slog.New(slog.DiscardHandler))
	hs.TLSConfig = c.tlsConfig()
	go hs.ServeTLS(ln, "", "")
	t.Cleanup(func() { hs.Shutdown(context.Background()) })
	addr := ln.Addr().String()

	if s, err := servedSerial(t, addr, 0, 0); err != nil || s != 1 {
		t.Fatalf("serial %d, %v; want 1", s, err)
	}
	writeCert(t, certFile, keyFile, 2)
	if s, _ := servedSerial(t, addr, 0, 0); s != 1 {
		t.Fatalf("reloaded before certCheckInterval: serial %d", s)
	}
	advance(certCheckInterval)
	if s, err := servedSerial(t, addr, 0, 0); err != nil || s != 2 {
		t.Fatalf("after the interval: serial %d, %v; want 2", s, err)
	}
	os.WriteFile(keyFile, []byte("not a key"), 0o600)
	advance(certCheckInterval)
	if s, err := servedSerial(t, addr, 0, 0); err != nil || s != 2 {
		t.Fatalf("with a broken key file: serial %d, %v; want the old certificate 2", s, err)
	}
	writeCert(t, certFile, keyFile, 3)
	advance(certCheckInterval)
	if s, err := servedSerial(t, addr, 0, 0); err != nil || s != 3 {
		t.Fatalf("after fixing the pair: serial %d, %v; want 3", s, err)
	}
	if _, err := servedSerial(t, addr, tls.VersionTLS11, tls.VersionTLS11); err == nil {
		t.Fatal("TLS 1.1 accepted")
	}
}

func TestLoadCertificateRefusesHalfAPair(t *testing.T) {
	if _, err := loadCertificate("cert.pem", "", slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("a certificate without a key was accepted")
	}
	if c, err := loadCertificate("", "", nil); c != nil || err != nil {
		t.Fatalf("no files: %v, %v; want no TLS", c, err)
	}
}

// TestWriteTimeoutCutsClientsThatDoNotRead: a client that asks for a large
// answer and never reads it holds the connection no longer than
// WriteTimeout.
func TestWriteTimeoutCutsClientsThatDoNotRead(t *testing.T) {
	done := make(chan time.Duration, 1)
	big := make([]byte, 1<<20)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		for range 256 { // 256 MiB: more than any socket buffer
			if _, err := w.Write(big); err != nil {
				break
			}
		}
		done <- time.Since(start)
	})
	hs := httpServer(HTTPConfig{WriteTimeout: time.Second}, h, slog.New(slog.DiscardHandler))
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
	select {
	case took := <-done:
		t.Logf("writing to a client that does not read stopped after %v (WriteTimeout 1s)", took.Round(time.Millisecond))
		if took > 2*time.Second {
			t.Fatalf("held %v", took)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the handler is still writing to a client that does not read after 10 s")
	}
}
