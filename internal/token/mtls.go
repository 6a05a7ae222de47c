package token

import (
	"crypto/x509"
	"net/http"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// clientChain is the request's TLS client certificate chain, leaf first:
// its connection's, or else the one certificate a trusted proxy passed
// on in ClientCertHeader (the API side's parser, bearer.ProxiedClientCert:
// from any other address the header is ignored); nil for none.
func (e *Endpoint) clientChain(r *http.Request) []*x509.Certificate {
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		return r.TLS.PeerCertificates
	}
	if e.ClientCertHeader == "" {
		return nil
	}
	peer := r
	if e.PeerAddr != nil {
		// Only the two fields ProxiedClientCert reads.
		peer = &http.Request{RemoteAddr: e.PeerAddr(r), Header: r.Header}
	}
	if cert := bearer.ProxiedClientCert(peer, e.ClientCertHeader, e.CertProxies); cert != nil {
		return []*x509.Certificate{cert}
	}
	return nil
}

// ClientChain is the chain the token endpoint sees on r (see clientChain),
// for the introspection and revocation endpoints, which authenticate
// clients with a certificate the same way (RFC 8705 §2, RFC 7662 §2.1,
// RFC 7009 §2.1).
func (e *Endpoint) ClientChain(r *http.Request) []*x509.Certificate { return e.clientChain(r) }

// errTLSAuthDPoP: a client that authenticated with its certificate sent
// a DPoP proof too, or its API wants DPoP-bound tokens.
var errTLSAuthDPoP = oauth.ErrInvalidRequest.Describe(
	"a client that authenticates with its TLS certificate (RFC 8705 §2) gets a token bound to that certificate: send no DPoP proof, and use an API that does not require DPoP")

// tlsAuthBinding binds the token of a client that authenticated with its
// certificate to that certificate (RFC 8705 §3), whatever the server's
// --tls-client-certs says: the proof of possession it gave is already
// the TLS handshake's (or the trusted proxy's).
func tlsAuthBinding(req *Request, client mint.Client, api mint.API) (binding, error) {
	if len(req.DPoP) > 0 || mint.RequiresDPoP(client, api) {
		return binding{}, errTLSAuthDPoP
	}
	return binding{x5t: req.CertThumbprint}, nil
}
