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
)

// Config is a gateway in front of one upstream.
type Config struct {
	// Upstream is where verified requests go; its path prefixes theirs.
	Upstream *url.URL
	// Verifier checks the bearer token of every request.
	Verifier *bearer.Verifier
	// Rules require scopes per route. A request no rule matches still
	// needs a valid token, and no particular scope.
	Rules []Rule
	// ClientIDHeader carries the verified client id upstream, and
	// ScopesHeader the verified scopes, space-separated. Defaults
	// DefaultClientIDHeader and DefaultScopesHeader. Callers' own values
	// of these headers, in any case, never reach the upstream.
	ClientIDHeader string
	ScopesHeader   string
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
	cfg   Config
	proxy *httputil.ReverseProxy
}

// New returns the gateway's handler: bearer.Middleware, then the rules,
// then a reverse proxy that streams bodies both ways (FlushInterval -1) and
// drops hop-by-hop headers (RFC 9110 §7.6.1; "TE: trailers" is kept).
func New(cfg Config) (http.Handler, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	g := &gateway{cfg: cfg}
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
		if err := register(mux, r.pattern(), bearer.RequireScopes(r.Scopes...)(g.proxy)); err != nil {
			return nil, fmt.Errorf("gateway: rule %q: %w", r, err)
		}
		hasRoot = hasRoot || r.pattern() == "/"
	}
	if !hasRoot {
		mux.Handle("/", g.proxy)
	}
	mw := bearer.Middleware(cfg.Verifier, bearer.WithErrorWriter(cfg.ErrorWriter),
		bearer.WithClock(cfg.Now), bearer.WithLogger(cfg.Log))
	return mw(g.checkPath(mux)), nil
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
	return nil
}

// rewrite sends the request upstream with the verified identity in place
// of whatever identity headers the caller sent.
func (g *gateway) rewrite(pr *httputil.ProxyRequest) {
	pr.SetURL(g.cfg.Upstream)
	pr.SetXForwarded()
	h := pr.Out.Header
	for name := range h {
		if strings.EqualFold(name, g.cfg.ClientIDHeader) || strings.EqualFold(name, g.cfg.ScopesHeader) {
			delete(h, name)
		}
	}
	if g.cfg.DropAuthorization {
		h.Del("Authorization")
	}
	claims, ok := bearer.FromContext(pr.In.Context())
	if !ok {
		return // not reached: the middleware runs first
	}
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

// upstreamFailed answers 502 in the error writer's shape. r is the
// outgoing request.
func (g *gateway) upstreamFailed(w http.ResponseWriter, r *http.Request, err error) {
	g.cfg.Log.Warn("upstream failed", "method", r.Method, "upstream", r.URL.Redacted(), "error", err)
	uri, _ := r.Context().Value(callerURIKey{}).(string)
	g.cfg.ErrorWriter(w, r, &bearer.Failure{
		Status: http.StatusBadGateway, Message: "Upstream unavailable.", Description: "The upstream failed to answer.",
		Date: g.cfg.Now(), URI: uri, Err: err,
	})
}

func (g *gateway) fail(w http.ResponseWriter, r *http.Request, status int, message string, err error) {
	g.cfg.ErrorWriter(w, r, &bearer.Failure{
		Status: status, Message: message, Description: message,
		Date: g.cfg.Now(), URI: bearer.RequestURL(r, false), Err: err,
	})
}

// checkPath answers 400 to a path with an escaped slash or
// backslash: the rules see one path segment where an upstream that decodes
// the path before routing would see two, and could be reached around them.
// It keeps the caller's URI in the context for upstream errors.
func (g *gateway) checkPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.ToLower(r.URL.EscapedPath())
		if strings.Contains(p, "%2f") || strings.Contains(p, "%5c") {
			g.fail(w, r, http.StatusBadRequest, "Request path invalid.", errors.New("escaped slash in path"))
			return
		}
		ctx := context.WithValue(r.Context(), callerURIKey{}, bearer.RequestURL(r, false))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
