package clientauth

import (
	"context"
	"errors"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mintauth/mint/internal/federation"
	"github.com/mintauth/mint/internal/mint"
)

// A client may say where its private_key_jwt keys are instead of
// registering them (issue 18): a trust rule whose issuer and subject are
// the client's id and which names a jwks_uri (federation.IsKeyLocation).
// The keys are fetched by the federation package's KeyFetcher, cached, and
// fetched again on an unknown kid, so that the client rotates its keys
// without an admin. Registered keys are tried first.

// verifyWithKeyURL checks tok with the keys at the client's key
// locations, when the registered keys refused it (with refused, returned
// when no location's key verifies it either).
func (a *Authenticator) verifyWithKeyURL(ctx context.Context, tok *jwt.JSONWebToken, client mint.Client, refused error) (jwt.Claims, error) {
	var r refusal
	if !errors.As(refused, &r) {
		return jwt.Claims{}, refused // a storage failure
	}
	rules, err := a.Federation.Rules.FindFederatedCredentials(ctx, client.ID, client.ID)
	if err != nil {
		return jwt.Claims{}, err
	}
	header := tok.Headers[0]
	for _, rule := range rules {
		if !federation.IsKeyLocation(rule) || rule.ClientID != client.ID || rule.CreatedAt.Before(client.CreatedAt) {
			continue
		}
		key, err := a.Federation.Keys.Key(ctx, rule, header.KeyID)
		if err != nil || (key.Algorithm != "" && key.Algorithm != header.Algorithm) {
			continue
		}
		var claims jwt.Claims
		if tok.Claims(key.Key, &claims) == nil {
			return claims, nil
		}
	}
	return jwt.Claims{}, refused
}
