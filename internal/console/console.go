package console

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/mintauth/mint/internal/dashboard"
)

// Path is where the console is mounted.
const Path = "/console/"

// Cookie names. Both are HttpOnly, SameSite=Strict, Path=/console.
const (
	sessionCookie = "mint_console"
	flashCookie   = "mint_console_flash"
	// signInCookie carries the sign-in form's CSRF token before there is
	// a session (double submit).
	signInCookie = "mint_console_signin"
)

// Config is what the console is built from.
type Config struct {
	// Backend serves mint's token endpoint and admin API (/admin/v1/…);
	// the console calls it in process. The server passes its own routes.
	Backend http.Handler
	// TokenPath is the token endpoint's path on Backend, e.g.
	// "/oauth/token"; TokenURL its public URL, shown in snippets.
	TokenPath string
	TokenURL  string
	// MasterKey is mint's master key (at least 32 bytes); the key that
	// seals session cookies is derived from it with HKDF-SHA256.
	MasterKey []byte
	// TokenRates reads the gauge mint_tokens_per_lifetime of this
	// process for the clients named (those a page shows): for each of
	// their audiences that took a token lately, how many tokens it took
	// during the last token lifetime, or the part of it mint has counted.
	// Nil: the clients page shows "—".
	TokenRates func(clientIDs []string) []TokenRate
	// Dashboard reads the last minutes of the token endpoint's outcomes,
	// naming the top APIs, clients and pairs (package dashboard). Nil: the
	// dashboard page says there are no numbers.
	Dashboard func(minutes, top int) dashboard.Snapshot
	Now       func() time.Time
	Log       *slog.Logger
}

// TokenRate is one series of the gauge mint_tokens_per_lifetime.
type TokenRate struct {
	ClientID, Audience string
	// Tokens the client took for the audience during Window.
	Tokens uint64
	// Window is the time counted: the API's token lifetime, or less
	// (mint started more recently; a lifetime longer than a day is
	// counted over the last day).
	Window time.Duration
	// Lifetime is the API's token lifetime.
	Lifetime time.Duration
}

// Console serves the admin console.
type Console struct {
	cfg     Config
	backend *backend
	seal    *sealer
	pages   *pages
	cross   *http.CrossOriginProtection
}

// New builds a console.
func New(cfg Config) (*Console, error) {
	if cfg.Backend == nil || cfg.TokenPath == "" {
		return nil, errors.New("console: Backend and TokenPath are required")
	}
	seal, err := newSealer(cfg.MasterKey)
	if err != nil {
		return nil, err
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	c := &Console{cfg: cfg, backend: &backend{handler: cfg.Backend, tokenPath: cfg.TokenPath},
		seal: seal, pages: pages, cross: http.NewCrossOriginProtection()}
	c.cross.SetDenyHandler(http.HandlerFunc(c.refuseCrossSite))
	return c, nil
}

// Handler serves the console under Path.
func (c *Console) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /console/assets/", assetHandler())
	mux.HandleFunc("GET /console/sign-in", c.signInPage)
	mux.HandleFunc("POST /console/sign-in", c.signIn)
	mux.HandleFunc("GET /console/{$}", c.home)
	for _, rt := range c.routes() {
		mux.Handle(rt.pattern, c.signedIn(rt.serve))
	}
	mux.HandleFunc("/console/", c.notFound)
	return securityHeaders(c.cross.Handler(mux))
}

type route struct {
	pattern string
	serve   pageFunc
}

func (c *Console) routes() []route {
	return []route{
		{"POST /console/sign-out", c.signOut},
		{"GET /console/apis", c.listAPIs},
		{"POST /console/apis", c.createAPI},
		{"GET /console/apis/{id}", c.showAPI},
		{"POST /console/apis/{id}", c.updateAPI},
		{"POST /console/apis/{id}/delete", c.deleteAPI},
		{"GET /console/clients", c.listClients},
		{"POST /console/clients", c.createClient},
		{"GET /console/clients/{id}", c.showClient},
		{"POST /console/clients/{id}", c.renameClient},
		{"POST /console/clients/{id}/rotate", c.rotateSecret},
		{"POST /console/clients/{id}/policy", c.updateClientPolicy},
		{"POST /console/clients/{id}/delete", c.deleteClient},
		{"POST /console/clients/{id}/grants", c.createGrant},
		{"POST /console/clients/{id}/grants/{grant}", c.updateGrant},
		{"POST /console/clients/{id}/grants/{grant}/delete", c.deleteGrant},
		{"POST /console/clients/{id}/binding", c.updateClientBinding},
		{"POST /console/clients/{id}/tls-auth", c.updateClientTLSAuth},
		{"POST /console/clients/{id}/trust-rules", c.createTrustRule},
		{"POST /console/clients/{id}/trust-rules/{rule}/delete", c.deleteTrustRule},
		{"GET /console/keys", c.listKeys},
		{"POST /console/keys/rotate", c.rotateKey},
		{"GET /console/snippets", c.showSnippets},
		{"GET /console/audit", c.showAudit},
		{"GET /console/dashboard", c.showDashboard},
	}
}

// securityHeaders sets the headers every console answer carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "+
			"frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if !strings.HasPrefix(r.URL.Path, "/console/assets/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

func (c *Console) refuseCrossSite(w http.ResponseWriter, r *http.Request) {
	c.cfg.Log.WarnContext(r.Context(), "console: cross-site request refused",
		"path", r.URL.Path, "origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
	http.Error(w, "Forbidden: cross-site request refused", http.StatusForbidden)
}

func (c *Console) home(w http.ResponseWriter, r *http.Request) {
	if _, err := c.session(r); err != nil {
		http.Redirect(w, r, "/console/sign-in", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/console/apis", http.StatusSeeOther)
}

func (c *Console) notFound(w http.ResponseWriter, r *http.Request) {
	sess, err := c.session(r)
	if err != nil {
		c.refuseUnsigned(w, r)
		return
	}
	c.render(w, r, http.StatusNotFound, "error", &view{Session: sess, Title: "Not found",
		Data: errorData{Message: "There is no console page at " + r.URL.Path + "."}})
}
