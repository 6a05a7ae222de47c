package admin

import (
	"slices"

	"github.com/mintauth/mint/internal/mint"
)

// validTokenBinding checks an API's or client's token_binding: "" (bearer,
// or bound when the request sends a proof or a certificate), "dpop"
// (DPoP-bound only) or "mtls" (certificate-bound only); see
// docs/sender-constrained.md.
func validTokenBinding(v *string) error {
	if v == nil || slices.Contains(mint.TokenBindings, *v) {
		return nil
	}
	return invalid("token_binding", `token_binding must be "" (bearer allowed), "dpop" (DPoP-bound tokens only) or "mtls" (certificate-bound tokens only)`)
}
