package gateway

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Options are the settings of "mint gateway", from flags and environment.
type Options struct {
	Listen   string // --listen, MINT_GATEWAY_LISTEN
	Upstream string // --upstream, MINT_GATEWAY_UPSTREAM
	Issuer   string // MINT_ISSUER: the one issuer trusted, unless Issuers
	// Issuers are the issuers trusted when there are several (a migration
	// from Auth0): --issuer (repeatable), MINT_GATEWAY_ISSUERS
	// (";"-separated, replaces MINT_ISSUER). Set Issuer or Issuers.
	Issuers  []IssuerSpec
	Audience string // --audience, MINT_GATEWAY_AUDIENCE
	JWKSURL  string // --jwks-url, MINT_JWKS_URL: the one issuer's JWK Set; default discovered
	Rules    []Rule // --rule (repeatable), MINT_GATEWAY_RULES (";"-separated)
	// AllowUnmatched is --default-deny=false (MINT_GATEWAY_DEFAULT_DENY):
	// requests no rule matches pass with any valid token (see Config).
	AllowUnmatched bool
	// DPoP: --dpop-required, --dpop-nonce (key MINT_GATEWAY_DPOP_NONCE_KEY),
	// --public-origin (dpopflags.go).
	DPoP DPoPConfig
	// TLS: --tls-cert, --tls-key, --tls-client-certs (tls.go).
	TLS TLSConfig
	// Limits are not flags; zero fields take DefaultLimits.
	Limits Limits
	// Log is not a flag; default nothing is logged.
	Log *slog.Logger

	rulesErr   error // a bad MINT_GATEWAY_RULES or MINT_GATEWAY_DEFAULT_DENY, reported by Run
	dpopErr    error // a bad DPoP setting (dpopflags.go), reported by Run
	issuersErr error // a bad MINT_GATEWAY_ISSUERS, reported by Run
	tlsErr     error // a bad MINT_GATEWAY_TLS_CLIENT_CERTS (tls.go), reported by Run
}

// DefaultListen is where the gateway listens unless told otherwise.
const DefaultListen = "127.0.0.1:8081"

// FromFlags defines the gateway's flags on fs, with defaults from getenv
// (os.Getenv), and returns the Options they fill when fs is parsed. A
// --rule flag replaces the rules of MINT_GATEWAY_RULES.
func FromFlags(fs *flag.FlagSet, getenv func(string) string) *Options {
	o := &Options{}
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&o.Listen, "listen", env("MINT_GATEWAY_LISTEN", DefaultListen), "`address` to listen on (MINT_GATEWAY_LISTEN)")
	fs.StringVar(&o.Upstream, "upstream", getenv("MINT_GATEWAY_UPSTREAM"), "`URL` of the API behind the gateway (MINT_GATEWAY_UPSTREAM)")
	o.Issuer = getenv("MINT_ISSUER")
	if v := getenv("MINT_GATEWAY_ISSUERS"); v != "" {
		o.Issuer = ""
		o.Issuers, o.issuersErr = ParseIssuers(v)
	}
	fs.Var(&issuerFlag{o: o}, "issuer", "`\"URL [jwks=URL] [typ=T,...] [alg=A,...]\"`: an issuer whose tokens are accepted, its \"iss\" exactly; "+
		"repeatable, to trust several during a migration (MINT_ISSUER; several: MINT_GATEWAY_ISSUERS, ;-separated)")
	fs.StringVar(&o.Audience, "audience", getenv("MINT_GATEWAY_AUDIENCE"), "`audience` the tokens must name (MINT_GATEWAY_AUDIENCE)")
	fs.StringVar(&o.JWKSURL, "jwks-url", getenv("MINT_JWKS_URL"), "JWK Set `URL`; default discovered from the issuer (MINT_JWKS_URL)")
	o.Rules, o.rulesErr = ParseRules(getenv("MINT_GATEWAY_RULES"))
	fs.Var(&ruleFlag{o: o}, "rule", "`\"[METHOD] PATTERN [SCOPE,...] [upgrade=PROTOCOL]\"`: scopes a route requires; repeatable (MINT_GATEWAY_RULES, ;-separated)")
	if v := getenv("MINT_GATEWAY_DEFAULT_DENY"); v != "" && o.rulesErr == nil {
		deny, err := strconv.ParseBool(v)
		o.AllowUnmatched, o.rulesErr = !deny, err
	}
	fs.Var(denyFlag{o}, "default-deny", "refuse requests no rule matches (MINT_GATEWAY_DEFAULT_DENY); default true")
	o.dpopFlags(fs, getenv)
	o.tlsFlags(fs, getenv)
	return o
}

// denyFlag is --default-deny, the opposite of Options.AllowUnmatched.
type denyFlag struct{ o *Options }

func (f denyFlag) IsBoolFlag() bool { return true }

func (f denyFlag) String() string {
	if f.o == nil {
		return "true"
	}
	return strconv.FormatBool(!f.o.AllowUnmatched)
}

func (f denyFlag) Set(v string) error {
	deny, err := strconv.ParseBool(v)
	f.o.AllowUnmatched = !deny
	return err
}

type ruleFlag struct {
	o   *Options
	set bool
}

func (f *ruleFlag) String() string {
	if f == nil || f.o == nil {
		return ""
	}
	var s []string
	for _, r := range f.o.Rules {
		s = append(s, r.String())
	}
	return strings.Join(s, "; ")
}

func (f *ruleFlag) Set(v string) error {
	r, err := ParseRule(v)
	if err != nil {
		return err
	}
	if !f.set { // the first --rule replaces the environment's rules
		f.o.Rules, f.o.rulesErr, f.set = nil, nil, true
	}
	f.o.Rules = append(f.o.Rules, r)
	return nil
}

// Run listens on o.Listen and serves until ctx ends (see Serve).
func Run(ctx context.Context, o *Options) error {
	if err := o.check(); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	return Serve(ctx, ln, o)
}

// Serve serves the gateway on ln until ctx ends, then shuts down gracefully,
// giving requests in flight up to 10 seconds. It closes ln.
func Serve(ctx context.Context, ln net.Listener, o *Options) error {
	defer ln.Close()
	if err := o.check(); err != nil {
		return err
	}
	h, err := o.handler(ctx)
	if err != nil {
		return err
	}
	tlsConfig, err := o.TLS.serverConfig()
	if err != nil {
		return err
	}
	limits := o.Limits
	limits.fill()
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: limits.Header,
		// No ReadTimeout or WriteTimeout: bodies stream, for as long as
		// they keep Limits.BodyMinRate (see limitedBody); refused requests
		// are answered without reading their bodies (closeAfterRefusal).
		IdleTimeout: limits.Idle,
		ErrorLog:    slog.NewLogLogger(o.log().Handler(), slog.LevelWarn),
		TLSConfig:   tlsConfig,
	}
	o.log().Info("mint gateway serving", "addr", ln.Addr().String(), "upstream", o.Upstream, "issuers", o.issuerURLs(), "audience", o.Audience,
		"default_deny", !o.AllowUnmatched, "tls", tlsConfig != nil, "client_certs", tlsConfig != nil && !o.TLS.NoClientCerts)
	done := make(chan error, 1)
	if tlsConfig != nil {
		go func() { done <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { done <- srv.Serve(ln) }()
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	if serveErr := <-done; !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return err
}

func (o *Options) check() error {
	if o.issuersErr != nil { // before "required": it left no issuer
		return fmt.Errorf("gateway: MINT_GATEWAY_ISSUERS: %w", o.issuersErr)
	}
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"--upstream", o.Upstream}, {"--issuer", strings.Join(o.issuerURLs(), " ")}, {"--audience", o.Audience},
	} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("gateway: %s required", strings.Join(missing, ", "))
	}
	if o.rulesErr != nil {
		return fmt.Errorf("gateway: MINT_GATEWAY_RULES or MINT_GATEWAY_DEFAULT_DENY: %w", o.rulesErr)
	}
	if o.dpopErr != nil {
		return fmt.Errorf("gateway: %w", o.dpopErr)
	}
	if o.tlsErr != nil {
		return fmt.Errorf("gateway: %w", o.tlsErr)
	}
	if err := o.TLS.check(); err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	return o.checkIssuers()
}

func (o *Options) handler(ctx context.Context) (http.Handler, error) {
	upstream, err := url.Parse(o.Upstream)
	if err != nil {
		return nil, fmt.Errorf("gateway: --upstream: %w", err)
	}
	v, err := o.verifier(ctx)
	if err != nil {
		return nil, err
	}
	return New(Config{
		Upstream: upstream, Verifier: v, Rules: o.Rules, AllowUnmatched: o.AllowUnmatched,
		Limits: o.Limits, Log: o.log(), DPoP: o.dpopConfig(),
	})
}

func (o *Options) log() *slog.Logger {
	if o.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Log
}
