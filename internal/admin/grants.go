package admin

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// grantView is a grant on the wire.
type grantView struct {
	ID        string    `json:"id"`
	ClientID  string    `json:"client_id"`
	Audience  string    `json:"audience"`
	Scopes    []string  `json:"scopes"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func viewGrant(g mint.Grant) grantView {
	return grantView{ID: g.ID, ClientID: g.ClientID, Audience: g.Audience, Scopes: nonNil(g.Scopes),
		CreatedAt: g.CreatedAt.UTC(), UpdatedAt: g.UpdatedAt.UTC()}
}

// createGrantRequest is the body of POST /admin/v1/grants.
type createGrantRequest struct {
	ClientID string   `json:"client_id"`
	Audience string   `json:"audience"`
	Scopes   []string `json:"scopes"`
}

func (req *createGrantRequest) Validate() error {
	if req.ClientID == "" {
		return invalid("client_id", "client_id is required")
	}
	if err := validAudience(req.Audience); err != nil {
		return err
	}
	return validScopes(req.Scopes)
}

// patchGrantRequest is the body of PATCH /admin/v1/grants/{id}: only the
// scopes may change.
type patchGrantRequest struct {
	ClientID *string  `json:"client_id"` // refused
	Audience *string  `json:"audience"`  // refused
	Scopes   []string `json:"scopes"`
}

func (req *patchGrantRequest) Validate() error {
	if req.ClientID != nil {
		return invalid("client_id", "client_id cannot be changed")
	}
	if req.Audience != nil {
		return invalid("audience", "audience cannot be changed")
	}
	return validScopes(req.Scopes)
}

// allowedScopes checks that a grant asks only for scopes its API defines.
func allowedScopes(api mint.API, scopes []string) error {
	for _, s := range scopes {
		if !slices.Contains(api.Scopes, s) {
			return invalid("scopes", "scope %q is not a scope of the API %s", s, api.Audience)
		}
	}
	return nil
}

func (a *API) createGrant(w http.ResponseWriter, r *http.Request, who *bearer.Claims) error {
	var req createGrantRequest
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	ctx := r.Context()
	if _, err := a.Store.GetClient(ctx, req.ClientID); err != nil {
		return referenceError(err, "client_id", "no client has this client_id")
	}
	api, err := a.Store.GetAPIByAudience(ctx, req.Audience)
	if err != nil {
		return referenceError(err, "audience", "no API has this audience")
	}
	if err := allowedScopes(api, req.Scopes); err != nil {
		return err
	}
	if err := mayGrant(who, req.Audience, nil, req.Scopes); err != nil {
		return err
	}
	now := a.now()
	g := mint.Grant{ID: mint.NewID("grant"), ClientID: req.ClientID, Audience: req.Audience,
		Scopes: nonNil(req.Scopes), CreatedAt: now, UpdatedAt: now}
	actx, ch := a.audited(r, who, "admin.grants.create", g.ID)
	ch.clientID, ch.after = g.ClientID, viewGrant(g)
	if err := a.Store.CreateGrant(actx, g); err != nil {
		if errors.Is(err, mint.ErrNotFound) { // deleted since the checks above
			return invalid("client_id", "the client or the API no longer exists")
		}
		if errors.Is(err, mint.ErrConflict) {
			return oauth.ErrConflict.Describe("the client already has a grant for this audience").
				WithField("audience").WithCause(err)
		}
		return storeError(err, "grant")
	}
	a.changed(r, who, g.ID)
	return created(w, "/admin/v1/grants/"+g.ID, viewGrant(g))
}

// referenceError reports a missing resource named in the body as a 400 on
// that field; 404 is for the resource the URL names.
func referenceError(err error, field, desc string) error {
	if errors.Is(err, mint.ErrNotFound) {
		return invalid(field, "%s", desc)
	}
	return storeError(err, field)
}

func (a *API) listGrants(w http.ResponseWriter, r *http.Request, _ *bearer.Claims) error {
	q, err := grantQuery(r)
	if err != nil {
		return err
	}
	grants, next, err := a.Store.ListGrantsPage(r.Context(), q)
	if err != nil {
		return storeError(err, "grant")
	}
	views := make([]grantView, len(grants))
	for i, g := range grants {
		views[i] = viewGrant(g)
	}
	writePage(w, r, views, next)
	return nil
}

// grantQuery reads a grant list's page and its filters, ?client_id= and
// ?audience=.
func grantQuery(r *http.Request) (mint.GrantQuery, error) {
	page, err := readPage(r)
	if err != nil {
		return mint.GrantQuery{}, err
	}
	clientID, err := readFilter(r, "client_id")
	if err != nil {
		return mint.GrantQuery{}, err
	}
	audience, err := readFilter(r, "audience")
	if err != nil {
		return mint.GrantQuery{}, err
	}
	return mint.GrantQuery{Page: page, ClientID: clientID, Audience: audience}, nil
}

func (a *API) getGrant(w http.ResponseWriter, r *http.Request, _ *bearer.Claims) error {
	g, err := a.Store.GetGrant(r.Context(), r.PathValue("id"))
	if err != nil {
		return storeError(err, "grant")
	}
	oauth.WriteJSON(w, http.StatusOK, viewGrant(g))
	return nil
}

// patchGrant replaces a grant's scopes, which must stay within the API's.
func (a *API) patchGrant(w http.ResponseWriter, r *http.Request, who *bearer.Claims) error {
	var req patchGrantRequest
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	ctx := r.Context()
	g, err := a.Store.GetGrant(ctx, r.PathValue("id"))
	if err != nil {
		return storeError(err, "grant")
	}
	if req.Scopes == nil {
		oauth.WriteJSON(w, http.StatusOK, viewGrant(g))
		return nil
	}
	api, err := a.Store.GetAPIByAudience(ctx, g.Audience)
	if err != nil {
		return storeError(err, "grant") // the API went, and its grants with it
	}
	if err := allowedScopes(api, req.Scopes); err != nil {
		return err
	}
	now := a.now()
	actx, ch := a.audited(r, who, "admin.grants.update", g.ID)
	ch.clientID = g.ClientID
	g, err = a.Store.UpdateGrant(actx, g.ID, func(g mint.Grant) (mint.Grant, error) {
		ch.before = viewGrant(g)
		// Checked on the grant as the transaction sees it, so that a
		// concurrent change cannot slip between check and write.
		if err := mayGrant(who, g.Audience, g.Scopes, req.Scopes); err != nil {
			return g, err
		}
		g.Scopes, g.UpdatedAt = req.Scopes, now
		ch.after = viewGrant(g)
		return g, nil
	})
	if err != nil {
		return storeError(err, "grant")
	}
	a.changed(r, who, g.ID)
	oauth.WriteJSON(w, http.StatusOK, viewGrant(g))
	return nil
}

func (a *API) deleteGrant(w http.ResponseWriter, r *http.Request, who *bearer.Claims) error {
	id := r.PathValue("id")
	before, err := a.Store.GetGrant(r.Context(), id)
	if err != nil {
		return storeError(err, "grant")
	}
	if err := mayGrant(who, before.Audience, before.Scopes, nil); err != nil {
		return err
	}
	ctx, ch := a.audited(r, who, "admin.grants.delete", id)
	ch.clientID, ch.before = before.ClientID, viewGrant(before)
	if err := a.Store.DeleteGrant(ctx, id); err != nil {
		return storeError(err, "grant")
	}
	a.changed(r, who, id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
