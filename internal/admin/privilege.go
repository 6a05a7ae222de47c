package admin

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// The one rule of delegated administration: a caller can never create,
// widen or take over a credential that would hold admin scopes the caller
// does not hold itself. A route's own scope (apis:write, clients:write,
// grants:write…) says which kind of resource the caller may change; this
// file says which of those resources are out of its reach because they
// carry more admin power than its token does. Every admin route that writes
// goes through one of the checks below (the table in docs/admin.md), and the
// console reaches the store only through these routes.
//
// "Holds" means the scopes of the caller's verified admin token, as for the
// route scopes. The scopes a client holds are those of its grant on the
// admin API: whoever learns its secret or registers a key for it gets them.

// isAdminAudience tells whether an audience names the admin API. URNs
// compare their "urn" prefix and namespace case-insensitively (RFC 8141
// §3.1), so every case variant is reserved, though mint itself compares
// audiences exactly.
func isAdminAudience(audience string) bool {
	return strings.EqualFold(audience, mint.AdminAudience)
}

// requireHeld refuses, 403 insufficient_scope, unless the caller's token
// carries every scope in scopes. what says what needs them, for the error.
func requireHeld(who *bearer.Claims, scopes []string, what string) error {
	var missing []string
	for _, s := range scopes {
		if !who.HasScopes(s) && !slices.Contains(missing, s) {
			missing = append(missing, s)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	list := strings.Join(missing, " ")
	desc := what + " needs every admin scope involved; the access token lacks " + list
	return oauth.ErrInsufficientScope.Describe("%s", desc).
		WithHeader("WWW-Authenticate", challenge(
			"error", oauth.ErrInsufficientScope.Code, "error_description", desc, "scope", list))
}

// heldByClient returns the admin scopes a client holds: those of its grant
// on the admin API, none without one.
func (a *API) heldByClient(ctx context.Context, clientID string) ([]string, error) {
	g, err := a.Store.FindGrant(ctx, clientID, mint.AdminAudience)
	if errors.Is(err, mint.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, storeError(err, "grant")
	}
	return g.Scopes, nil
}

// mayTakeOverClient guards every write to a client: its secrets, keys,
// name, limits, revocation or its deletion. Whoever does any of these to a
// client holding admin scopes could take over or lock out that power, so
// the caller must hold all of them. A client without an admin grant is
// anyone's with the route's scope.
func (a *API) mayTakeOverClient(ctx context.Context, who *bearer.Claims, clientID string) error {
	held, err := a.heldByClient(ctx, clientID)
	if err != nil {
		return err
	}
	return requireHeld(who, held, "changing a client that holds admin scopes")
}

// mayGrant guards creating, changing and deleting a grant: on the admin API
// the caller must hold every scope the grant has before and after (the
// union), so that it can neither hand out nor strip power it lacks. Grants
// on other APIs carry no admin power.
func mayGrant(who *bearer.Claims, audience string, before, after []string) error {
	if !isAdminAudience(audience) {
		return nil
	}
	return requireHeld(who, mint.UnionScopes(before, after), "a grant on "+mint.AdminAudience)
}

// mayChangeAPI guards changing or deleting an API: the admin API's settings
// (token lifetime, issuance audit, signing algorithm, reuse…) bound every
// admin's power, so changing them needs every admin scope.
func mayChangeAPI(who *bearer.Claims, api mint.API) error {
	if !isAdminAudience(api.Audience) {
		return nil
	}
	return requireHeld(who, mint.UnionScopes(mint.AdminScopes, api.Scopes), "changing the admin API")
}

// The checks before a secret rotation or a key registration read the
// client's grant, then the store writes the credential: a grant on the
// admin API committed in between (by an admin who may give it) would hand
// the new credential more power than the caller holds. So these two
// credential writes are checked again once committed, and undone when the
// check no longer passes, before the caller sees the credential.

// recheckSecret withdraws a secret just rotated in if its client has
// meanwhile gained admin scopes the caller lacks.
func (a *API) recheckSecret(r *http.Request, who *bearer.Claims, clientID, secretID string) error {
	refused := a.mayTakeOverClient(r.Context(), who, clientID)
	if refused == nil {
		return nil
	}
	ctx, ch := a.audited(r, who, "admin.clients.withdraw-secret", clientID)
	ch.clientID, ch.extra = clientID, map[string]any{"secret": secretAudit{ID: secretID}}
	if err := a.Store.DeleteSecret(ctx, clientID, secretID); err != nil && !errors.Is(err, mint.ErrNotFound) {
		return oauth.ErrServer.WithCause(err)
	}
	return refused
}

// recheckKeys puts back the keys a client had if, once keys were
// registered for it, it turns out to hold admin scopes the caller lacks;
// a token taken with the new keys in that instant is revoked with its
// client's tokens.
func (a *API) recheckKeys(r *http.Request, who *bearer.Claims, clientID string, before, registered []byte) error {
	refused := a.mayTakeOverClient(r.Context(), who, clientID)
	if refused == nil {
		return nil
	}
	now := a.now()
	ctx, ch := a.audited(r, who, "admin.clients.withdraw-keys", clientID)
	ch.clientID = clientID
	_, err := a.Store.UpdateClient(ctx, clientID, func(c mint.Client) (mint.Client, error) {
		ch.before = auditClient(c)
		if bytes.Equal(c.JWKS, registered) {
			c.JWKS = before
			c.TokensRevokedBefore, c.UpdatedAt = now, now
		}
		ch.after = auditClient(c)
		return c, nil
	})
	if err != nil && !errors.Is(err, mint.ErrNotFound) {
		return oauth.ErrServer.WithCause(err)
	}
	return refused
}
