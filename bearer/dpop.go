package bearer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/mintauth/mint/bearer/dpop"
)

// DefaultReplayMemory is how many DPoP proofs the middleware's default
// replay cache remembers per window (80 s) before it refuses new ones with
// 503: some 3,000 DPoP requests a second per process. One client (the
// token's issuer and client_id, else sub) may fill an eighth of it
// (DefaultReplayMemory/8 proofs a window, some 400 a second) before its
// own proofs are refused with 429, so that one client flooding the API
// cannot make it refuse the others'. The cache holds two windows, at most
// about 40 MiB however it is used (docs/sender-constrained.md).
const DefaultReplayMemory = 1 << 18

// The ways a request's token and its binding disagree (RFC 9449 §7).
var (
	// ErrBoundAsBearer: a token bound to a key (cnf) sent as a bearer
	// token; whoever sends it that way may have stolen it.
	ErrBoundAsBearer = errors.New("bearer: sender-constrained token sent as a bearer token")
	// ErrBearerRefused: a bearer token where WithDPoPRequired wants a
	// DPoP-bound one.
	ErrBearerRefused = errors.New("bearer: this resource accepts DPoP-bound tokens only")
	// ErrNotBound: the DPoP scheme with a token bound to no key.
	ErrNotBound = errors.New("bearer: DPoP scheme with a token that is not DPoP-bound")
	// ErrProof: the DPoP proof is missing or refused; it wraps the
	// dpop package's reason.
	ErrProof = errors.New("bearer: DPoP proof refused")
)

// dpopPolicy is how the middleware treats DPoP (RFC 9449 §7).
type dpopPolicy struct {
	checker  *dpop.Checker
	required bool
	origin   string // WithPublicOrigin; "" for the request's own
}

// proofURL is the URL a proof sent with r must name.
func (rs *responder) proofURL(r *http.Request) string {
	u := RequestURL(r, rs.trustForwarded)
	if rs.dpop.origin == "" {
		return u
	}
	_, rest, _ := strings.Cut(u, "://")
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return rs.dpop.origin + rest[i:]
	}
	return rs.dpop.origin + "/"
}

// WithDPoP checks DPoP proofs with c instead of the default checker: to
// require server nonces (c.Nonces), or remember proofs in a store every
// replica shares (c.Replay). By default the middleware checks proofs with
// an in-memory replay cache of DefaultReplayMemory proofs per window; so
// does a c without Replay (a copy of c gets one, its window c's own):
// jti replay is always checked.
func WithDPoP(c *dpop.Checker) Option {
	c = withReplay(c)
	return func(r *responder) { r.dpop.checker = c }
}

// withReplay is c, or a copy of c with an in-memory replay cache when it
// has none: a dpop.Checker's zero Replay checks no replay, and a caller
// who set only Nonces (as the docs showed) would have none.
func withReplay(c *dpop.Checker) *dpop.Checker {
	if c == nil || c.Replay != nil {
		return c
	}
	maxAge, leeway := c.MaxAge, c.Leeway
	if maxAge <= 0 {
		maxAge = dpop.DefaultMaxAge
	}
	if leeway <= 0 {
		leeway = dpop.DefaultLeeway
	}
	own := *c
	own.Replay = &dpop.Memory{Window: maxAge + 2*leeway, Max: DefaultReplayMemory, Now: c.Now}
	return &own
}

// WithPublicOrigin names the scheme and host ("https://api.example.com")
// clients address, for comparing a DPoP proof's htu with the request
// behind a proxy that terminates TLS or rewrites Host. By default the
// request's own (see RequestURL) are used.
func WithPublicOrigin(origin string) Option {
	return func(r *responder) { r.dpop.origin = strings.TrimSuffix(origin, "/") }
}

// WithDPoPRequired refuses bearer tokens: every request must carry a
// DPoP-bound token and its proof.
func WithDPoPRequired() Option {
	return func(r *responder) { r.dpop.required = true }
}

func defaultDPoP() *dpop.Checker {
	return &dpop.Checker{Replay: dpop.NewMemory(DefaultReplayMemory)}
}

// schemeDPoP and schemeBearer name the Authorization schemes accepted.
const (
	schemeBearer = "Bearer"
	schemeDPoP   = "DPoP"
)

// credentials reads the Authorization header: "Bearer <token>" (RFC 6750
// §2.1) or "DPoP <token>" (RFC 9449 §7.1), schemes case-insensitive. A
// request with no header, or another scheme, has no token.
func credentials(h http.Header) (scheme, token string, err error) {
	values := h.Values("Authorization")
	switch {
	case len(values) == 0:
		return "", "", ErrMissing
	case len(values) > 1:
		return "", "", errAmbiguous
	}
	scheme, token, _ = strings.Cut(strings.TrimSpace(values[0]), " ")
	switch {
	case strings.EqualFold(scheme, schemeBearer):
		scheme = schemeBearer
	case strings.EqualFold(scheme, schemeDPoP):
		scheme = schemeDPoP
	default:
		return "", "", ErrMissing
	}
	token = strings.TrimLeft(token, " ")
	if !isB64Token(token) {
		return scheme, "", ErrMalformed
	}
	return scheme, token, nil
}

// authenticateRequest verifies the token of r and, for a DPoP-bound one,
// its proof against r's method and URL. It returns the scheme used, for
// the challenge of a refusal.
func (rs *responder) authenticateRequest(ctx context.Context, v *Verifier, r *http.Request) (*Claims, string, error) {
	scheme, raw, err := credentials(r.Header)
	if err != nil {
		return nil, scheme, err
	}
	claims, err := v.Verify(ctx, raw)
	if err != nil {
		return nil, scheme, err
	}
	if claims.X5T != "" {
		// Certificate-bound (RFC 8705 §3): the certificate proves the
		// sender, under either scheme.
		if err := rs.checkCertBinding(r, claims); err != nil {
			return nil, scheme, err
		}
	}
	certOnly := claims.X5T != "" && claims.JKT == ""
	switch {
	case scheme == schemeBearer && certOnly && rs.dpop.required:
		return nil, scheme, ErrBearerRefused
	case scheme == schemeBearer && certOnly:
		return claims, scheme, nil
	case scheme == schemeBearer && claims.cnf:
		return nil, scheme, ErrBoundAsBearer
	case scheme == schemeBearer && rs.dpop.required:
		return nil, scheme, ErrBearerRefused
	case scheme == schemeBearer:
		return claims, scheme, nil
	case claims.JKT == "":
		return nil, scheme, ErrNotBound
	}
	req := dpop.Request{Method: r.Method, URL: rs.proofURL(r), AccessToken: raw, JKT: claims.JKT, Holder: holder(claims)}
	if _, err := rs.dpop.checker.Check(ctx, r.Header, req); err != nil {
		return nil, scheme, fmt.Errorf("%w: %w", ErrProof, err)
	}
	return claims, scheme, nil
}

// holder names who a DPoP-bound token was issued to, for the replay
// cache's share per holder: its issuer and client (client_id or azp, else
// sub). Every key a client binds tokens to shares the client's share, so
// minting keys gains it nothing.
func holder(c *Claims) string {
	who := c.ClientID
	if who == "" {
		who = c.Subject
	}
	if who == "" {
		return ""
	}
	return c.Issuer + "\x00" + who
}

// dpopFailures are the answers to DPoP refusals (RFC 9449 §7.1, §9).
var dpopFailures = []struct {
	err  error
	kind failureKind
}{
	{dpop.ErrUseNonce, failureKind{401, "use_dpop_nonce", "DPoP nonce required.", "Resend the request with a DPoP proof carrying the nonce of the DPoP-Nonce header."}},
	{dpop.ErrBusy, failureKind{503, "temporarily_unavailable", "Token cannot be checked now.", "Too many DPoP proofs to remember; try again."}},
	// Not invalid_dpop_proof: the proof is fine, and a client told so
	// would get a new token and try again at once. 429 with Retry-After
	// (RFC 6585 §4) tells it to slow down; the code is mint's token
	// endpoint's for its own limits.
	{dpop.ErrTooMany, failureKind{429, "rate_limit_exceeded", "Too many requests.", "Too many DPoP proofs from this client within a minute; retry after the Retry-After seconds."}},
	{ErrProof, failureKind{401, "invalid_dpop_proof", "DPoP proof invalid.", "The DPoP proof is missing or invalid."}},
	{ErrBoundAsBearer, failureKind{401, "invalid_token", "Token is DPoP-bound.", "The access token is bound to a key: send it with the DPoP scheme and a proof."}},
	{ErrBearerRefused, failureKind{401, "invalid_token", "DPoP required.", "This resource accepts DPoP-bound tokens only."}},
	{ErrNotBound, failureKind{401, "invalid_token", "Token not DPoP-bound.", "The access token is not bound to a key; send it as a Bearer token."}},
	{ErrCertificate, failureKind{401, "invalid_token", "Token certificate mismatch.", "The access token is bound to a client certificate this request did not present."}},
}

// challenges are the WWW-Authenticate values for f: the scheme the
// request used (or DPoP for a DPoP refusal), and, when no token came,
// every scheme the resource accepts (RFC 9449 §7.2).
func (rs *responder) challenges(f *Failure, scheme string) []string {
	if !f.challenged() {
		return nil
	}
	dpopChallenge := func(g *Failure) string {
		return "DPoP " + strings.Join(append(g.params(rs.realm), `algs=`+quote(dpopAlgs)), ", ")
	}
	switch {
	case f.Code == "":
		if rs.dpop.required {
			return []string{dpopChallenge(f)}
		}
		return []string{f.challenge(rs.realm), dpopChallenge(f)}
	case scheme == schemeDPoP || f.Code == "invalid_dpop_proof" || f.Code == "use_dpop_nonce" ||
		errors.Is(f.Err, ErrBoundAsBearer) || errors.Is(f.Err, ErrBearerRefused):
		return []string{dpopChallenge(f)}
	}
	return []string{f.challenge(rs.realm)}
}

// dpopAlgs lists the algorithms of dpop.Algorithms for the algs parameter.
var dpopAlgs = strings.Join(dpopAlgList(), " ")

func dpopAlgList() []string {
	algs := make([]string, len(dpop.Algorithms))
	for i, a := range dpop.Algorithms {
		algs[i] = string(a)
	}
	return algs
}
