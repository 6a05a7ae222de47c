package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"os"

	"github.com/mintauth/mint/internal/clientauth"
	"github.com/mintauth/mint/internal/token"
	"github.com/mintauth/mint/internal/tokenstate"
	"github.com/mintauth/mint/oauth"
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
// certificates: mint terminates TLS and asks for them (on its listener,
// or on the mTLS listener), or a trusted proxy passes them on.
func (s *Server) seesClientCerts() bool {
	return (s.certs != nil && (s.cfg.HTTP.TLSClientCerts || s.cfg.HTTP.TLSClientCAFile != "" || s.cfg.HTTP.MTLSListener)) ||
		(s.cfg.HTTP.ClientCertHeader != "" && len(s.cfg.HTTP.TrustedProxies) > 0)
}

// asksClientCerts reports whether Serve's listener asks TLS clients for a
// certificate: not when the mTLS listener does, so that a browser opening
// the console is never asked for one.
func (s *Server) asksClientCerts() bool {
	return !s.cfg.HTTP.MTLSListener && (s.cfg.HTTP.TLSClientCerts || s.cfg.HTTP.TLSClientCAFile != "")
}

// errMTLSNeedsTLS: the mTLS listener is TLS, with the server's certificate.
var errMTLSNeedsTLS = errors.New("the mTLS listener needs a TLS certificate and key")

// mtlsRoutes makes the mTLS listener's handler, when there is one: the
// endpoints that authenticate clients — token, introspection, revocation —
// and the probe /healthz; nothing a browser or an administrator would
// open. The handlers are the main listener's own, so limits, throttles,
// caches and the audit log are shared.
func (s *Server) mtlsRoutes(endpoint *token.Endpoint, introspection, revocation http.Handler) {
	if !s.cfg.HTTP.MTLSListener {
		return
	}
	log := s.cfg.Log
	mux := http.NewServeMux()
	for _, p := range s.cfg.TokenPaths {
		mux.Handle(p, endpoint)
	}
	mux.Handle(tokenstate.IntrospectionPath, introspection)
	mux.Handle(tokenstate.RevocationPath, revocation)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		oauth.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("/", oauth.Handle(log, func(http.ResponseWriter, *http.Request) error {
		return oauth.ErrNotFound.Describe("this listener serves the token, introspection and revocation endpoints only (RFC 8705 §5 mtls_endpoint_aliases)")
	}))
	s.mtlsHandler = withClientAddr(s.cfg.HTTP.TrustedProxies, s.traced(accessLog(log, s.quietPath, mux)))
}

// ServeMTLS serves the mTLS listener (HTTPConfig.MTLSListener) on ln until
// ctx ends, as Serve does: HTTPS with the server's certificate, asking
// every client for its certificate (not verified by the handshake: the
// token endpoint binds tokens to whatever certificate the client proves
// it holds, and checks a tls_client_auth client's chain itself). Run it
// beside Serve, which does the background work of both.
func (s *Server) ServeMTLS(ctx context.Context, ln net.Listener) error {
	if s.mtlsHandler == nil || s.certs == nil {
		ln.Close()
		return errors.New("mint: ServeMTLS without HTTPConfig.MTLSListener and a TLS certificate")
	}
	hs := httpServer(s.cfg.HTTP, s.mtlsHandler, s.cfg.Log)
	hs.TLSConfig = s.certs.tlsConfig()
	hs.TLSConfig.ClientAuth = tls.RequestClientCert
	return s.serveUntil(ctx, hs, ln, true)
}

// mtlsBase is the base URL of the endpoints mtls_endpoint_aliases names:
// the mTLS listener's, else the issuer (the one listener asks for
// certificates, or the proxy in front passes them on).
func (s *Server) mtlsBase() string {
	if s.cfg.HTTP.MTLSURL != "" {
		return s.cfg.HTTP.MTLSURL
	}
	return s.cfg.Issuer
}
