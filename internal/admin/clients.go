package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
	"github.com/mintauth/mint/oauth"
)

// clientView is a client as GET and list show it: its secrets' metadata,
// never a secret.
type clientView struct {
	ClientID string `json:"client_id"`
	Name     string `json:"name"`
	// JWKS is the client's public keys for private_key_jwt; absent when
	// it has none.
	JWKS                json.RawMessage `json:"jwks,omitempty"`
	IntrospectAll       bool            `json:"introspect_all"`
	TokensRevokedBefore *time.Time      `json:"tokens_revoked_before,omitempty"`
	// TokenBinding is shown when set (docs/sender-constrained.md).
	TokenBinding string `json:"token_binding,omitempty"`
	// The RFC 8705 §2 registration, when set (tlsauth.go).
	tlsAuthFields
	// TokensPerHour and TokensPerDay are shown when the client has its
	// own (0: unlimited); absent, the server's defaults apply.
	TokensPerHour *int64 `json:"tokens_per_hour,omitempty"`
	TokensPerDay  *int64 `json:"tokens_per_day,omitempty"`
	// Metadata feeds the issuance policies (docs/policies.md); absent
	// when the client has none. Policy is the client's own policy.
	Metadata  map[string]string `json:"metadata,omitempty"`
	Policy    string            `json:"policy,omitempty"`
	Secrets   []secretView      `json:"secrets"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// clientWithSecret is a client as create and rotate-secret show it: with
// the new secret, the one time it is ever shown.
type clientWithSecret struct {
	ClientID      string            `json:"client_id"`
	Name          string            `json:"name"`
	ClientSecret  string            `json:"client_secret"`
	JWKS          json.RawMessage   `json:"jwks,omitempty"`
	IntrospectAll bool              `json:"introspect_all"`
	TokensPerHour *int64            `json:"tokens_per_hour,omitempty"`
	TokensPerDay  *int64            `json:"tokens_per_day,omitempty"`
	Metadata      map[string]string `json:"metadata,omitempty"`
	Policy        string            `json:"policy,omitempty"`
	CreatedAt     time.Time         `json:"created_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
}

type secretView struct {
	ID         string     `json:"id"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

func viewClient(c mint.Client, secrets []mint.Secret) clientView {
	v := clientView{ClientID: c.ID, Name: c.Name, JWKS: jwksJSON(c.JWKS), IntrospectAll: c.IntrospectAll,
		TokensRevokedBefore: optionalTime(c.TokensRevokedBefore), Secrets: []secretView{},
		TokensPerHour: c.TokensPerHour, TokensPerDay: c.TokensPerDay,
		Metadata: metadataView(c.Metadata), Policy: c.Policy,
		TokenBinding: c.TokenBinding, tlsAuthFields: viewTLSAuth(c.TLSAuth),
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
	for _, s := range secrets {
		v.Secrets = append(v.Secrets, secretView{ID: s.ID, CreatedAt: s.CreatedAt.UTC(),
			ExpiresAt: optionalTime(s.ExpiresAt), LastUsedAt: optionalTime(s.LastUsedAt)})
	}
	return v
}

func withSecret(c mint.Client, plain string) clientWithSecret {
	return clientWithSecret{ClientID: c.ID, Name: c.Name, ClientSecret: plain,
		JWKS: jwksJSON(c.JWKS), IntrospectAll: c.IntrospectAll,
		TokensPerHour: c.TokensPerHour, TokensPerDay: c.TokensPerDay, Metadata: metadataView(c.Metadata), Policy: c.Policy,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC()}
}

// jwksJSON shows a stored JWKS, nil (absent) when there is none.
func jwksJSON(stored []byte) json.RawMessage {
	if len(stored) == 0 {
		return nil
	}
	return json.RawMessage(stored)
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// clientRequest is the body of POST /admin/v1/clients.
type clientRequest struct {
	Name          string          `json:"name"`
	JWKS          json.RawMessage `json:"jwks"`
	IntrospectAll bool            `json:"introspect_all"`
	// TokenBinding: "" (default) or "dpop" (DPoP-bound tokens only).
	TokenBinding string `json:"token_binding"`
	// The RFC 8705 §2 registration: at most one (tlsauth.go).
	tlsAuthFields
	// TokensPerHour and TokensPerDay: absent or null, the server's
	// defaults; 0, unlimited (docs/limits.md).
	TokensPerHour quotaField `json:"tokens_per_hour"`
	TokensPerDay  quotaField `json:"tokens_per_day"`
	// Metadata: string key/values for the issuance policies; Policy: the
	// client's own (docs/policies.md).
	Metadata map[string]string `json:"metadata"`
	Policy   string            `json:"policy"`

	jwks    []byte       // JWKS as stored, once validated
	tlsAuth mint.TLSAuth // once validated
}

func (req *clientRequest) Validate() (err error) {
	if err := validName(req.Name); err != nil {
		return err
	}
	if err := validMetadata(req.Metadata); err != nil {
		return err
	}
	if err := validPolicy(req.Policy); err != nil {
		return err
	}
	if err := validQuotas(req.TokensPerHour, req.TokensPerDay); err != nil {
		return err
	}
	if err := validTokenBinding(&req.TokenBinding); err != nil {
		return err
	}
	if req.jwks, _, err = validJWKS(req.JWKS); err != nil {
		return err
	}
	if req.tlsAuth, err = req.tlsAuthFields.registration(); err != nil {
		return err
	}
	return needsKeys(req.tlsAuth, req.jwks)
}

// patchClientRequest is the body of PATCH /admin/v1/clients/{client_id};
// absent fields stay unchanged. jwks {"keys":[]} removes the keys.
type patchClientRequest struct {
	Name          *string         `json:"name"`
	JWKS          json.RawMessage `json:"jwks"`
	IntrospectAll *bool           `json:"introspect_all"`
	// TokenBinding: "" or "dpop", as on create.
	TokenBinding *string `json:"token_binding"`
	// The RFC 8705 §2 registration: any given replaces it (tlsauth.go).
	tlsAuthFields
	// TokensPerHour and TokensPerDay: null goes back to the server's
	// default; absent stays unchanged.
	TokensPerHour quotaField `json:"tokens_per_hour"`
	TokensPerDay  quotaField `json:"tokens_per_day"`
	// Metadata, when given, replaces the client's whole metadata ({}
	// removes it). Policy: "" removes the client's policy.
	Metadata *map[string]string `json:"metadata"`
	Policy   *string            `json:"policy"`

	jwks    []byte       // JWKS as stored, once validated
	setJWKS bool         // jwks was given
	tlsAuth mint.TLSAuth // once validated, when given
}

func (req *patchClientRequest) Validate() (err error) {
	if err := validQuotas(req.TokensPerHour, req.TokensPerDay); err != nil {
		return err
	}
	if req.Metadata != nil {
		if err := validMetadata(*req.Metadata); err != nil {
			return err
		}
	}
	if req.Policy != nil {
		if err := validPolicy(*req.Policy); err != nil {
			return err
		}
	}
	if err := validTokenBinding(req.TokenBinding); err != nil {
		return err
	}
	if req.Name != nil {
		if err := validName(*req.Name); err != nil {
			return err
		}
	}
	if req.jwks, req.setJWKS, err = validJWKS(req.JWKS); err != nil {
		return err
	}
	req.tlsAuth, err = req.tlsAuthFields.registration()
	return err
}

// rotateRequest is the optional body of POST …/rotate-secret.
type rotateRequest struct {
	// OldSecretTTL is how many more seconds older secrets keep working.
	OldSecretTTL int64 `json:"old_secret_ttl"`
	// RevokeTokens revokes every token issued to the client so far.
	RevokeTokens bool `json:"revoke_tokens"`
}

func (req *rotateRequest) Validate() error {
	if req.OldSecretTTL < 0 || req.OldSecretTTL > maxOldSecretTTL {
		return invalid("old_secret_ttl", "old_secret_ttl must be 0 to %d seconds", maxOldSecretTTL)
	}
	return nil
}

func newSecret(clientID string, now time.Time) (plain string, s mint.Secret) {
	plain, digest := secret.New()
	return plain, mint.Secret{ID: mint.NewID("sec"), ClientID: clientID, Digest: digest, CreatedAt: now}
}

func (a *API) createClient(w http.ResponseWriter, r *http.Request, who *bearer.Claims) error {
	var req clientRequest
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	now := a.now()
	c := mint.Client{ID: mint.NewClientID(), Name: req.Name, JWKS: req.jwks,
		IntrospectAll: req.IntrospectAll, TokensPerHour: req.TokensPerHour.n, TokensPerDay: req.TokensPerDay.n,
		Metadata: metadataView(req.Metadata), Policy: req.Policy, TokenBinding: req.TokenBinding, TLSAuth: req.tlsAuth, CreatedAt: now, UpdatedAt: now}
	plain, s := newSecret(c.ID, now)
	ctx, ch := a.audited(r, who, "admin.clients.create", c.ID)
	ch.clientID, ch.after = c.ID, auditClient(c)
	ch.extra = map[string]any{"secret": secretAudit{ID: s.ID}}
	if err := a.Store.CreateClient(ctx, c, s); err != nil {
		return storeError(err, "client")
	}
	a.changed(r, who, c.ID)
	a.keepPolicy(c.Policy)
	return created(w, "/admin/v1/clients/"+c.ID, withSecret(c, plain))
}

func (a *API) listClients(w http.ResponseWriter, r *http.Request, _ *bearer.Claims) error {
	page, err := readPage(r)
	if err != nil {
		return err
	}
	search, err := readFilter(r, "q")
	if err != nil {
		return err
	}
	clients, next, err := a.Store.ListClientsPage(r.Context(), mint.ClientQuery{Page: page, Search: search})
	if err != nil {
		return storeError(err, "client")
	}
	ids := make([]string, len(clients))
	for i, c := range clients {
		ids[i] = c.ID
	}
	secrets, err := a.Store.ListSecretsOf(r.Context(), ids)
	if err != nil {
		return storeError(err, "client")
	}
	views := make([]clientView, len(clients))
	for i, c := range clients {
		views[i] = viewClient(c, secrets[c.ID])
	}
	writePage(w, r, views, next)
	return nil
}

func (a *API) clientView(ctx context.Context, c mint.Client) (clientView, error) {
	secrets, err := a.Store.ListSecrets(ctx, c.ID)
	if err != nil {
		return clientView{}, storeError(err, "client")
	}
	return viewClient(c, secrets), nil
}

func (a *API) getClient(w http.ResponseWriter, r *http.Request, _ *bearer.Claims) error {
	c, err := a.Store.GetClient(r.Context(), r.PathValue("client_id"))
	if err != nil {
		return storeError(err, "client")
	}
	return a.writeClient(w, r, c)
}

func (a *API) writeClient(w http.ResponseWriter, r *http.Request, c mint.Client) error {
	v, err := a.clientView(r.Context(), c)
	if err != nil {
		return err
	}
	oauth.WriteJSON(w, http.StatusOK, v)
	return nil
}

func (a *API) patchClient(w http.ResponseWriter, r *http.Request, who *bearer.Claims) error {
	var req patchClientRequest
	if err := decode(w, r, &req, false); err != nil {
		return err
	}
	id := r.PathValue("client_id")
	if err := a.mayTakeOverClient(r.Context(), who, id); err != nil {
		return err
	}
	now := a.now()
	ctx, ch := a.audited(r, who, "admin.clients.update", id)
	ch.clientID = id
	var keysBefore []byte
	c, err := a.Store.UpdateClient(ctx, id, func(c mint.Client) (mint.Client, error) {
		ch.before, keysBefore = auditClient(c), c.JWKS
		if req.Name != nil {
			c.Name = *req.Name
		}
		if req.setJWKS {
			c.JWKS = req.jwks
		}
		if req.IntrospectAll != nil {
			c.IntrospectAll = *req.IntrospectAll
		}
		if req.TokensPerHour.set {
			c.TokensPerHour = req.TokensPerHour.n
		}
		if req.TokensPerDay.set {
			c.TokensPerDay = req.TokensPerDay.n
		}
		if req.Metadata != nil {
			c.Metadata = metadataView(*req.Metadata)
		}
		if req.Policy != nil {
			c.Policy = *req.Policy
		}
		if req.TokenBinding != nil {
			c.TokenBinding = *req.TokenBinding
		}
		if req.tlsAuthFields.given() {
			c.TLSAuth = req.tlsAuth
		}
		if err := needsKeys(c.TLSAuth, c.JWKS); err != nil {
			return c, err
		}
		c.UpdatedAt = now
		ch.after = auditClient(c)
		return c, nil
	})
	if err != nil {
		return storeError(err, "client")
	}
	if req.setJWKS && len(req.jwks) > 0 {
		if err := a.recheckKeys(r, who, id, keysBefore, req.jwks); err != nil {
			return err
		}
	}
	a.changed(r, who, c.ID)
	a.keepPolicy(c.Policy)
	return a.writeClient(w, r, c)
}

// deleteClient deletes a client, which revokes its tokens whatever
// ?revoke_tokens says (accepted for symmetry with rotate-secret): the store
// remembers the ID, so a client re-created under it cannot revive them
// (see mint.Store.CreateClient). Relying on "the client no longer exists"
// alone made revoke_tokens a no-op that a re-created ID undid.
func (a *API) deleteClient(w http.ResponseWriter, r *http.Request, who *bearer.Claims) error {
	if err := validRevokeTokensQuery(r); err != nil {
		return err
	}
	id := r.PathValue("client_id")
	before, err := a.Store.GetClient(r.Context(), id)
	if err != nil {
		return storeError(err, "client")
	}
	if err := a.mayTakeOverClient(r.Context(), who, id); err != nil {
		return err
	}
	ctx, ch := a.audited(r, who, "admin.clients.delete", id)
	ch.clientID, ch.before = id, auditClient(before)
	if err := a.Store.DeleteClient(ctx, id); err != nil {
		return storeError(err, "client")
	}
	a.changed(r, who, id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// rotateSecret adds a new secret and ends the older ones at once or after
// old_secret_ttl seconds.
func (a *API) rotateSecret(w http.ResponseWriter, r *http.Request, who *bearer.Claims) error {
	var req rotateRequest
	if err := decode(w, r, &req, true); err != nil {
		return err
	}
	id := r.PathValue("client_id")
	if err := a.mayTakeOverClient(r.Context(), who, id); err != nil {
		return err
	}
	now := a.now()
	plain, s := newSecret(id, now)
	oldExpiresAt := now.Add(time.Duration(req.OldSecretTTL) * time.Second)
	ctx, ch := a.audited(r, who, "admin.clients.rotate-secret", id)
	ch.clientID = id
	ch.extra = map[string]any{"new_secret": secretAudit{ID: s.ID}, "old_secrets_expire_at": oldExpiresAt.UTC()}
	if err := a.Store.RotateSecret(ctx, s, oldExpiresAt); err != nil {
		return storeError(err, "client")
	}
	if err := a.recheckSecret(r, who, id, s.ID); err != nil {
		return err
	}
	c, err := a.clientAfterRotation(r, who, id, req.RevokeTokens, now)
	if err != nil {
		return storeError(err, "client")
	}
	a.changed(r, who, id)
	oauth.WriteJSON(w, http.StatusOK, withSecret(c, plain))
	return nil
}

// clientAfterRotation reads the client, first revoking every token issued
// to it until now when revoke is true (a change of its own in the audit
// log, admin.clients.revoke-tokens).
func (a *API) clientAfterRotation(r *http.Request, who *bearer.Claims, id string, revoke bool, now time.Time) (mint.Client, error) {
	if !revoke {
		return a.Store.GetClient(r.Context(), id)
	}
	ctx, ch := a.audited(r, who, "admin.clients.revoke-tokens", id)
	ch.clientID = id
	return a.Store.UpdateClient(ctx, id, func(c mint.Client) (mint.Client, error) {
		ch.before = auditClient(c)
		c.TokensRevokedBefore, c.UpdatedAt = now, now
		ch.after = auditClient(c)
		return c, nil
	})
}

// maxQuota bounds tokens_per_hour and tokens_per_day.
const maxQuota = 1_000_000_000_000

// quotaField is a client's tokens_per_hour or tokens_per_day in a request:
// absent (set false), null (set, n nil: the server's default) or a count
// (0: unlimited).
type quotaField struct {
	set bool
	n   *int64
}

func (q *quotaField) UnmarshalJSON(b []byte) error {
	q.set = true
	if string(b) == "null" {
		q.n = nil
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	q.n = &n
	return nil
}

func validQuotas(perHour, perDay quotaField) error {
	for _, q := range []struct {
		field string
		v     quotaField
	}{{"tokens_per_hour", perHour}, {"tokens_per_day", perDay}} {
		if q.v.n != nil && (*q.v.n < 0 || *q.v.n > maxQuota) {
			return invalid(q.field, "%s must be null (the server's default), 0 (unlimited) or a count up to %d", q.field, int64(maxQuota))
		}
	}
	return nil
}
