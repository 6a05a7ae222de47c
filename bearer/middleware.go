package bearer

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mintauth/mint/bearer/dpop"
)

// Option changes how the middleware answers refused requests.
type Option func(*responder)

// WithErrorWriter replaces the default body (WriteFailure). The
// WWW-Authenticate header is set before w is called.
func WithErrorWriter(w ErrorWriter) Option {
	return func(r *responder) { r.write = w }
}

// WithClock sets the clock of the "date" field. Token times are checked with
// Verifier.Now.
func WithClock(now func() time.Time) Option {
	return func(r *responder) { r.now = now }
}

// WithRealm adds realm="…" to the WWW-Authenticate challenges.
func WithRealm(realm string) Option {
	return func(r *responder) { r.realm = realm }
}

// WithTrustedProxy makes the "uri" field honour X-Forwarded-Proto and
// X-Forwarded-Host. Use it only behind a proxy that overwrites them.
func WithTrustedProxy() Option {
	return func(r *responder) { r.trustForwarded = true }
}

// WithLogger logs refused requests: client errors at debug level, server
// errors at error level. By default nothing is logged.
func WithLogger(log *slog.Logger) Option {
	return func(r *responder) { r.log = log }
}

// responder answers refused requests. The middleware puts it in the request
// context so that RequireScopes, further down the chain, answers the same way.
type responder struct {
	write          ErrorWriter
	now            func() time.Time
	realm          string
	trustForwarded bool
	log            *slog.Logger
	dpop           dpopPolicy
	certs          certSource
}

var defaultResponder = newResponder(nil)

func newResponder(opts []Option) *responder {
	r := &responder{write: WriteFailure, now: time.Now, log: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(r)
	}
	if r.dpop.checker == nil {
		r.dpop.checker = defaultDPoP()
	}
	return r
}

func (rs *responder) refuse(w http.ResponseWriter, r *http.Request, err error, scope string) {
	rs.refuseScheme(w, r, err, scope, "")
}

// refuseScheme refuses a request that used the Authorization scheme given
// (or none), which picks the challenge (RFC 9449 §7.1).
func (rs *responder) refuseScheme(w http.ResponseWriter, r *http.Request, err error, scope, scheme string) {
	k := kindOf(err)
	f := &Failure{
		Status: k.status, Code: k.code, Description: k.desc, Message: k.message, Scope: scope,
		Date: rs.now(), URI: RequestURL(r, rs.trustForwarded), Err: err,
	}
	for _, h := range rs.challenges(f, scheme) {
		w.Header().Add("WWW-Authenticate", h)
	}
	if errors.Is(err, dpop.ErrUseNonce) && rs.dpop.checker.Nonces != nil {
		w.Header().Set("DPoP-Nonce", rs.dpop.checker.Nonces.Issue())
	}
	if tm := (*dpop.TooManyError)(nil); errors.As(err, &tm) {
		w.Header().Set("Retry-After", strconv.Itoa(int((tm.RetryAfter+time.Second-1)/time.Second)))
	}
	level := slog.LevelDebug
	if f.Status >= 500 {
		level = slog.LevelError
	}
	rs.log.Log(r.Context(), level, "request refused", "method", r.Method, "path", r.URL.Path,
		"status", f.Status, "error", err)
	rs.write(w, r, f)
}

type responderKey struct{}

func responderFrom(ctx context.Context) *responder {
	if rs, ok := ctx.Value(responderKey{}).(*responder); ok {
		return rs
	}
	return defaultResponder
}

// Middleware verifies the bearer token of every request with v and passes
// the request on with the verified claims in its context (see FromContext).
// A request without a valid token is answered with 401 (400 for a request
// with two Authorization headers, 503 when the issuer's keys cannot be
// fetched) and a WWW-Authenticate challenge (RFC 6750 §3), and does not
// reach next.
//
// The token is read from the Authorization header only (RFC 6750 §2.1);
// tokens in the query or a form body are ignored.
func Middleware(v *Verifier, opts ...Option) func(http.Handler) http.Handler {
	rs := newResponder(opts)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := context.WithValue(r.Context(), responderKey{}, rs)
			claims, scheme, err := rs.authenticateRequest(ctx, v, r)
			if err != nil {
				rs.refuseScheme(w, r.WithContext(ctx), err, "", scheme)
				return
			}
			rs.certs.dropForged(r)
			next.ServeHTTP(w, r.WithContext(WithClaims(ctx, claims)))
		})
	}
}

// RequireScopes passes on only requests whose verified token carries every
// scope given; others are answered 403 insufficient_scope with the scopes
// in the challenge (RFC 6750 §3.1). Use it behind Middleware, whose options
// it follows; a request without verified claims is answered 401.
func RequireScopes(scopes ...string) func(http.Handler) http.Handler {
	scope := strings.Join(scopes, " ")
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rs := responderFrom(r.Context())
			claims, ok := FromContext(r.Context())
			switch {
			case !ok:
				rs.refuse(w, r, ErrMissing, "")
			case !claims.HasScopes(scopes...) && claims.JKT != "":
				rs.refuseScheme(w, r, errScope, scope, schemeDPoP)
			case !claims.HasScopes(scopes...):
				rs.refuse(w, r, errScope, scope)
			default:
				next.ServeHTTP(w, r)
			}
		})
	}
}

// isB64Token reports whether s matches the b64token of RFC 6750 §2.1:
// 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("-._~+/", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}
