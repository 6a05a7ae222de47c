package bearer

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ErrCertificate: a certificate-bound token (RFC 8705 §3, cnf.x5t#S256)
// came over a connection without that client certificate.
var ErrCertificate = errors.New("bearer: token bound to a client certificate this request did not present")

// certSource is where the middleware finds the client certificate of a
// request: the TLS connection's, or a header set by a proxy that
// terminates TLS, trusted from its addresses only.
type certSource struct {
	header  string
	proxies []netip.Prefix
}

// WithClientCertHeader takes the client certificate from header when the
// request comes from one of proxies (a TLS-terminating proxy that sets it,
// and removes any the client sent): the RFC 9440 form ":BASE64-DER:", or
// the base64 DER alone. From any other address the header is ignored, so
// a forged one proves nothing, and it is removed before the request
// reaches the handler, which could otherwise take it for the proxy's. A
// certificate of the request's own TLS connection is used first.
//
// The proxy is recognised by r.RemoteAddr, which must then be the TCP
// peer's address: a middleware that rewrites it from X-Forwarded-For
// (chi's RealIP, gorilla's ProxyHeaders) placed before this one would let
// any caller pass for the proxy and forge the certificate.
func WithClientCertHeader(header string, proxies ...netip.Prefix) Option {
	return func(r *responder) { r.certs = certSource{header: header, proxies: proxies} }
}

// clientCert returns the request's client certificate, or nil.
func (s certSource) clientCert(r *http.Request) *x509.Certificate {
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		return r.TLS.PeerCertificates[0]
	}
	return ProxiedClientCert(r, s.header, s.proxies)
}

// ProxiedClientCert returns the client certificate a TLS-terminating
// proxy passed on in header, or nil: when the request came from one of
// proxies, in the forms WithClientCertHeader takes. mint's token endpoint
// reads it the same way.
func ProxiedClientCert(r *http.Request, header string, proxies []netip.Prefix) *x509.Certificate {
	s := certSource{header: header, proxies: proxies}
	if s.header == "" || !s.fromProxy(r.RemoteAddr) {
		return nil
	}
	values := r.Header.Values(s.header)
	if len(values) != 1 {
		return nil
	}
	der, err := base64.StdEncoding.DecodeString(strings.Trim(strings.TrimSpace(values[0]), ":"))
	if err != nil {
		return nil
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil
	}
	return cert
}

// dropForged removes the certificate header from a request that did not
// come from a trusted proxy, so that what the handler reads is only ever
// what a proxy set.
func (s certSource) dropForged(r *http.Request) {
	if s.header != "" && !s.fromProxy(r.RemoteAddr) {
		r.Header.Del(s.header)
	}
}

// fromProxy reports whether remote (host:port) is a trusted proxy's.
func (s certSource) fromProxy(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return false
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range s.proxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// CertThumbprint is the x5t#S256 of cert (RFC 8705 §3.1): the base64url
// SHA-256 of its DER.
func CertThumbprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// checkCertBinding refuses a certificate-bound token unless the request
// presented that certificate.
func (rs *responder) checkCertBinding(r *http.Request, claims *Claims) error {
	cert := rs.certs.clientCert(r)
	if cert == nil || subtle.ConstantTimeCompare([]byte(CertThumbprint(cert)), []byte(claims.X5T)) != 1 {
		return ErrCertificate
	}
	return nil
}
