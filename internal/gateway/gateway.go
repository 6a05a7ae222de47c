package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/mintauth/mint/bearer"
)

// The headers that carry the verified identity to the upstream.
const (
	DefaultClientIDHeader = "X-Mint-Client-Id"
	DefaultScopesHeader   = "X-Mint-Scopes"
	// IssuerHeader names the issuer of the verified token, so that an
	// upstream can tell mint's tokens from the old issuer's during a
	// migration. Callers cannot set it: every X-Mint-* is removed.
	IssuerHeader = "X-Mint-Issuer"
)

// Config is a gateway in front of one upstream.
type Config struct {
	// Upstream is where verified requests go; its path prefixes theirs.
	Upstream *url.URL
	// Verifier checks the bearer token of every request.
	Verifier *bearer.Verifier
	// Rules require scopes per route. A request no rule matches is refused
	// (403) unless AllowUnmatched is set; then it needs a valid token and
	// no particular scope.
	Rules []Rule
	// AllowUnmatched passes requests no rule matches to the upstream. The
	// zero value denies them: a forgotten rule then fails closed, and a
	// rule "/" (any valid token) opens everything explicitly.
	AllowUnmatched bool
	// Limits bound the time a request body may take (Body, BodyMinRate);
	// zero fields take the defaults of DefaultLimits.
	Limits Limits
	// ClientIDHeader carries the verified client id upstream, and
	// ScopesHeader the verified scopes, space-separated. Defaults
	// DefaultClientIDHeader and DefaultScopesHeader. Callers' own values
	// of these headers, in any case, never reach the upstream.
	ClientIDHeader string
	ScopesHeader   string
	// DPoP is how DPoP-bound tokens are checked (RFC 9449 §7; dpop.go).
	DPoP DPoPConfig
	// DropAuthorization keeps the caller's Authorization header from the
	// upstream. By default it is forwarded, so the upstream may verify the
	// token again or log its jti.
	DropAuthorization bool
	// Transport reaches the upstream; default http.DefaultTransport.
	Transport http.RoundTripper
	// ErrorWriter writes refused and failed requests; default
	// bearer.WriteFailure.
	ErrorWriter bearer.ErrorWriter
	// Now is the clock of the "date" field; default time.Now.
	Now func() time.Time
	// Log gets refusals at debug level and upstream failures at warn level;
	// default nothing is logged.
	Log *slog.Logger
}

type gateway struct {
	cfg     Config
	proxy   *httputil.ReverseProxy
	methods []string // knownMethods of the rules, sorted
	alike   *lookalikes
}

// New returns the gateway's handler: screen (method, path and upgrade
// checks), bearer.Middleware, then the rules, then a reverse proxy that
// streams bodies both ways (FlushInterval -1) and drops hop-by-hop headers
// (RFC 9110 §7.6.1; "TE: trailers" is kept).
func New(cfg Config) (http.Handler, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	g := &gateway{cfg: cfg, methods: knownMethods(cfg.Rules), alike: newLookalikes(cfg.Rules, cfg.AllowUnmatched)}
	g.cfg.ErrorWriter = closeAfterRefusal(cfg.ErrorWriter)
	g.proxy = &httputil.ReverseProxy{
		Rewrite:       g.rewrite,
		FlushInterval: -1,
		Transport:     cfg.Transport,
		ErrorHandler:  g.upstreamFailed,
		ErrorLog:      slog.NewLogLogger(cfg.Log.Handler(), slog.LevelWarn),
	}
	mux := http.NewServeMux()
	hasRoot := false
	for _, r := range cfg.Rules {
		if err := r.validate(); err != nil {
			return nil, fmt.Errorf("gateway: rule %q: %w", r, err)
		}
		if err := register(mux, r.pattern(), bearer.RequireScopes(r.Scopes...)(g.route(&r))); err != nil {
			return nil, fmt.Errorf("gateway: rule %q: %w", r, err)
		}
		hasRoot = hasRoot || r.pattern() == "/"
	}
	switch {
	case hasRoot:
	case cfg.AllowUnmatched:
		mux.Handle("/", g.route(nil))
	default:
		mux.HandleFunc("/", g.deny)
	}
	opts := append([]bearer.Option{bearer.WithErrorWriter(g.cfg.ErrorWriter),
		bearer.WithClock(cfg.Now), bearer.WithLogger(cfg.Log)}, cfg.DPoP.options()...)
	mw := bearer.Middleware(cfg.Verifier, opts...)
	return cfg.DPoP.withMetadata(g.screen(mw(mux))), nil
}

func (cfg *Config) fill() error {
	if cfg.Upstream == nil || (cfg.Upstream.Scheme != "http" && cfg.Upstream.Scheme != "https") ||
		cfg.Upstream.Host == "" {
		return errors.New("gateway: Upstream must be an http(s) URL")
	}
	if cfg.Verifier == nil {
		return errors.New("gateway: no Verifier")
	}
	if cfg.ClientIDHeader == "" {
		cfg.ClientIDHeader = DefaultClientIDHeader
	}
	if cfg.ScopesHeader == "" {
		cfg.ScopesHeader = DefaultScopesHeader
	}
	if cfg.ErrorWriter == nil {
		cfg.ErrorWriter = bearer.WriteFailure
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	cfg.Limits.fill()
	return nil
}

// rewrite sends the request upstream with the identity and origin the
// gateway verified in place of whatever the caller claimed. The path is
// the canonical one screen judged: RawPath is empty, so the upstream gets
// its canonical escaping, never the caller's.
func (g *gateway) rewrite(pr *httputil.ProxyRequest) {
	pr.SetURL(g.cfg.Upstream)
	h := pr.Out.Header
	certProxy := g.fromCertProxy(pr.In.RemoteAddr)
	for name := range h {
		if g.spoofable(name, certProxy) {
			delete(h, name)
		}
	}
	setOrigin(pr)
	if g.cfg.DropAuthorization {
		h.Del("Authorization")
	}
	claims, ok := bearer.FromContext(pr.In.Context())
	if !ok {
		return // not reached: the middleware runs first
	}
	h.Set(IssuerHeader, claims.Issuer)
	if claims.ClientID != "" {
		h.Set(g.cfg.ClientIDHeader, claims.ClientID)
	}
	if len(claims.Scopes) > 0 {
		h.Set(g.cfg.ScopesHeader, strings.Join(claims.Scopes, " "))
	}
}

// callerURIKey holds the request URI as the caller sent it: ReverseProxy
// hands its error handler the outgoing request, rewritten for the upstream.
type callerURIKey struct{}

// bodyKey holds the limitedBody of a request, for its error handler.
type bodyKey struct{}

func withBody(ctx context.Context, b *limitedBody) context.Context {
	return context.WithValue(ctx, bodyKey{}, b)
}

// upstreamFailed answers 502 in the error writer's shape, or 408 when the
// caller's body was too slow. r is the outgoing request.
func (g *gateway) upstreamFailed(w http.ResponseWriter, r *http.Request, err error) {
	uri, _ := r.Context().Value(callerURIKey{}).(string)
	f := &bearer.Failure{
		Status: http.StatusBadGateway, Code: "temporarily_unavailable", Message: "Upstream unavailable.",
		Description: "The upstream failed to answer.", Date: g.cfg.Now(), URI: uri, Err: err,
	}
	if b, _ := r.Context().Value(bodyKey{}).(*limitedBody); b != nil && b.timedOut.Load() {
		f.Status, f.Code, f.Message, f.Description = http.StatusRequestTimeout, "invalid_request",
			"Request body too slow.", "The request body did not arrive in time."
		g.cfg.Log.Debug("request refused", "method", r.Method, "status", f.Status, "error", err)
	} else {
		g.cfg.Log.Warn("upstream failed", "method", r.Method, "upstream", r.URL.Redacted(), "error", err)
	}
	g.cfg.ErrorWriter(w, r, f)
}

// fail refuses a request for a reason of the gateway's own (not the
// token's): invalid_request, or access_denied for a 403.
func (g *gateway) fail(w http.ResponseWriter, r *http.Request, status int, message string, err error) {
	code := "invalid_request"
	if status == http.StatusForbidden {
		code = "access_denied"
	}
	g.cfg.Log.Debug("request refused", "method", r.Method, "status", status, "error", err)
	g.cfg.ErrorWriter(w, r, &bearer.Failure{
		Status: status, Code: code, Message: message, Description: message,
		Date: g.cfg.Now(), URI: bearer.RequestURL(r, false), Err: err,
	})
}
