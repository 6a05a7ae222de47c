package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"time"
	"unicode"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/internal/federation"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// Bounds and defaults of a trust rule (issue 18).
const (
	defaultMaxAge     = time.Hour
	maxRuleURL        = 512
	maxRuleSubject    = 512
	maxRuleClaims     = 16
	maxRuleClaimName  = 128
	federatedBasePath = "/admin/v1/clients/{client_id}/federated-credentials"
	// maxKeyAssertionAge is stored as a key location's max_age: what
	// private_key_jwt allows its assertions (clientauth.MaxAssertionLifetime).
	maxKeyAssertionAge = 10 * time.Minute
)

// registeredClaims are checked by the rule's own fields (issuer, subject,
// audience, max_age) or by every rule: a condition on them is refused so
// that no rule reads as if it loosened them.
var registeredClaims = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti"}

// federatedView is a trust rule as the admin API shows it.
type federatedView struct {
	ID       string            `json:"id"`
	ClientID string            `json:"client_id"`
	Issuer   string            `json:"issuer"`
	Subject  string            `json:"subject"`
	Audience string            `json:"audience"`
	Claims   map[string]string `json:"claims"`
	// MaxAge is in seconds.
	MaxAge  int64  `json:"max_age"`
	JWKSURI string `json:"jwks_uri,omitempty"`
	// Bundle is a SPIFFE rule's static bundle, a JWK Set.
	Bundle    json.RawMessage `json:"bundle,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
}

func viewFederated(fc mint.FederatedCredential) federatedView {
	fc = spiffeView(fc)
	claims := fc.Claims
	if claims == nil {
		claims = map[string]string{}
	}
	return federatedView{ID: fc.ID, ClientID: fc.ClientID, Issuer: fc.Issuer, Subject: fc.Subject,
		Audience: fc.Audience, Claims: claims, MaxAge: int64(fc.MaxAge / time.Second),
		JWKSURI: fc.JWKSURI, Bundle: bundleView(fc.Bundle), CreatedAt: fc.CreatedAt.UTC()}
}

// federatedRequest is the body of POST …/federated-credentials.
type federatedRequest struct {
	Issuer   string            `json:"issuer"`
	Subject  string            `json:"subject"`
	Audience string            `json:"audience"`
	Claims   map[string]string `json:"claims"`
	// MaxAge in seconds; absent: one hour.
	MaxAge  *int64 `json:"max_age"`
	JWKSURI string `json:"jwks_uri"`
	// Bundle: a SPIFFE rule's static bundle instead of a jwks_uri.
	Bundle json.RawMessage `json:"bundle"`

	allowHTTP bool // API.FederationAllowHTTP
}

// keyLocation reports whether req only says where the client's own
// private_key_jwt keys are: a jwks_uri and nothing else.
func (req *federatedRequest) keyLocation() bool {
	return req.Issuer == "" && req.Subject == "" && req.Audience == "" && len(req.Claims) == 0 &&
		req.MaxAge == nil && req.JWKSURI != "" && len(req.Bundle) == 0
}

func (req *federatedRequest) Validate() error {
	if string(req.Bundle) == "null" {
		req.Bundle = nil
	}
	if req.keyLocation() {
		if len(req.JWKSURI) > maxRuleURL {
			return invalid("jwks_uri", "jwks_uri must be at most %d bytes", maxRuleURL)
		}
		if err := federation.CheckKeyURL(req.JWKSURI, req.allowHTTP); err != nil {
			return invalid("jwks_uri", "%v", err)
		}
		return nil
	}
	if len(req.Issuer) > maxRuleURL || req.Issuer == "" {
		return invalid("issuer", "issuer is required, at most %d bytes", maxRuleURL)
	}
	if federation.IsSPIFFE(req.Issuer) {
		if err := req.validateSPIFFE(); err != nil {
			return err
		}
		return req.validateConditions()
	}
	if len(req.Bundle) != 0 {
		return invalid("bundle", "bundle is for SPIFFE rules only, whose issuer is spiffe://TRUST-DOMAIN")
	}
	if len(req.JWKSURI) > maxRuleURL {
		return invalid("jwks_uri", "jwks_uri must be at most %d bytes", maxRuleURL)
	}
	if err := federation.CheckURLs(req.Issuer, req.JWKSURI, req.allowHTTP); err != nil {
		field := "issuer"
		if federation.CheckURLs(req.Issuer, "", req.allowHTTP) == nil {
			field = "jwks_uri"
		}
		return invalid(field, "%v", err)
	}
	if err := validRuleText("subject", req.Subject, maxRuleSubject); err != nil {
		return err
	}
	if req.Subject == req.Issuer {
		return invalid("subject", "subject must differ from issuer: an assertion whose iss and sub are equal is a client's own private_key_jwt assertion")
	}
	return req.validateConditions()
}

// validateConditions checks what every kind of rule may set beyond
// issuer, subject and jwks_uri.
func (req *federatedRequest) validateConditions() error {
	if req.Audience != "" {
		if err := validRuleText("audience", req.Audience, maxRuleURL); err != nil {
			return err
		}
	}
	if err := validRuleClaims(req.Claims); err != nil {
		return err
	}
	if req.MaxAge != nil && (*req.MaxAge < 1 || *req.MaxAge > int64(federation.MaxMaxAge/time.Second)) {
		return invalid("max_age", "max_age must be 1 to %d seconds", int64(federation.MaxMaxAge/time.Second))
	}
	return nil
}

func validRuleText(field, v string, max int) error {
	switch {
	case v == "":
		return invalid(field, "%s is required", field)
	case len(v) > max:
		return invalid(field, "%s must be at most %d bytes", field, max)
	case hasRune(v, unicode.IsControl):
		return invalid(field, "%s must not contain control characters", field)
	}
	return nil
}

func validRuleClaims(claims map[string]string) error {
	if len(claims) > maxRuleClaims {
		return invalid("claims", "claims may hold at most %d conditions", maxRuleClaims)
	}
	for name, pattern := range claims {
		if err := validRuleText("claims", name, maxRuleClaimName); err != nil {
			return invalid("claims", "a claim name must be 1 to %d bytes without control characters", maxRuleClaimName)
		}
		if slices.Contains(registeredClaims, name) {
			return invalid("claims", "claims must not set %q: the rule's issuer, subject, audience and max_age, and the checks every rule makes, cover it", name)
		}
		if err := federation.ValidPattern(pattern); err != nil {
			return invalid("claims", "the condition on %q %v", name, err)
		}
	}
	return nil
}

func (a *API) createFederated(w http.ResponseWriter, r *http.Request, who *bearer.Claims) error {
	req := federatedRequest{allowHTTP: a.FederationAllowHTTP}
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	clientID := r.PathValue("client_id")
	if err := a.mayTakeOverClient(r.Context(), who, clientID); err != nil {
		return err
	}
	fc, err := a.newFederated(r.Context(), clientID, req)
	if err != nil {
		return err
	}
	ctx, ch := a.audited(r, who, "admin.clients.federated-credentials.create", fc.ID)
	ch.clientID, ch.after = clientID, viewFederated(fc)
	if err := a.federatedStore().CreateFederatedCredential(ctx, fc); err != nil {
		if errors.Is(err, mint.ErrConflict) {
			return oauth.ErrConflict.Describe("a client holds at most %d federated credentials", mint.MaxFederatedCredentials).WithCause(err)
		}
		return storeError(err, "client")
	}
	a.changed(r, who, fc.ID)
	return created(w, "/admin/v1/clients/"+clientID+"/federated-credentials/"+fc.ID, viewFederated(fc))
}

// newFederated makes the rule req asks for, refusing an audience that
// mint's own access tokens carry: a rule must never accept them.
func (a *API) newFederated(ctx context.Context, clientID string, req federatedRequest) (mint.FederatedCredential, error) {
	if req.keyLocation() {
		// The client's own keys: its id as issuer and subject, as its
		// private_key_jwt assertions have them (federation.IsKeyLocation).
		return mint.FederatedCredential{ID: mint.NewID("fed"), ClientID: clientID, Issuer: clientID, Subject: clientID,
			MaxAge: maxKeyAssertionAge, JWKSURI: req.JWKSURI, CreatedAt: a.now()}, nil
	}
	if req.Issuer == a.Issuer && a.Issuer != "" {
		return mint.FederatedCredential{}, invalid("issuer", "issuer must not be this server: its own tokens are never assertions")
	}
	aud := req.Audience
	if aud == "" {
		aud = a.Issuer
	}
	if aud == "" {
		return mint.FederatedCredential{}, invalid("audience", "audience is required: this server has no issuer URL to default to")
	}
	_, err := a.Store.GetAPIByAudience(ctx, aud)
	switch {
	case err == nil || aud == mint.AdminAudience:
		return mint.FederatedCredential{}, invalid("audience", "audience must not be an API's audience on this server: a rule must never accept this server's own access tokens")
	case !errors.Is(err, mint.ErrNotFound):
		return mint.FederatedCredential{}, storeError(err, "API")
	}
	maxAge := defaultMaxAge
	if req.MaxAge != nil {
		maxAge = time.Duration(*req.MaxAge) * time.Second
	}
	subject, claims := req.Subject, req.Claims
	if federation.IsSPIFFE(req.Issuer) {
		subject, claims = spiffeStored(subject, claims)
	}
	return mint.FederatedCredential{ID: mint.NewID("fed"), ClientID: clientID, Issuer: req.Issuer,
		Subject: subject, Audience: aud, Claims: claims, MaxAge: maxAge, JWKSURI: req.JWKSURI, Bundle: compactBundle(req.Bundle),
		CreatedAt: a.now()}, nil
}

func (a *API) listFederated(w http.ResponseWriter, r *http.Request, _ *bearer.Claims) error {
	rules, err := a.federatedStore().ListFederatedCredentials(r.Context(), r.PathValue("client_id"))
	if err != nil {
		return storeError(err, "client")
	}
	views := make([]federatedView, len(rules))
	for i, fc := range rules {
		views[i] = viewFederated(fc)
	}
	// At most mint.MaxFederatedCredentials: one page, shaped as lists are.
	oauth.WriteJSON(w, http.StatusOK, map[string]any{"items": views})
	return nil
}

func (a *API) getFederated(w http.ResponseWriter, r *http.Request, _ *bearer.Claims) error {
	fc, err := a.federatedStore().GetFederatedCredential(r.Context(), r.PathValue("client_id"), r.PathValue("id"))
	if err != nil {
		return storeError(err, "federated credential")
	}
	oauth.WriteJSON(w, http.StatusOK, viewFederated(fc))
	return nil
}

func (a *API) deleteFederated(w http.ResponseWriter, r *http.Request, who *bearer.Claims) error {
	clientID, id := r.PathValue("client_id"), r.PathValue("id")
	fs := a.federatedStore()
	before, err := fs.GetFederatedCredential(r.Context(), clientID, id)
	if err != nil {
		return storeError(err, "federated credential")
	}
	if err := a.mayTakeOverClient(r.Context(), who, clientID); err != nil {
		return err
	}
	ctx, ch := a.audited(r, who, "admin.clients.federated-credentials.delete", id)
	ch.clientID, ch.before = clientID, viewFederated(before)
	if err := fs.DeleteFederatedCredential(ctx, clientID, id); err != nil {
		return storeError(err, "federated credential")
	}
	a.changed(r, who, id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// federatedStore is the Store's trust rules; both backends and the store
// cache keep them.
func (a *API) federatedStore() mint.FederatedStore {
	if fs, ok := a.Store.(mint.FederatedStore); ok {
		return fs
	}
	return noFederated{}
}

// noFederated answers for a Store without trust rules (test doubles).
type noFederated struct{}

var errNoFederated = errors.New("this store keeps no federated credentials")

func (noFederated) CreateFederatedCredential(context.Context, mint.FederatedCredential) error {
	return errNoFederated
}
func (noFederated) GetFederatedCredential(context.Context, string, string) (mint.FederatedCredential, error) {
	return mint.FederatedCredential{}, errNoFederated
}
func (noFederated) ListFederatedCredentials(context.Context, string) ([]mint.FederatedCredential, error) {
	return nil, errNoFederated
}
func (noFederated) DeleteFederatedCredential(context.Context, string, string) error {
	return errNoFederated
}
func (noFederated) FindFederatedCredentials(context.Context, string, string) ([]mint.FederatedCredential, error) {
	return nil, errNoFederated
}
