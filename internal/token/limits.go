package token

import (
	"context"
	"log/slog"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/ratelimit"
)

// Limits are the per-client limits of package ratelimit, checked once the
// client is authenticated, so that nobody can use up another client's
// limits without its credentials. Each method returns the error to answer
// (a 429 *oauth.Error) or nil.
type Limits interface {
	// CheckRequest counts every authenticated request against the
	// client's request rate.
	CheckRequest(ctx context.Context, client mint.Client) error
	// TakeToken counts a token about to be signed against the client's
	// quotas. A reused token is not a new one and is not counted.
	TakeToken(ctx context.Context, client mint.Client) error
}

var _ Limits = (*ratelimit.Limiter)(nil)

// reused answers with the token kept for the client, audience and scope,
// if there is one to reuse: its own expires_in (what remains), no new
// signature, no audit record (it is not a new issuance).
func (e *Endpoint) reused(ctx context.Context, client mint.Client, api mint.API, scope string, scopes []string, o *Outcome) (Response, bool) {
	now := e.now()
	t, ok := e.Reuse.Get(client.ID, api.Audience, scope, now, client.TokensRevokedBefore)
	if !ok {
		return Response{}, false
	}
	left := int64(t.Expiry.Sub(now) / time.Second)
	o.Reused, o.Lifetime, o.Scopes, o.TokenID = true, time.Duration(left)*time.Second, scopes, t.ID
	e.log().LogAttrs(ctx, slog.LevelInfo, "token reused", slog.String("client_id", client.ID),
		slog.String("audience", api.Audience), slog.String("scope", scope), slog.String("jti", t.ID))
	return Response{AccessToken: t.AccessToken, TokenType: "Bearer", ExpiresIn: left, Scope: scope}, true
}

// keepForReuse keeps a token just issued, with its scope joined, for the
// next request, unless the reuse cache was emptied since gen.
func (e *Endpoint) keepForReuse(gen uint64, c claims, scope, signed string) {
	e.Reuse.Put(gen, c.ClientID, c.Audience, scope, ratelimit.Token{
		AccessToken: signed, ID: c.ID,
		IssuedAt: time.Unix(c.IssuedAt, 0), Expiry: time.Unix(c.Expiry, 0),
	}, e.now())
}
