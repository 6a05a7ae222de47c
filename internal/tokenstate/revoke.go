package tokenstate

import (
	"context"
	"net/http"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// Revocation is the revocation endpoint (RFC 7009). Mount it for every
// method: it answers anything but POST itself.
type Revocation struct {
	Config
}

var _ http.Handler = (*Revocation)(nil)

var errNotYours = oauth.ErrUnauthorizedClient.Describe("the token was not issued to this client")

// ServeHTTP answers a revocation request: parse, authenticate the caller,
// revoke, answer 200 with an empty body.
func (e *Revocation) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	oauth.Handle(e.log(), e.serve).ServeHTTP(w, r)
}

func (e *Revocation) serve(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		return methodNotAllowed("revocation")
	}
	req, err := ParseRequestWithCert(r, e.chain(r))
	if err != nil {
		return err
	}
	caller, err := e.Auth.Authenticate(r.Context(), req.Credentials)
	if err != nil {
		return err
	}
	if err := e.Revoke(r.Context(), caller, req.Token); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(http.StatusOK)
	return nil
}

// Revoke revokes raw for caller. A token mint did not sign, or that has
// expired, needs no revoking: nil (RFC 7009 §2.2). A live token of another
// client is refused with unauthorized_client and stays live (RFC 7009
// §2.1), whatever the caller's IntrospectAll.
func (e *Revocation) Revoke(ctx context.Context, caller mint.Client, raw string) error {
	claims, ok, err := e.verify(ctx, raw)
	if err != nil || !ok {
		return err
	}
	if claims.ClientID != caller.ID {
		return errNotYours
	}
	err = e.Store.RevokeToken(ctx, mint.RevokedToken{ID: claims.ID, ClientID: claims.ClientID, ExpiresAt: claims.ExpiresAt})
	if err != nil {
		return oauth.ErrServer.WithCause(err)
	}
	e.log().InfoContext(ctx, "token revoked", "client_id", caller.ID, "jti", claims.ID)
	return nil
}
