package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/mintauth/mint/internal/buildinfo"
	"github.com/mintauth/mint/internal/server"
)

func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	fs, run := serveCommand(getenv, stderr)
	return parseAndRun(ctx, args, stderr, fs, run)
}

// serveCommand defines `mint serve`'s flags on a new flag set and returns
// it with what runs the server once they are parsed.
func serveCommand(getenv func(string) string, stderr io.Writer) (*flag.FlagSet, commandRun) {
	fs := flag.NewFlagSet("mint serve", flag.ContinueOnError)
	addr := fs.String("addr", env(getenv, "MINT_ADDR", "127.0.0.1:8080"), "listen address (env MINT_ADDR)")
	db := fs.String("db", env(getenv, "MINT_DB", "mint.db"), "SQLite file, sqlite:PATH, or postgres:// URL (env MINT_DB)")
	issuer := fs.String("issuer", getenv("MINT_ISSUER"), `the "iss" of tokens and base of endpoint URLs (env MINT_ISSUER; default http://ADDR)`)
	audience := fs.String("default-audience", getenv("MINT_DEFAULT_AUDIENCE"), "audience for requests that name none (env MINT_DEFAULT_AUDIENCE)")
	var metricsF metricsFlags
	metricsF.register(fs, getenv)
	var cacheF cacheFlags
	cacheF.register(fs, getenv)
	paths := newListFlag(env(getenv, "MINT_TOKEN_PATHS", server.DefaultTokenPath))
	fs.Var(paths, "token-path", "path of the token endpoint, repeatable (env MINT_TOKEN_PATHS, comma-separated; default /oauth/token)")
	var logs logFlags
	logs.register(fs, getenv)
	var keys keyFlags
	keys.register(fs, getenv)
	var retention time.Duration
	auditRetentionFlag(fs, getenv, &retention)
	spill := fs.String("audit-spill", getenv("MINT_AUDIT_SPILL"), `file keeping the token path's audit records while the database cannot take them: default beside a SQLite database, none for PostgreSQL; "off" for none (env MINT_AUDIT_SPILL)`)
	var network netFlags
	network.register(fs, getenv)
	var limits limitFlags
	limits.register(fs, getenv)
	var traces traceFlags
	traces.register(fs, getenv)
	fedHTTP := fs.Bool("federation-allow-http", getenv("MINT_FEDERATION_ALLOW_HTTP") == "true", "let trust rules name plain http issuers beyond loopback, whose keys anyone on the path could replace (env MINT_FEDERATION_ALLOW_HTTP=true)")
	dpopNonce := fs.Bool("dpop-nonce", getenv("MINT_DPOP_NONCE") == "true", "require a server-issued nonce in DPoP proofs at the token endpoint (env MINT_DPOP_NONCE=true)")
	clientCerts := fs.Bool("tls-client-certs", getenv("MINT_TLS_CLIENT_CERTS") == "true",
		"ask TLS clients for a certificate and bind the tokens of those that present one to it (RFC 8705; env MINT_TLS_CLIENT_CERTS=true)")
	return fs, func(ctx context.Context, _ int) int {
		o := serveOptions{*addr, *db, *issuer, *audience, paths.values, retention, *spill, *fedHTTP, *dpopNonce, *clientCerts}
		return startServer(ctx, getenv, stderr, o, &logs, &keys, &network, &limits, &metricsF, &cacheF, &traces)
	}
}

// serveOptions are serve's own flags, parsed.
type serveOptions struct {
	addr, db, issuer, audience string
	paths                      []string
	retention                  time.Duration
	spill                      string
	federationAllowHTTP        bool
	dpopNonce                  bool
	tlsClientCerts             bool
}

func startServer(ctx context.Context, getenv func(string) string, stderr io.Writer, o serveOptions,
	logs *logFlags, keys *keyFlags, network *netFlags, limits *limitFlags, metricsF *metricsFlags, cacheF *cacheFlags, traces *traceFlags) int {
	addr, db, issuer, audience, retention := &o.addr, &o.db, &o.issuer, &o.audience, o.retention
	h, err := logs.handler(stderr)
	if err != nil {
		fmt.Fprintln(stderr, "mint serve:", err)
		return 2
	}
	log := slog.New(h)
	cfg := server.Config{
		DB: *db, Issuer: *issuer, TokenPaths: tokenPaths(o.paths), DefaultAudience: *audience,
		BootstrapClientID:     getenv("MINT_BOOTSTRAP_CLIENT_ID"),
		BootstrapClientSecret: getenv("MINT_BOOTSTRAP_CLIENT_SECRET"),
		AuditRetention:        retention,
		AuditSpill:            o.spill,
		FederationAllowHTTP:   o.federationAllowHTTP,
		DPoPNonce:             o.dpopNonce,
		Log:                   log,
	}
	if err := keys.apply(&cfg); err != nil {
		fmt.Fprintln(stderr, "mint serve:", err)
		return 2
	}
	if err := network.apply(&cfg, *addr); err != nil {
		fmt.Fprintln(stderr, "mint serve:", err)
		return 2
	}
	if o.tlsClientCerts && cfg.HTTP.TLSCertFile == "" {
		fmt.Fprintln(stderr, "mint serve: --tls-client-certs needs --tls-cert and --tls-key")
		return 2
	}
	cfg.HTTP.TLSClientCerts = o.tlsClientCerts
	if err := limits.apply(&cfg); err != nil {
		fmt.Fprintln(stderr, "mint serve:", err)
		return 2
	}
	if err := cacheF.apply(&cfg); err != nil {
		fmt.Fprintln(stderr, "mint serve:", err)
		return 2
	}
	cacheF.setMemoryLimit(log)
	metricsAddr, err := metricsF.apply(&cfg)
	if err != nil {
		fmt.Fprintln(stderr, "mint serve:", err)
		return 2
	}
	stopTraces, err := traces.apply(ctx, &cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, "mint serve:", err)
		return 2
	}
	defer stopTraces()
	if err := runServer(ctx, cfg, listenAddrs{*addr, network.mtlsAddr, metricsAddr}, stderr); err != nil {
		log.Error("mint serve stopped", "error", err)
		return 1
	}
	return 0
}

// tokenPaths keeps /oauth/token served when only aliases were given:
// discovery advertises it and every OAuth library expects it.
func tokenPaths(given []string) []string {
	out := []string{server.DefaultTokenPath}
	for _, p := range given {
		if p != server.DefaultTokenPath && strings.HasPrefix(p, "/") {
			out = append(out, p)
		}
	}
	return out
}

// listenAddrs are the addresses mint serve listens on: the main one, the
// mTLS listener's ("" for none) and the metrics' ("" for none).
type listenAddrs struct{ main, mtls, metrics string }

func runServer(ctx context.Context, cfg server.Config, addrs listenAddrs, stderr io.Writer) error {
	ln, err := net.Listen("tcp", addrs.main)
	if err != nil {
		return err
	}
	var metricsLn net.Listener
	if addrs.metrics != "" {
		if metricsLn, err = net.Listen("tcp", addrs.metrics); err != nil {
			ln.Close()
			return fmt.Errorf("metrics address (--metrics-addr; off for none): %w", err)
		}
		defer metricsLn.Close()
	}
	var mtlsLn net.Listener
	if addrs.mtls != "" {
		if mtlsLn, err = net.Listen("tcp", addrs.mtls); err != nil {
			ln.Close()
			return fmt.Errorf("mTLS address (--mtls-addr): %w", err)
		}
		defer mtlsLn.Close()
	}
	if cfg.Issuer == "" {
		cfg.Issuer = defaultIssuer(ln.Addr().(*net.TCPAddr), cfg.HTTP.TLSCertFile != "")
	}
	if mtlsLn != nil && cfg.HTTP.MTLSURL == "" {
		cfg.HTTP.MTLSURL = mtlsURL(cfg.Issuer, mtlsLn.Addr())
	}
	srv, err := server.New(ctx, cfg)
	if err != nil {
		ln.Close()
		return err
	}
	defer srv.Close()
	if c := srv.Generated; c != nil {
		printCredentials(stderr, c, server.ConsoleURL(cfg.Issuer))
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	if metricsLn != nil {
		cfg.Log.Info("metrics serving", "addr", metricsLn.Addr().String(), "path", server.MetricsPath)
		wg.Go(func() {
			if err := srv.ServeMetrics(ctx, metricsLn); err != nil {
				cfg.Log.Error("metrics listener stopped", "error", err)
			}
		})
	}
	var mtlsErr error // read after wg.Wait
	if mtlsLn != nil {
		// Logged before "mint serving", which tells a watcher that every
		// listener is open.
		cfg.Log.Info("mTLS listener serving", "addr", mtlsLn.Addr().String(), "url", cfg.HTTP.MTLSURL)
		wg.Go(func() {
			if err := srv.ServeMTLS(ctx, mtlsLn); err != nil && !errors.Is(err, context.Canceled) {
				mtlsErr = fmt.Errorf("mTLS listener: %w", err)
				stop() // one listener down stops mint: a half-served mint is not healthy
			}
		})
	}
	cfg.Log.Info("mint serving", "addr", ln.Addr().String(), "issuer", cfg.Issuer, "console", server.ConsoleURL(cfg.Issuer),
		"db", server.RedactDSN(cfg.DB), "token_paths", cfg.TokenPaths,
		"version", buildinfo.Read().Version) // which build a journal's lines came from
	err = srv.Serve(ctx, ln)
	stop()
	wg.Wait()
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return mtlsErr
}

// defaultIssuer names the listener as clients on this machine reach it,
// https when mint serves TLS; any real deployment sets --issuer to its
// public URL.
func defaultIssuer(a *net.TCPAddr, tls bool) string {
	host := a.IP.String()
	if a.IP.IsUnspecified() {
		host = "localhost"
	}
	scheme := "http://"
	if tls {
		scheme = "https://"
	}
	return scheme + net.JoinHostPort(host, fmt.Sprint(a.Port))
}

// printCredentials shows generated admin credentials once, outside the
// structured log so that log shipping never carries them, with where to
// use them and how to get in again once they are lost: mint keeps only a
// digest of the secret, so nobody can show it again.
func printCredentials(w io.Writer, c *server.Credentials, console string) {
	fmt.Fprintf(w, `
  mint created an admin client on this new database. Its secret is shown
  only now; keep it somewhere safe.

    export MINT_CLIENT_ID=%[1]s
    export MINT_CLIENT_SECRET=%[2]s

  Admin console: %[3]s (sign in with this id and secret).

  Lost the secret? mint keeps only a digest of it. Choose a new one (32
  characters or more) and restart mint serve with it:
    MINT_BOOTSTRAP_CLIENT_ID=%[1]s MINT_BOOTSTRAP_CLIENT_SECRET='<new secret>' mint serve
  That replaces this client's secret and revokes the tokens issued with the
  old one; see docs/admin.md.

`, c.ClientID, c.ClientSecret, console)
}
