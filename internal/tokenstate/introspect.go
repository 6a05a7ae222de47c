package tokenstate

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/mintauth/mint/bearer"
	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// Introspection is the introspection endpoint (RFC 7662). Mount it for
// every method: it answers anything but POST itself.
type Introspection struct {
	Config
}

var _ http.Handler = (*Introspection)(nil)

// Answer is an introspection response (RFC 7662 §2.2): only "active"
// when false.
type Answer struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope,omitempty"`
	ClientID  string `json:"client_id,omitempty"`
	TokenType string `json:"token_type,omitempty"`
	Exp       int64  `json:"exp,omitempty"`
	Iat       int64  `json:"iat,omitempty"`
	Sub       string `json:"sub,omitempty"`
	Aud       any    `json:"aud,omitempty"`
	Iss       string `json:"iss,omitempty"`
	Jti       string `json:"jti,omitempty"`
	// Cnf is the key the token is bound to (RFC 9449 §6.2, RFC 7800).
	Cnf *Confirmation `json:"cnf,omitempty"`
}

// Confirmation is the "cnf" member of an introspection answer.
type Confirmation struct {
	JKT string `json:"jkt,omitempty"`
	X5T string `json:"x5t#S256,omitempty"`
}

var inactive = Answer{Active: false}

// ServeHTTP answers an introspection request: parse, authenticate the
// caller, check the token, render.
func (e *Introspection) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	oauth.Handle(e.log(), e.serve).ServeHTTP(w, r)
}

func (e *Introspection) serve(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		return methodNotAllowed("introspection")
	}
	req, err := ParseRequestWithCert(r, e.chain(r))
	if err != nil {
		return err
	}
	caller, err := e.Auth.Authenticate(r.Context(), req.Credentials)
	if err != nil {
		return err
	}
	answer, err := e.Introspect(r.Context(), caller, req.Token)
	if err != nil {
		return err
	}
	oauth.WriteJSON(w, http.StatusOK, answer)
	return nil
}

// Introspect tells caller about raw: active only when mint signed it, it
// has not expired, it was not revoked (by jti, or by its client's
// TokensRevokedBefore), its client still exists, and caller is that client
// or may introspect every client's tokens. Anything else is {"active":
// false}, without saying why.
func (e *Introspection) Introspect(ctx context.Context, caller mint.Client, raw string) (Answer, error) {
	claims, ok, err := e.verify(ctx, raw)
	if err != nil || !ok {
		return inactive, err
	}
	if claims.ClientID != caller.ID && !caller.IntrospectAll {
		return inactive, nil
	}
	active, err := e.active(ctx, claims)
	if err != nil || !active {
		return inactive, err
	}
	a := Answer{
		Active: true, Scope: strings.Join(claims.Scopes, " "), ClientID: claims.ClientID,
		TokenType: "Bearer", Exp: claims.ExpiresAt.Unix(), Iat: claims.IssuedAt.Unix(),
		Sub: claims.Subject, Aud: audience(claims.Audience), Iss: claims.Issuer, Jti: claims.ID,
	}
	switch {
	case claims.JKT != "":
		// A bound token: the resource server must check the proof too.
		a.TokenType, a.Cnf = "DPoP", &Confirmation{JKT: claims.JKT}
	case claims.X5T != "":
		// Presented as Bearer, over the certificate (RFC 8705 §3.2).
		a.Cnf = &Confirmation{X5T: claims.X5T}
	}
	return a, nil
}

// active checks what the signature cannot; see Live.
func (e *Introspection) active(ctx context.Context, claims *bearer.Claims) (bool, error) {
	live, err := Live(ctx, e.Store, claims)
	if err != nil {
		return false, oauth.ErrServer.WithCause(err)
	}
	return live, nil
}

// Live reports what a verified token's signature cannot: its client still
// exists, has not revoked the tokens issued before some time, and this
// token is not revoked by its jti. The admin API asks it of every admin
// token, so revoking one (or deleting its client) ends console sessions
// and CLI use at once.
func Live(ctx context.Context, store mint.Store, claims *bearer.Claims) (bool, error) {
	owner, err := store.GetClient(ctx, claims.ClientID)
	if errors.Is(err, mint.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !owner.TokensRevokedBefore.IsZero() && claims.IssuedAt.Before(owner.TokensRevokedBefore) {
		return false, nil
	}
	revoked, err := store.TokenRevoked(ctx, claims.ID)
	if err != nil {
		return false, err
	}
	return !revoked, nil
}

// audience renders aud as mint writes it: a string for one audience.
func audience(aud []string) any {
	if len(aud) == 1 {
		return aud[0]
	}
	return aud
}
