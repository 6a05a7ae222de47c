package gateway

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"strconv"

	"github.com/mintauth/mint/internal/tlspolicy"
)

// TLSConfig is the gateway's own TLS: with a certificate it serves HTTPS,
// and asks every client for its certificate (not verified: RFC 8705 §3
// binding needs only that the client proves it holds the certificate's
// key, which the handshake does), so that a token bound to a client
// certificate (cnf.x5t#S256) is checked against the connection's.
type TLSConfig struct {
	// CertFile and KeyFile are the PEM certificate (chain) and key the
	// gateway serves HTTPS with: --tls-cert, --tls-key
	// (MINT_GATEWAY_TLS_CERT, MINT_GATEWAY_TLS_KEY). Loaded at start.
	CertFile, KeyFile string
	// NoClientCerts keeps the gateway from asking for client certificates
	// (--tls-client-certs=false, MINT_GATEWAY_TLS_CLIENT_CERTS=false): for
	// an API browsers call, which would prompt their users. Certificate-
	// bound tokens are then refused, unless a proxy passes the certificate
	// on (DPoPConfig.CertHeader).
	NoClientCerts bool
}

// tlsFlags defines --tls-cert, --tls-key and --tls-client-certs.
func (o *Options) tlsFlags(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&o.TLS.CertFile, "tls-cert", getenv("MINT_GATEWAY_TLS_CERT"),
		"serve HTTPS with this PEM certificate (chain) (MINT_GATEWAY_TLS_CERT)")
	fs.StringVar(&o.TLS.KeyFile, "tls-key", getenv("MINT_GATEWAY_TLS_KEY"), "the PEM private key of --tls-cert (MINT_GATEWAY_TLS_KEY)")
	if v := getenv("MINT_GATEWAY_TLS_CLIENT_CERTS"); v != "" {
		ask, err := strconv.ParseBool(v)
		if err != nil {
			o.tlsErr = fmt.Errorf("MINT_GATEWAY_TLS_CLIENT_CERTS: %w", err)
		}
		o.TLS.NoClientCerts = err == nil && !ask
	}
	fs.Var(askFlag{&o.TLS}, "tls-client-certs", "with --tls-cert, ask clients for a certificate, for certificate-bound tokens (RFC 8705); default true (MINT_GATEWAY_TLS_CLIENT_CERTS)")
}

// askFlag is --tls-client-certs, the opposite of TLSConfig.NoClientCerts.
type askFlag struct{ c *TLSConfig }

func (f askFlag) IsBoolFlag() bool { return true }

func (f askFlag) String() string { return strconv.FormatBool(f.c == nil || !f.c.NoClientCerts) }

func (f askFlag) Set(v string) error {
	ask, err := strconv.ParseBool(v)
	f.c.NoClientCerts = !ask
	return err
}

func (c TLSConfig) check() error {
	if (c.CertFile == "") != (c.KeyFile == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	return nil
}

// serverConfig loads the certificate and returns the TLS config to serve
// with; nil without TLS.
func (c TLSConfig) serverConfig() (*tls.Config, error) {
	if c.CertFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("gateway: TLS certificate: %w", err)
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, CipherSuites: tlspolicy.Suites, Certificates: []tls.Certificate{cert}}
	if !c.NoClientCerts {
		cfg.ClientAuth = tls.RequestClientCert
	}
	return cfg, nil
}
