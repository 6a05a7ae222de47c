package token

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"strings"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// GrantTypeClaim is the "gty" claim of mint's tokens, as Auth0 writes it.
const GrantTypeClaim = "client-credentials"

// claims is the JWT payload of an access token (RFC 9068 §2.2) plus the
// Auth0 claims the seed APIs read (azp, gty).
type claims struct {
	Issuer    string `json:"iss"`
	Subject   string `json:"sub"`
	Audience  string `json:"aud"`
	IssuedAt  int64  `json:"iat"`
	Expiry    int64  `json:"exp"`
	ID        string `json:"jti"`
	ClientID  string `json:"client_id"`
	AZP       string `json:"azp"`
	GrantType string `json:"gty"`
	Scope     string `json:"scope,omitempty"`
	// JKT is cnf.jkt (RFC 9449 §6.1): the DPoP key the token is bound to;
	// X5T, cnf.x5t#S256 (RFC 8705 §3.1): the TLS client certificate.
	JKT string `json:"-"`
	X5T string `json:"-"`
}

// Response is the successful token response (RFC 6749 §5.1).
type Response struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope,omitempty"`
	// jkt is the thumbprint the token is bound to; empty for Bearer.
	jkt string
}

// Issue authenticates the client of a parsed request, checks what it asks
// for against its grant and signs the access token. Errors are
// *oauth.Error values: client errors for what the caller can fix,
// server_error carrying the cause for storage and signing failures.
func (e *Endpoint) Issue(ctx context.Context, req *Request) (*Response, error) {
	resp, err := e.issue(ctx, req, new(Outcome))
	if err != nil {
		return nil, err
	}
	return &resp, nil
}

// issue is Issue, noting in o how far the request got. It returns the
// answer by value: the endpoint encodes it at once, and a pointer would
// cost an allocation per token.
func (e *Endpoint) issue(ctx context.Context, req *Request, o *Outcome) (Response, error) {
	var gen uint64
	if e.Reuse != nil {
		gen = e.Reuse.Generation()
	}
	client, err := e.authenticate(ctx, req)
	if err != nil {
		return Response{}, err
	}
	o.ClientID = req.ClientID
	if e.Limits != nil {
		if err := e.Limits.CheckRequest(ctx, client); err != nil {
			return Response{}, err
		}
	}
	grant, api, err := e.resolveAudience(ctx, req)
	if err != nil {
		return Response{}, err
	}
	o.Audience = api.Audience
	scopes, err := grantedScopes(api, grant, req.Scopes)
	if err != nil {
		return Response{}, err
	}
	scope := strings.Join(scopes, " ")
	bound, err := e.bind(ctx, req, client, api)
	if err != nil {
		return Response{}, err
	}
	// A bound token is for its key only: never handed to another request.
	reuse := e.Reuse != nil && api.TokenReuse && bound == binding{}
	if reuse {
		if resp, ok := e.reused(ctx, client, api, scope, o); ok {
			return resp, nil
		}
	}
	if e.Limits != nil {
		if err := e.Limits.TakeToken(ctx, client); err != nil {
			return Response{}, err
		}
	}
	c := e.claims(client, api, scope)
	c.JKT, c.X5T = bound.jkt, bound.x5t
	o.Alg, o.Lifetime, o.Scope, o.TokenID = api.Alg(), time.Duration(c.Expiry-c.IssuedAt)*time.Second, c.Scope, c.ID
	start := time.Now()
	signed, err := e.sign(ctx, o.Alg, c)
	o.Signing = time.Since(start)
	if err != nil {
		return Response{}, err
	}
	e.log().LogAttrs(ctx, slog.LevelInfo, "token issued", slog.String("client_id", c.ClientID),
		slog.String("audience", c.Audience), slog.Any("scopes", scopes), slog.String("jti", c.ID))
	if e.Audit != nil {
		e.Audit.TokenIssued(ctx, api, c.ClientID, scopes, c.ID)
	}
	if reuse {
		e.keepForReuse(gen, c, signed)
	}
	resp := Response{AccessToken: signed, TokenType: "Bearer",
		ExpiresIn: c.Expiry - c.IssuedAt, Scope: c.Scope, jkt: bound.jkt}
	if bound.jkt != "" {
		resp.TokenType = "DPoP" // RFC 9449 §5
	}
	return resp, nil
}

func (e *Endpoint) claims(client mint.Client, api mint.API, scope string) claims {
	clientID := client.ID
	now := issuedAt(e.now(), client.TokensRevokedBefore)
	return claims{
		Issuer:    e.Issuer,
		Subject:   clientID + "@clients",
		Audience:  api.Audience,
		IssuedAt:  now,
		Expiry:    now + lifetimeSeconds(api),
		ID:        newTokenID(),
		ClientID:  clientID,
		AZP:       clientID,
		GrantType: GrantTypeClaim,
		Scope:     scope,
	}
}

// issuedAt is the "iat" of a token issued at now, in whole seconds. A token
// whose iat is before the client's TokensRevokedBefore is dead, and iat
// drops the fraction of a second: a token issued in the second a client's
// tokens were revoked (a re-created client ID, rotate-secret with
// revoke_tokens) would be dead on arrival. Such a token gets the first
// whole second after the revocation instead, less than a second ahead of
// now, well inside any verifier's leeway. A revocation further ahead (a
// replica whose clock runs fast) is not followed: the token is issued dead
// then, rather than with a time far in the future.
func issuedAt(now, revokedBefore time.Time) int64 {
	iat := now.Unix()
	if !time.Unix(iat, 0).Before(revokedBefore) {
		return iat
	}
	next := revokedBefore.Truncate(time.Second)
	if next.Before(revokedBefore) {
		next = next.Add(time.Second)
	}
	if next.Sub(now) > time.Second {
		return iat
	}
	return next.Unix()
}

// lifetimeSeconds is the API's token lifetime in whole seconds, or
// mint.DefaultTokenLifetime when the API sets none.
func lifetimeSeconds(api mint.API) int64 {
	if s := int64(api.TokenLifetime / time.Second); s > 0 {
		return s
	}
	return int64(mint.DefaultTokenLifetime / time.Second)
}

// newTokenID returns a "jti": 128 random bits, base64url.
func newTokenID() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// sign signs c with the key ring's current key for alg, the API's
// algorithm. The payload is built in a buffer on the stack: the key ring
// copies it into the token.
func (e *Endpoint) sign(ctx context.Context, alg string, c claims) (string, error) {
	var buf [512]byte
	signed, err := e.Keys.Sign(ctx, alg, c.AppendJSON(buf[:0]))
	if err != nil {
		return "", oauth.ErrServer.WithCause(err)
	}
	return signed, nil
}
