package server

import (
	"crypto/x509"
	"errors"
	"net/http"
	"os"

	"github.com/mintauth/mint/internal/clientauth"
	"github.com/mintauth/mint/internal/token"
)

// peerKey is the context key of the TCP peer's address when
// withClientAddr replaced r.RemoteAddr with the X-Forwarded-For client:
// a proxy's certificate header is trusted from the peer, never from an
// address a header named.
type peerKey struct{}

// peerAddr is the address of the connection's other end.
func peerAddr(r *http.Request) string {
	if p, ok := r.Context().Value(peerKey{}).(string); ok {
		return p
	}
	return r.RemoteAddr
}

// tlsClientAuth sets up RFC 8705 §2 client authentication: the CAs of
// tls_client_auth, and the proxy certificate header.
func (s *Server) tlsClientAuth(auth *clientauth.Authenticator, e *token.Endpoint) {
	auth.ClientCAs = s.clientCAs
	if s.cfg.HTTP.ClientCertHeader != "" {
		e.ClientCertHeader, e.CertProxies = s.cfg.HTTP.ClientCertHeader, s.cfg.HTTP.TrustedProxies
		e.PeerAddr = peerAddr
	}
}

var errNoCAs = errors.New("no PEM certificate in the file")

// loadClientCAs reads HTTPConfig.TLSClientCAFile; nil when unset.
func loadClientCAs(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errNoCAs
	}
	return pool, nil
}

// seesClientCerts reports whether the token endpoint can see client
// certificates: mint terminates TLS and asks for them, or a trusted
// proxy passes them on.
func (s *Server) seesClientCerts() bool {
	return (s.certs != nil && (s.cfg.HTTP.TLSClientCerts || s.cfg.HTTP.TLSClientCAFile != "")) ||
		(s.cfg.HTTP.ClientCertHeader != "" && len(s.cfg.HTTP.TrustedProxies) > 0)
}
