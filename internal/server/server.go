package server

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/internal/admin"
	"github.com/mintauth/mint/internal/clientauth"
	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/metrics"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/policy"
	"github.com/mintauth/mint/internal/throttle"
	"github.com/mintauth/mint/internal/token"
	"github.com/mintauth/mint/internal/tokenstate"
	"github.com/mintauth/mint/internal/tracing"
	"github.com/mintauth/mint/oauth"
)

// DefaultTokenPath is the token endpoint of RFC 6749 and Auth0.
const DefaultTokenPath = "/oauth/token"

const jwksPath = "/.well-known/jwks.json"

// Config is what `mint serve` is told.
type Config struct {
	// DB names the store; see OpenStore.
	DB string
	// Issuer is the "iss" of every token and the base of every URL in the
	// discovery metadata.
	Issuer string
	// TokenPaths serve the token endpoint; the first is the one advertised.
	// Empty means DefaultTokenPath.
	TokenPaths []string
	// DefaultAudience is used when a token request names no audience and
	// the client has more than one grant.
	DefaultAudience string
	// BootstrapClientID and BootstrapClientSecret name an admin client that
	// is created or repaired at start.
	BootstrapClientID     string
	BootstrapClientSecret string
	// MasterKey seals the signing keys (keyring.MasterKeySize bytes); when
	// nil, MasterKeyFile holds it; when that is empty too, a SQLite
	// database's key is in the file DB + ".key", made on a new database.
	MasterKey     []byte
	MasterKeyFile string
	// KeyPrepublish is how long a rotated-in key is published before it
	// signs (default keyring.DefaultPrepublish); KeyRotationPeriod, how
	// long a key signs before it is rotated (0: only when asked).
	KeyPrepublish     time.Duration
	KeyRotationPeriod time.Duration
	// MetricsMaxClients bounds the client_id and audience labels of the
	// metrics (metrics.Options.MaxClients; 0: metrics.DefaultMaxClients).
	// The metrics are never on Handler: ServeMetrics serves them on a
	// listener of their own (mint serve --metrics-addr).
	MetricsMaxClients int
	// AuditRetention is how long audit records are kept; 0 keeps them
	// forever. See internal/server/audit.go.
	AuditRetention time.Duration
	// AuditSpill is the file that keeps the token path's audit records
	// while the database cannot take them (audit.Spill): "" puts it beside
	// a SQLite database (DB + ".audit-spill") and keeps none for
	// PostgreSQL; "off" keeps none. See internal/server/audit.go.
	AuditSpill string
	// HTTP holds timeouts, size limits, TLS and trusted proxies
	// (internal/server/serve.go).
	HTTP HTTPConfig
	// AuthThrottle limits failed client authentications per source and
	// per client_id and source (package throttle); zero fields take its
	// defaults.
	AuthThrottle throttle.Config
	// DPoPNonce makes every DPoP proof at the token endpoint carry a nonce
	// mint issued (RFC 9449 §8; internal/server/dpop.go).
	DPoPNonce bool
	// Limits are the token endpoint's per-client limits (internal/server/limits.go).
	Limits LimitsConfig
	// FederationAllowHTTP lets trust rules name plain http issuers beyond
	// loopback (internal/server/federation.go).
	FederationAllowHTTP bool

	// Cache sizes the token path's store cache (internal/server/cache.go).
	Cache CacheConfig
	// Traces, when set, traces the token endpoint and the admin API
	// (internal/server/tracing.go); nil traces nothing.
	Traces *tracing.Provider
	Log    *slog.Logger
	Now    func() time.Time
}

// Server is an assembled mint.
type Server struct {
	cfg   Config
	store mint.Store
	keys  *keyring.Ring
	now   func() time.Time
	// Generated holds admin credentials created on a new database, to be
	// shown to the operator once; nil otherwise.
	Generated *Credentials
	handler   http.Handler
	// secretUses batches the last use of client secrets (routes makes it).
	secretUses *clientauth.Recorder
	// keysChanged wakes key maintenance when the keys changed elsewhere.
	keysChanged chan struct{}
	// metrics are the Prometheus metrics (internal/server/metrics.go).
	metrics *metrics.Metrics
	// audit is the audit log (internal/server/audit.go).
	audit auditTrail
	// certs is the TLS certificate, nil without TLS (internal/server/tls.go).
	certs *certificate
	// clientCAs are tls_client_auth's CAs, nil without (internal/server/mtls.go).
	clientCAs *x509.CertPool
	// mtlsHandler serves the mTLS listener, nil without one
	// (internal/server/mtls.go).
	mtlsHandler http.Handler
	// limits are the per-client limits and token reuse (internal/server/limits.go).
	limits limits
	// dash feeds the console dashboard (internal/server/dashboard.go).
	dash dashboardState
}

// New opens the store, loads the keys and bootstraps the admin client.
func New(ctx context.Context, cfg Config) (*Server, error) {
	cfg = withDefaults(cfg)
	store, err := OpenStore(ctx, cfg.DB)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	s := &Server{cfg: cfg, store: store, now: cfg.Now, keysChanged: make(chan struct{}, 1)}
	if err := s.init(ctx); err != nil {
		store.Close()
		return nil, err
	}
	return s, nil
}

func (s *Server) init(ctx context.Context) (err error) {
	if s.certs, err = loadCertificate(s.cfg.HTTP.TLSCertFile, s.cfg.HTTP.TLSKeyFile, s.cfg.Log); err != nil {
		return err
	}
	if s.clientCAs, err = loadClientCAs(s.cfg.HTTP.TLSClientCAFile); err != nil {
		return fmt.Errorf("client CAs: %w", err)
	}
	if s.cfg.HTTP.MTLSListener && s.certs == nil {
		return errMTLSNeedsTLS
	}
	if s.keys, err = s.openKeys(ctx); err != nil {
		return err
	}
	if s.Generated, err = s.bootstrap(ctx); err != nil {
		return err
	}
	if err := s.startAudit(); err != nil {
		return err
	}
	counter, _ := s.store.(mint.TokenCounter)
	s.newReuse()
	s.newDashboard()
	s.useCache()
	s.startLimits(counter)
	s.registerAuditMetrics()
	s.registerTraceMetrics()
	s.handler = withClientAddr(s.cfg.HTTP.TrustedProxies, s.routes())
	s.startDashboard()
	return nil
}

func withDefaults(cfg Config) Config {
	if len(cfg.TokenPaths) == 0 {
		cfg.TokenPaths = []string{DefaultTokenPath}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Traces != nil {
		cfg.Log = tracing.Logger(cfg.Log)
	}
	return cfg
}

// Handler returns mint's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Store returns the store the server runs on.
func (s *Server) Store() mint.Store { return s.store }

// Keys returns the server's key ring.
func (s *Server) Keys() *keyring.Ring { return s.keys }

// Close writes the audit records still buffered and closes the store.
func (s *Server) Close() error {
	s.stopAudit()
	s.stopLimits()
	s.stopDashboard()
	return s.store.Close()
}

func (s *Server) routes() http.Handler {
	log := s.cfg.Log
	mux := http.NewServeMux()
	s.secretUses = &clientauth.Recorder{Store: s.store, Now: s.now, Log: log}
	auth := &clientauth.Authenticator{Store: s.store, Issuer: s.cfg.Issuer, Uses: s.secretUses,
		TokenEndpoint: endpointURL(s.cfg.Issuer, s.cfg.TokenPaths[0]), Now: s.now, Log: log, Audit: s.audit.log,
		Throttle: throttle.New(s.cfg.AuthThrottle), LogLimit: suppressedLines(log, "client authentication failure lines")}
	auth.Federation = s.federation(log)
	endpoint := &token.Endpoint{
		Store: s.store, Keys: s.keys, Issuer: s.cfg.Issuer,
		DefaultAudience: s.cfg.DefaultAudience, Auth: auth, Now: s.now, Log: log, Audit: s.audit.log,
	}
	endpoint.Observe = s.metrics.ObserveToken
	endpoint.Observe = s.withDashboard(endpoint.Observe)
	// Issuance policies (docs/policies.md): one compiled cache for the
	// token path and the admin API, which fills it when a policy is saved.
	policies := &policy.Checker{Log: log, Audit: s.audit.appender, Now: s.now}
	endpoint.Policies = policies
	if err := policies.Warm(context.Background(), s.store); err != nil {
		log.Warn("issuance policies not compiled ahead", "error", err)
	}
	endpoint.DPoP = s.dpopChecker()
	s.tlsClientAuth(auth, endpoint)
	s.limitEndpoint(endpoint)
	s.traceEndpoint(endpoint)
	for _, p := range s.cfg.TokenPaths {
		mux.Handle(p, endpoint)
	}
	state := tokenstate.Config{Store: s.store, Keys: s.keys, Issuer: s.cfg.Issuer, Auth: auth, Now: s.now, Log: log,
		ClientChain: endpoint.ClientChain}
	introspection, revocation := &tokenstate.Introspection{Config: state}, &tokenstate.Revocation{Config: state}
	mux.Handle(tokenstate.IntrospectionPath, introspection)
	mux.Handle(tokenstate.RevocationPath, revocation)
	s.mtlsRoutes(endpoint, introspection, revocation)
	mux.HandleFunc("GET "+jwksPath, s.keys.ServeJWKS)
	mux.Handle("GET /.well-known/oauth-authorization-server", oauth.Handle(log, s.serveMetadata))
	mux.Handle("GET /.well-known/openid-configuration", oauth.Handle(log, s.serveMetadata))
	mux.Handle("/admin/", (&admin.API{Store: s.tracedStore(s.adminStore()), Keys: s.keys, Verifier: s.adminVerifier(), Audit: s.audit.store, Now: s.now, Log: log, Policies: policies,
		Issuer: s.cfg.Issuer, FederationAllowHTTP: s.cfg.FederationAllowHTTP}).Handler())
	mux.Handle(ConsolePath, s.console(mux))
	// A person who opens mint's address in a browser is looking for the
	// console; only "/" itself moves, every other unknown path stays a
	// JSON 404 for programs.
	mux.Handle("GET /{$}", http.RedirectHandler(ConsolePath, http.StatusFound))
	s.mountProbes(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		oauth.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("/", oauth.Handle(log, func(http.ResponseWriter, *http.Request) error {
		return oauth.ErrNotFound.Describe("no such endpoint")
	}))
	return s.traced(accessLog(log, s.quietPath, mux))
}

func (s *Server) adminVerifier() *bearer.Verifier {
	return &bearer.Verifier{
		Issuer: s.cfg.Issuer, Audiences: []string{mint.AdminAudience},
		Keys: s.keys, Now: s.now,
	}
}
