package server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/mintauth/mint/internal/keycheck"
	"github.com/mintauth/mint/internal/tlspolicy"
)

// certCheckInterval is how often, at most, a TLS handshake looks at the
// certificate files for a change.
const certCheckInterval = 5 * time.Second

// certificate holds the TLS certificate and reloads it when its files
// change: a handshake checks the files' size and modification time at
// most every certCheckInterval, and a changed pair that does not load is
// logged at Error while the old one goes on serving.
type certificate struct {
	certFile, keyFile string
	log               *slog.Logger
	now               func() time.Time

	mu        sync.Mutex
	cert      *tls.Certificate
	stamp     string // size and mtime of both files, when loaded
	checkedAt time.Time
}

// loadCertificate loads the pair, or returns nil when neither file is
// named.
func loadCertificate(certFile, keyFile string, log *slog.Logger) (*certificate, error) {
	if certFile == "" && keyFile == "" {
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, fmt.Errorf("TLS needs both a certificate and a key file")
	}
	c := &certificate{certFile: certFile, keyFile: keyFile, log: log, now: time.Now}
	if err := c.reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// tlsConfig serves c's certificate: TLS 1.3, or TLS 1.2 with tlspolicy.Suites.
func (c *certificate) tlsConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, CipherSuites: tlspolicy.Suites, GetCertificate: c.get}
}

func (c *certificate) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if now := c.now(); now.Sub(c.checkedAt) >= certCheckInterval {
		c.checkedAt = now
		if s, err := c.fileStamp(); err == nil && s != c.stamp {
			if err := c.reloadLocked(); err != nil {
				c.log.Error("TLS certificate not reloaded; still serving the previous one",
					"cert", c.certFile, "key", c.keyFile, "error", err)
				c.stamp = s // do not retry until the files change again
			}
		}
	}
	return c.cert, nil
}

func (c *certificate) reload() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checkedAt = c.now()
	return c.reloadLocked()
}

func (c *certificate) reloadLocked() error {
	stamp, err := c.fileStamp()
	if err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("TLS certificate: %w", err)
	}
	if err := checkLeaf(&cert, c.certFile); err != nil {
		return err
	}
	if c.cert != nil {
		c.log.Info("TLS certificate reloaded", "cert", c.certFile)
	}
	c.cert, c.stamp = &cert, stamp
	return nil
}

// fileStamp names the current version of both files.
func (c *certificate) fileStamp() (string, error) {
	stamp := ""
	for _, name := range []string{c.certFile, c.keyFile} {
		fi, err := os.Stat(name)
		if err != nil {
			return "", fmt.Errorf("TLS certificate: %w", err)
		}
		stamp += fmt.Sprintf("%d/%d;", fi.Size(), fi.ModTime().UnixNano())
	}
	return stamp, nil
}

// checkLeaf refuses a certificate whose own key is weak (RSA below 2048
// bits, a curve below P-256, any key keycheck refuses): the name is what a
// client trusts, and the key is all that guards it. The chain above it is
// the clients' to judge.
func checkLeaf(cert *tls.Certificate, certFile string) error {
	leaf := cert.Leaf
	if leaf == nil {
		var err error
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return fmt.Errorf("TLS certificate %s: %w", certFile, err)
		}
	}
	if err := keycheck.Public(leaf.PublicKey); err != nil {
		return fmt.Errorf("TLS certificate %s (subject %q) has a key mint refuses: %w", certFile, leaf.Subject.String(), err)
	}
	return nil
}
