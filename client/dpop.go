package client

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/mintauth/mint/bearer/dpop"
)

// schemeDPoP is the token type and Authorization scheme of a DPoP-bound
// token (RFC 9449 §5, §7.1).
const schemeDPoP = "DPoP"

// origin is the scheme://host[:port] of u, the scope of a server's nonce.
func origin(u *url.URL) string {
	return u.Scheme + "://" + u.Host
}

// addProof sets req's DPoP header: a proof for its method and URL, with
// the token's hash when accessToken is not empty, and the last nonce the
// origin sent.
func addProof(p *dpop.Prover, req *http.Request, accessToken string) error {
	proof, err := p.Proof(req.Method, req.URL.String(), accessToken, p.Nonce(origin(req.URL)))
	if err != nil {
		return err
	}
	req.Header.Set("DPoP", proof)
	return nil
}

// rememberNonce keeps the DPoP-Nonce of a response for the proofs to its
// origin that follow.
func rememberNonce(p *dpop.Prover, req *http.Request, resp *http.Response) {
	if n := resp.Header.Get("DPoP-Nonce"); n != "" && p != nil {
		p.SetNonce(origin(req.URL), n)
	}
}

// tokenNonceChallenge says whether a token request failed for want of a
// nonce (RFC 9449 §8), which one more try with the nonce fixes.
func tokenNonceChallenge(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == "use_dpop_nonce" && e.Header.Get("DPoP-Nonce") != ""
}

// apiNonceChallenge says whether an API refused a request for want of a
// nonce (RFC 9449 §9): 401 with a DPoP challenge naming use_dpop_nonce.
func apiNonceChallenge(resp *http.Response) bool {
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("DPoP-Nonce") == "" {
		return false
	}
	for _, v := range resp.Header.Values("WWW-Authenticate") {
		if challengeError(v, schemeDPoP) == "use_dpop_nonce" {
			return true
		}
	}
	return false
}
