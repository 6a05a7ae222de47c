package gateway

import (
	"net/http"
	"net/netip"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/bearer/dpop"
)

// DPoPConfig is how the gateway treats DPoP-bound tokens (RFC 9449 §7).
// Whatever it says, a bound token is never accepted as a bearer token, and
// a DPoP-bound one is accepted with a valid proof (htm, htu, iat within a
// minute, ath, the bound key, a jti not seen before).
type DPoPConfig struct {
	// Required refuses bearer tokens: every request needs a DPoP-bound
	// token and its proof.
	Required bool
	// NonceKey, when set, makes proofs carry a nonce the gateway issued
	// (DPoP-Nonce); replicas given the same key accept each other's.
	NonceKey []byte
	// PublicOrigin is the scheme and host clients address
	// ("https://api.example.com"), when a proxy in front of the gateway
	// terminates TLS or rewrites Host; default the request's own.
	PublicOrigin string
	// ReplayMemory bounds the proofs remembered per window (about a
	// minute), per replica; 0 means bearer.DefaultReplayMemory. A proof
	// replayed to another replica within its minute is not caught.
	ReplayMemory int
	// ReplayShare bounds the proofs one client (a token's issuer and
	// client_id, else sub) may have remembered per window, so that one
	// client flooding the gateway with fresh proofs is answered 429 while
	// the others are still served; 0 means ReplayMemory/8.
	ReplayShare int
	// Metadata, when set, is served at bearer.ProtectedResourcePath
	// (RFC 9728) without a token.
	Metadata *bearer.ResourceMetadata
	// CertHeader names the header in which a TLS-terminating proxy in
	// front passes the client certificate (RFC 9440 form), for tokens
	// bound to one (RFC 8705 §3, cnf.x5t#S256); it is believed only from
	// CertProxies. A certificate of the request's own TLS connection
	// (Options.TLS) is used first; with neither, a certificate-bound
	// token is always refused.
	CertHeader  string
	CertProxies []netip.Prefix
}

func (c DPoPConfig) options() []bearer.Option {
	max := c.ReplayMemory
	if max <= 0 {
		max = bearer.DefaultReplayMemory
	}
	mem := dpop.NewMemory(max)
	mem.PerHolder = c.ReplayShare
	checker := &dpop.Checker{Replay: mem}
	if len(c.NonceKey) > 0 {
		checker.Nonces = &dpop.Nonces{Key: c.NonceKey}
	}
	opts := []bearer.Option{bearer.WithDPoP(checker)}
	if c.Required {
		opts = append(opts, bearer.WithDPoPRequired())
	}
	if c.PublicOrigin != "" {
		opts = append(opts, bearer.WithPublicOrigin(c.PublicOrigin))
	}
	if c.CertHeader != "" {
		opts = append(opts, bearer.WithClientCertHeader(c.CertHeader, c.CertProxies...))
	}
	return opts
}

// withMetadata serves the resource metadata ahead of next, for GET and
// HEAD; anything else at that path goes on to next (and its rules).
func (c DPoPConfig) withMetadata(next http.Handler) http.Handler {
	if c.Metadata == nil {
		return next
	}
	m := *c.Metadata
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == bearer.ProtectedResourcePath && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			m.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
