package client

import (
	"crypto/tls"
	"fmt"
	"net/http"
)

// withCertificate makes cfg, a token cache's own copy of a Config, send
// its token requests over a copy of HTTPClient's transport that presents
// Certificate (RFC 8705): a copy, so that the caller's transport is never
// changed under it, and made once per cache, so that its connections are
// reused.
func (cfg *Config) withCertificate() {
	var hc http.Client
	if cfg.HTTPClient != nil {
		hc = *cfg.HTTPClient
	}
	var base *http.Transport
	switch t := hc.Transport.(type) {
	case nil:
		base = http.DefaultTransport.(*http.Transport)
	case *http.Transport:
		base = t
	default:
		cfg.certErr = fmt.Errorf("client: Config.Certificate needs HTTPClient's Transport to be an *http.Transport, not a %T: "+
			"present the certificate in that transport and leave Certificate nil", t)
		return
	}
	hc.Transport = presentingCert(base, cfg.Certificate)
	cfg.HTTPClient = &hc
}

// presenting returns the transport API requests go over when Certificate
// is set: the token requests' own for no base, or the one orig's
// HTTPClient has (so one pool of connections serves both); a copy of
// another *http.Transport that presents the certificate; any other base
// as it is, to present the certificate itself.
func (cfg *Config) presenting(orig *Config, base http.RoundTripper) http.RoundTripper {
	if cfg.certErr != nil {
		return base // token requests fail with certErr
	}
	var own http.RoundTripper
	if orig.HTTPClient != nil {
		own = orig.HTTPClient.Transport
	}
	switch t := base.(type) {
	case nil:
		return cfg.HTTPClient.Transport
	case *http.Transport:
		if o, _ := own.(*http.Transport); o == t {
			return cfg.HTTPClient.Transport
		}
		return presentingCert(t, cfg.Certificate)
	}
	return base
}

// presentingCert is a copy of t whose TLS handshakes present cert.
func presentingCert(t *http.Transport, cert *tls.Certificate) *http.Transport {
	c := t.Clone()
	if c.TLSClientConfig == nil {
		c.TLSClientConfig = &tls.Config{}
	}
	c.TLSClientConfig.Certificates = []tls.Certificate{*cert}
	c.TLSClientConfig.GetClientCertificate = nil // it would be asked instead
	return c
}
