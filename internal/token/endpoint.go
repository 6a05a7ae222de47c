package token

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/mintauth/mint/bearer/dpop"
	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/clientauth"
	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/policy"
	"github.com/mintauth/mint/internal/ratelimit"
	"github.com/mintauth/mint/oauth"
)

// Endpoint is the token endpoint. Mount it for every method: it answers
// anything but POST itself. It is safe for concurrent use once its fields
// are set.
type Endpoint struct {
	Store mint.Store
	Keys  *keyring.Ring
	// Issuer is the "iss" claim.
	Issuer string
	// DefaultAudience is used when the request names no audience and the
	// client has other than exactly one grant. Empty: the request must name one.
	DefaultAudience string
	// Auth authenticates clients; nil means one built from Store, Issuer,
	// Now and Log, which records no secret use.
	Auth *clientauth.Authenticator
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log receives issuance and authentication failures; nil discards them.
	Log *slog.Logger
	// Audit, when set, is told of each token issued, for the audit log.
	Audit audit.Issuances
	// Observe, when set, is told what became of each request once its
	// answer is written (metrics, audit). It runs on the request's
	// goroutine, so it must be quick.
	Observe func(ctx context.Context, o Outcome)
	// Limits, when set, is asked once the client is authenticated (limits.go).
	Limits Limits
	// Reuse, when set, hands a repeated request the token issued before,
	// for APIs with TokenReuse (limits.go).
	Reuse *ratelimit.Reuse
	// Policies, when set, runs the issuance policies of the API and the
	// client (package policy) before a token is signed; nil, or an API
	// and client without one, costs nothing.
	Policies *policy.Checker
	// Tracer, when set, makes child spans of the request's span for the
	// parts of issuance (trace.go); nil traces nothing and costs nothing.
	Tracer trace.Tracer
	// DPoP, when set, checks the DPoP proof of a request that sends one
	// and binds its token to the proof's key (RFC 9449 §5, dpop.go); nil
	// ignores the DPoP header and issues bearer tokens.
	DPoP *dpop.Checker
	// ClientCertHeader and CertProxies: behind a TLS-terminating proxy,
	// the header it passes the client certificate in, trusted only from
	// those addresses (mtls.go). Empty: only the connection's own.
	ClientCertHeader string
	CertProxies      []netip.Prefix
	// PeerAddr, when set, returns the address of the request's TCP peer,
	// which the proxies must include; nil: r.RemoteAddr.
	PeerAddr func(*http.Request) string
}

// Outcome is what became of one token request.
type Outcome struct {
	// ClientID is the client the credentials proved; empty when
	// authentication failed or was not reached.
	ClientID string
	// Audience is the API's audience once the client's grant on it was
	// found; empty before.
	Audience string
	// Err is the error answered; nil when a token was issued.
	Err *oauth.Error
	// Reused: the token answered was one issued before (Endpoint.Reuse);
	// Alg and Signing are then empty, Lifetime is what remains of it.
	Reused bool
	// Of the token issued: its algorithm, lifetime, scope tokens (read
	// only: they may be the API's own list) and "jti".
	Alg      string
	Lifetime time.Duration
	Scopes   []string
	TokenID  string
	// Signing is the time the signature took; Duration, the whole request
	// from reading the body to writing the answer.
	Signing, Duration time.Duration
}

var _ http.Handler = (*Endpoint)(nil)

var errMethod = oauth.ErrMethodNotAllowed.WithHeader("Allow", http.MethodPost).Describe(
	"the token endpoint only accepts POST: credentials do not belong in URLs, send them in the request body or with HTTP Basic")

// ServeHTTP answers a token request: parse, authenticate the client,
// resolve the audience and scopes, sign, render.
func (e *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	oauth.Handle(e.log(), e.serve).ServeHTTP(w, r)
}

func (e *Endpoint) serve(w http.ResponseWriter, r *http.Request) error {
	if e.Observe == nil {
		return e.answer(w, r, new(Outcome))
	}
	start := time.Now()
	var o Outcome
	err := e.answer(w, r, &o)
	o.Duration = time.Since(start)
	if err != nil {
		o.Err = oauth.As(err)
	}
	e.Observe(r.Context(), o)
	return err
}

func (e *Endpoint) answer(w http.ResponseWriter, r *http.Request, o *Outcome) error {
	if r.Method != http.MethodPost {
		return errMethod
	}
	var req Request
	req.chain = e.clientChain(r)
	if err := req.parse(r); err != nil {
		return err
	}
	if req.DPoP != nil {
		req.ProofURL = e.proofURL(r)
	}
	if len(req.chain) > 0 {
		req.CertThumbprint = certThumbprint(req.chain[0])
	}
	resp, err := e.issue(r.Context(), &req, o)
	if err != nil {
		return err
	}
	e.nonceHeader(w, resp.jkt)
	bp := answers.Get().(*[]byte)
	*bp = resp.AppendJSON((*bp)[:0])
	writeAnswer(w, *bp)
	clear(*bp) // it held a bearer token
	if cap(*bp) <= maxPooledAnswer {
		answers.Put(bp)
	}
	return nil
}

// answers holds the buffers token answers are encoded into: the
// ResponseWriter copies what it is given, so each can serve the next
// answer once written (cleared: an idle buffer keeps no token), rather
// than one allocation per token.
var answers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// maxPooledAnswer keeps a buffer grown by an unusual answer (a long scope
// list) out of the pool.
const maxPooledAnswer = 4 << 10

func (e *Endpoint) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

var discard = slog.New(slog.DiscardHandler)

func (e *Endpoint) log() *slog.Logger {
	if e.Log == nil {
		return discard
	}
	return e.Log
}
