package admin

import (
	"net/http"
	"slices"
	"time"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/internal/audit"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// apiView is an API on the wire.
type apiView struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"`
	Audience      string   `json:"audience"`
	Scopes        []string `json:"scopes"`
	TokenLifetime int64    `json:"token_lifetime"`
	SigningAlg    string   `json:"signing_alg"`
	AuditIssuance string   `json:"audit_issuance"`
	// TokenBinding is shown when set (docs/sender-constrained.md).
	TokenBinding string `json:"token_binding,omitempty"`
	// TokenReuse is shown when on (docs/limits.md).
	TokenReuse bool `json:"token_reuse,omitempty"`
	// Policy is the API's issuance policy (docs/policies.md), shown when
	// set.
	Policy    string    `json:"policy,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func viewAPI(api mint.API) apiView {
	return apiView{
		ID: api.ID, Name: api.Name, Audience: api.Audience, Scopes: nonNil(api.Scopes),
		TokenLifetime: seconds(api.TokenLifetime), SigningAlg: api.Alg(), AuditIssuance: auditIssuance(api),
		TokenReuse: api.TokenReuse, Policy: api.Policy, CreatedAt: api.CreatedAt.UTC(), UpdatedAt: api.UpdatedAt.UTC(),
		TokenBinding: api.TokenBinding,
	}
}

// createAPIRequest is the body of POST /admin/v1/apis.
type createAPIRequest struct {
	Name          string   `json:"name"`
	Audience      string   `json:"audience"`
	Scopes        []string `json:"scopes"`
	TokenLifetime *int64   `json:"token_lifetime"`
	SigningAlg    string   `json:"signing_alg"` // default RS256
	// AuditIssuance: "all" (default), "sample:N" or "off".
	AuditIssuance string `json:"audit_issuance"`
	// TokenBinding: "" (default: bearer, or DPoP-bound when the request
	// sends a proof) or "dpop" (DPoP-bound tokens only).
	TokenBinding string `json:"token_binding"`
	// TokenReuse: repeated requests get the token issued before while
	// more than half its lifetime remains (docs/limits.md). Default false.
	TokenReuse bool `json:"token_reuse"`
	// Policy: an issuance policy in CEL (docs/policies.md); default none.
	Policy string `json:"policy"`
}

func (req *createAPIRequest) Validate() error {
	if err := validName(req.Name); err != nil {
		return err
	}
	if err := validPolicy(req.Policy); err != nil {
		return err
	}
	if err := validAudience(req.Audience); err != nil {
		return err
	}
	if isAdminAudience(req.Audience) {
		return oauth.ErrConflict.Describe("audience %s (in any case) belongs to the built-in admin API", mint.AdminAudience).
			WithField("audience")
	}
	if err := validScopes(req.Scopes); err != nil {
		return err
	}
	if req.SigningAlg == "" {
		req.SigningAlg = mint.AlgRS256
	}
	if err := validSigningAlg("signing_alg", req.SigningAlg); err != nil {
		return err
	}
	if err := validAuditIssuance(req.AuditIssuance); err != nil {
		return err
	}
	if err := validTokenBinding(&req.TokenBinding); err != nil {
		return err
	}
	if req.TokenLifetime != nil {
		return validTokenLifetime(*req.TokenLifetime)
	}
	return nil
}

// patchAPIRequest is the body of PATCH /admin/v1/apis/{id}; absent fields
// stay unchanged.
type patchAPIRequest struct {
	Name          *string  `json:"name"`
	Audience      *string  `json:"audience"` // refused: the audience never changes
	Scopes        []string `json:"scopes"`
	TokenLifetime *int64   `json:"token_lifetime"`
	// SigningAlg changes the algorithm of new tokens; tokens signed
	// before keep verifying, the JWKS carrying both key rings.
	SigningAlg *string `json:"signing_alg"`
	// TokenBinding: "", "dpop" or "mtls", as on create.
	TokenBinding *string `json:"token_binding"`
	// AuditIssuance: "all", "sample:N" or "off".
	AuditIssuance *string `json:"audit_issuance"`
	TokenReuse    *bool   `json:"token_reuse"`
	// Policy: "" removes the policy.
	Policy *string `json:"policy"`
}

func (req *patchAPIRequest) Validate() error {
	if req.Audience != nil {
		return invalid("audience", "audience cannot be changed")
	}
	if req.Policy != nil {
		if err := validPolicy(*req.Policy); err != nil {
			return err
		}
	}
	if req.Name != nil {
		if err := validName(*req.Name); err != nil {
			return err
		}
	}
	if err := validScopes(req.Scopes); err != nil {
		return err
	}
	if req.SigningAlg != nil {
		if err := validSigningAlg("signing_alg", *req.SigningAlg); err != nil {
			return err
		}
	}
	if req.AuditIssuance != nil {
		if err := validAuditIssuance(*req.AuditIssuance); err != nil {
			return err
		}
	}
	if err := validTokenBinding(req.TokenBinding); err != nil {
		return err
	}
	if req.TokenLifetime != nil {
		return validTokenLifetime(*req.TokenLifetime)
	}
	return nil
}

// apply merges the request into api, refusing to change the admin API's
// scopes.
func (req *patchAPIRequest) apply(api mint.API, now time.Time) (mint.API, error) {
	if req.Name != nil {
		api.Name = *req.Name
	}
	if req.Scopes != nil {
		if api.Audience == mint.AdminAudience && !sameSet(api.Scopes, req.Scopes) {
			return api, oauth.ErrConflict.Describe("the scopes of the built-in admin API cannot change").
				WithField("scopes")
		}
		api.Scopes = req.Scopes
	}
	if req.TokenLifetime != nil {
		api.TokenLifetime = time.Duration(*req.TokenLifetime) * time.Second
	}
	if req.SigningAlg != nil {
		api.SigningAlg = *req.SigningAlg
	}
	if req.AuditIssuance != nil {
		api.AuditIssuance = *req.AuditIssuance
	}
	if req.TokenReuse != nil {
		api.TokenReuse = *req.TokenReuse
	}
	if req.Policy != nil {
		if api.Audience == mint.AdminAudience && *req.Policy != "" {
			return api, errAdminPolicy
		}
		api.Policy = *req.Policy
	}
	if req.TokenBinding != nil {
		if api.Audience == mint.AdminAudience && *req.TokenBinding != "" {
			return api, errAdminBinding
		}
		api.TokenBinding = *req.TokenBinding
	}
	api.UpdatedAt = now
	return api, nil
}

func (a *API) createAPI(w http.ResponseWriter, r *http.Request, who *bearer.Claims) error {
	var req createAPIRequest
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	now := a.now()
	api := mint.API{
		ID: mint.NewID("api"), Name: req.Name, Audience: req.Audience,
		Scopes: nonNil(req.Scopes), TokenLifetime: mint.DefaultTokenLifetime,
		SigningAlg: req.SigningAlg, AuditIssuance: req.AuditIssuance, TokenReuse: req.TokenReuse, Policy: req.Policy,
		CreatedAt: now, UpdatedAt: now,
		TokenBinding: req.TokenBinding,
	}
	if req.TokenLifetime != nil {
		api.TokenLifetime = time.Duration(*req.TokenLifetime) * time.Second
	}
	ctx, ch := a.audited(r, who, "admin.apis.create", api.ID)
	ch.after = viewAPI(api)
	if err := a.Store.CreateAPI(ctx, api); err != nil {
		return apiConflict(storeError(err, "API"))
	}
	a.changed(r, who, api.ID)
	a.ensureKey(r, api.Alg())
	a.keepPolicy(api.Policy)
	return created(w, "/admin/v1/apis/"+api.ID, viewAPI(api))
}

// apiConflict names the audience in a conflict: the random ID cannot clash.
func apiConflict(err error) error {
	if e, ok := err.(*oauth.Error); ok && e.Code == oauth.ErrConflict.Code {
		return e.Describe("an API with this audience exists").WithField("audience")
	}
	return err
}

func (a *API) listAPIs(w http.ResponseWriter, r *http.Request, _ *bearer.Claims) error {
	page, err := readPage(r)
	if err != nil {
		return err
	}
	apis, next, err := a.Store.ListAPIsPage(r.Context(), page)
	if err != nil {
		return storeError(err, "API")
	}
	views := make([]apiView, len(apis))
	for i, api := range apis {
		views[i] = viewAPI(api)
	}
	writePage(w, r, views, next)
	return nil
}

func (a *API) getAPI(w http.ResponseWriter, r *http.Request, _ *bearer.Claims) error {
	api, err := a.Store.GetAPI(r.Context(), r.PathValue("id"))
	if err != nil {
		return storeError(err, "API")
	}
	oauth.WriteJSON(w, http.StatusOK, viewAPI(api))
	return nil
}

func (a *API) patchAPI(w http.ResponseWriter, r *http.Request, who *bearer.Claims) error {
	var req patchAPIRequest
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	now := a.now()
	ctx, ch := a.audited(r, who, "admin.apis.update", r.PathValue("id"))
	api, err := a.Store.UpdateAPI(ctx, r.PathValue("id"), func(api mint.API) (mint.API, error) {
		ch.before = viewAPI(api)
		if err := mayChangeAPI(who, api); err != nil {
			return api, err
		}
		api, err := req.apply(api, now)
		ch.after = viewAPI(api)
		return api, err
	})
	if err != nil {
		return storeError(err, "API")
	}
	a.changed(r, who, api.ID)
	a.ensureKey(r, api.Alg())
	a.keepPolicy(api.Policy)
	oauth.WriteJSON(w, http.StatusOK, viewAPI(api))
	return nil
}

func (a *API) deleteAPI(w http.ResponseWriter, r *http.Request, who *bearer.Claims) error {
	id := r.PathValue("id")
	api, err := a.Store.GetAPI(r.Context(), id)
	if err != nil {
		return storeError(err, "API")
	}
	if err := mayChangeAPI(who, api); err != nil {
		return err
	}
	if api.Audience == mint.AdminAudience {
		return oauth.ErrConflict.Describe("the built-in admin API cannot be deleted")
	}
	ctx, ch := a.audited(r, who, "admin.apis.delete", id)
	ch.before = viewAPI(api)
	if err := a.Store.DeleteAPI(ctx, id); err != nil {
		return storeError(err, "API")
	}
	a.changed(r, who, id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// ensureKey has the key ring make a key for alg if it has none, so that
// the key is published before the API's first token. A failure is only
// logged: the first token request makes the key then.
func (a *API) ensureKey(r *http.Request, alg string) {
	if a.Keys == nil {
		return
	}
	if err := a.Keys.EnsureKey(r.Context(), alg); err != nil {
		a.log().WarnContext(r.Context(), "make signing key", "algorithm", alg, "error", err)
	}
}

// auditIssuance shows an API's setting, "all" when unset.
func auditIssuance(api mint.API) string {
	if api.AuditIssuance == "" {
		return mint.AuditAll
	}
	return api.AuditIssuance
}

func validAuditIssuance(s string) error {
	if _, err := audit.ParseIssuance(s); err != nil {
		return invalid("audit_issuance", "%s", err.Error())
	}
	return nil
}
