package mint

// The token binding policies of an API or a client (API.TokenBinding,
// Client.TokenBinding; docs/sender-constrained.md).
const (
	// BindingAny issues a bearer token, or a DPoP-bound one when the
	// request carries a DPoP proof (RFC 9449 §5). The default.
	BindingAny = ""
	// BindingDPoP issues DPoP-bound tokens only: a request without a proof
	// is refused.
	BindingDPoP = "dpop"
	// BindingMTLS issues tokens bound to the TLS client certificate only
	// (RFC 8705 §3): a request that presents none is refused.
	BindingMTLS = "mtls"
)

// TokenBindings lists the policies an API or client may set.
var TokenBindings = []string{BindingAny, BindingDPoP, BindingMTLS}

// RequiresCert reports whether a token for c on a must be bound to a TLS
// client certificate: either of the two asks for it.
func RequiresCert(c Client, a API) bool {
	return c.TokenBinding == BindingMTLS || a.TokenBinding == BindingMTLS
}

// RequiresDPoP reports whether a token for c on a must be DPoP-bound:
// either of the two asks for it.
func RequiresDPoP(c Client, a API) bool {
	return c.TokenBinding == BindingDPoP || a.TokenBinding == BindingDPoP
}
