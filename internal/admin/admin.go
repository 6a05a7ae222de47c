package admin

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/policy"
	"github.com/mintauth/mint/oauth"
)

// API serves the admin API. Store, Verifier and Log are required; Now
// defaults to time.Now.
type API struct {
	Store mint.Store
	// Keys lists and rotates the signing keys (the server wires mint's key
	// ring); without it the keys routes answer 404.
	Keys KeyRing
	// Verifier checks admin tokens: its Audiences must be
	// {mint.AdminAudience}, and the server wires mint's key ring as its
	// KeySource.
	Verifier *bearer.Verifier
	// Audit reads the audit log for the audit routes (without it they
	// answer 404). Every change is recorded whether or not it is set: the
	// handlers give the record to Store with mint.WithAudit.
	Audit mint.AuditStore
	// Issuer is mint's issuer URL: the default audience of a trust rule
	// (issue 18), and an issuer no rule may name.
	Issuer string
	// FederationAllowHTTP lets trust rules name plain http issuers beyond
	// loopback (mint serve --federation-allow-http).
	FederationAllowHTTP bool
	Now                 func() time.Time
	Log                 *slog.Logger
	// Policies, when set, is the token path's policy cache: a policy
	// saved here is kept compiled in it (package policy).
	Policies *policy.Checker
}

// handlerFunc is an admin route: it runs once the caller is authenticated
// and holds the route's scope, and gets the caller's verified claims.
type handlerFunc func(w http.ResponseWriter, r *http.Request, who *bearer.Claims) error

type route struct {
	method, path, scope string
	serve               handlerFunc
}

func (a *API) routes() []route {
	return []route{
		{"POST", "/admin/v1/apis", "apis:write", a.createAPI},
		{"GET", "/admin/v1/apis", "apis:read", a.listAPIs},
		{"GET", "/admin/v1/apis/{id}", "apis:read", a.getAPI},
		{"PATCH", "/admin/v1/apis/{id}", "apis:write", a.patchAPI},
		{"DELETE", "/admin/v1/apis/{id}", "apis:write", a.deleteAPI},
		{"POST", "/admin/v1/clients", "clients:write", a.createClient},
		{"GET", "/admin/v1/clients", "clients:read", a.listClients},
		{"GET", "/admin/v1/clients/{client_id}", "clients:read", a.getClient},
		{"PATCH", "/admin/v1/clients/{client_id}", "clients:write", a.patchClient},
		{"DELETE", "/admin/v1/clients/{client_id}", "clients:write", a.deleteClient},
		{"POST", "/admin/v1/clients/{client_id}/rotate-secret", "clients:write", a.rotateSecret},
		{"POST", federatedBasePath, "clients:write", a.createFederated},
		{"GET", federatedBasePath, "clients:read", a.listFederated},
		{"GET", federatedBasePath + "/{id}", "clients:read", a.getFederated},
		{"DELETE", federatedBasePath + "/{id}", "clients:write", a.deleteFederated},
		{"POST", "/admin/v1/grants", "grants:write", a.createGrant},
		{"GET", "/admin/v1/grants", "grants:read", a.listGrants},
		{"GET", "/admin/v1/grants/{id}", "grants:read", a.getGrant},
		{"PATCH", "/admin/v1/grants/{id}", "grants:write", a.patchGrant},
		{"DELETE", "/admin/v1/grants/{id}", "grants:write", a.deleteGrant},
		{"GET", "/admin/v1/keys", "keys:read", a.listKeys},
		{"POST", "/admin/v1/keys/rotate", "keys:write", a.rotateKey},
		{"GET", "/admin/v1/audit", "audit:read", a.listAudit},
		{"GET", "/admin/v1/audit/verify", "audit:read", a.verifyAudit},
		{"DELETE", "/admin/v1/token", "", a.revokeOwnToken},
	}
}

// Handler serves the full paths /admin/v1/…; mount it at "/admin/". Unknown
// paths answer a JSON 404 and known paths with another method a JSON 405
// with Allow, both only to an authenticated caller.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	var paths []string
	allow := map[string][]string{}
	for _, rt := range a.routes() {
		mux.Handle(rt.method+" "+rt.path, a.handle(rt.scope, rt.serve))
		if allow[rt.path] == nil {
			paths = append(paths, rt.path)
		}
		allow[rt.path] = append(allow[rt.path], rt.method)
	}
	// A pattern without a method is less specific than the same path with
	// one, so these catch only the methods not listed.
	for _, p := range paths {
		mux.Handle(p, a.handle("", methodNotAllowed(allow[p])))
	}
	mux.Handle("/admin/", a.handle("", notFound))
	return mux
}

// handle authenticates the request, checks scope (none for ""), and renders
// what serve returns.
func (a *API) handle(scope string, serve handlerFunc) http.Handler {
	return oauth.Handle(a.log(), func(w http.ResponseWriter, r *http.Request) error {
		who, err := a.authenticate(r)
		if err != nil {
			return err
		}
		if err := requireScope(who, scope); err != nil {
			return err
		}
		return describeUnavailable(serve(w, r, who))
	})
}

func methodNotAllowed(methods []string) handlerFunc {
	allow := strings.Join(methods, ", ")
	return func(w http.ResponseWriter, r *http.Request, _ *bearer.Claims) error {
		return oauth.ErrMethodNotAllowed.
			Describe("method %s is not allowed here; allowed: %s", r.Method, allow).
			WithHeader("Allow", allow)
	}
}

func notFound(w http.ResponseWriter, r *http.Request, _ *bearer.Claims) error {
	return oauth.ErrNotFound.Describe("no admin API resource at this path")
}

// changed logs a change an admin made, at Info: who made it, through which
// route, to which resource. Never a secret.
func (a *API) changed(r *http.Request, who *bearer.Claims, id string) {
	a.log().InfoContext(r.Context(), "admin change",
		"admin_client", who.ClientID, "route", r.Pattern, "id", id)
}

func (a *API) now() time.Time {
	if a.Now == nil {
		return time.Now().UTC()
	}
	return a.Now().UTC()
}

func (a *API) log() *slog.Logger {
	if a.Log == nil {
		return slog.Default()
	}
	return a.Log
}

// created writes v as the 201 answer to a create, with its Location.
func created(w http.ResponseWriter, location string, v any) error {
	w.Header().Set("Location", location)
	oauth.WriteJSON(w, http.StatusCreated, v)
	return nil
}

// storeError turns a Store error into what the client sees: what names the
// resource, e.g. "API".
func storeError(err error, what string) error {
	var e *oauth.Error
	switch {
	case errors.As(err, &e): // from an update function, returned unchanged
		return e
	case errors.Is(err, mint.ErrNotFound):
		return oauth.ErrNotFound.Describe("%s not found", what).WithCause(err)
	case errors.Is(err, mint.ErrConflict):
		return oauth.ErrConflict.Describe("%s conflicts with an existing one", what).WithCause(err)
	}
	return oauth.ErrServer.WithCause(err)
}
