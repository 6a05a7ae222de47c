package cli

// tokenBindingFlag is the help of --token-binding, on APIs and clients.
const tokenBindingFlag = "which tokens are issued: any (bearer, or bound when the client sends a DPoP proof or a TLS certificate; the default), dpop (DPoP-bound only) or mtls (certificate-bound only); docs/sender-constrained.md"

// tokenBinding turns a --token-binding value into the admin API's
// token_binding: "any" is "" there.
func tokenBinding(c *call, v string) (string, error) {
	switch v {
	case "any":
		return "", nil
	case "dpop", "mtls":
		return v, nil
	}
	return "", usagef(c.cmd, "--token-binding must be any, dpop or mtls")
}
