package admin

import (
	"net/http"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// revokeOwnToken ends the admin token the request carries (DELETE
// /admin/v1/token): the console's sign-out and `mint logout` use it, so a
// copied session cookie or cached token is worthless once its holder signs
// out. It needs no scope, since a token may always give up its own power,
// and no other token can be named, so it grants nothing.
func (a *API) revokeOwnToken(w http.ResponseWriter, r *http.Request, who *bearer.Claims) error {
	err := a.Store.RevokeToken(r.Context(), mint.RevokedToken{ID: who.ID, ClientID: who.ClientID, ExpiresAt: who.ExpiresAt})
	if err != nil {
		return oauth.ErrServer.WithCause(err)
	}
	a.log().InfoContext(r.Context(), "admin token revoked by its holder", "admin_client", who.ClientID, "jti", who.ID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
