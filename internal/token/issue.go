package token

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"sync"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// GrantTypeClaim is the "gty" claim of mint's tokens, as Auth0 writes it.
const GrantTypeClaim = "client-credentials"

// claims is the JWT payload of an access token (RFC 9068 §2.2) plus the
// Auth0 claims the seed APIs read (azp, gty).
type claims struct {
	Issuer string `json:"iss"`
	// Subject is "sub"; empty means ClientID + "@clients", mint's, which
	// AppendJSON writes without concatenating the two per token.
	Subject   string `json:"sub"`
	Audience  string `json:"aud"`
	IssuedAt  int64  `json:"iat"`
	Expiry    int64  `json:"exp"`
	ID        string `json:"jti"`
	ClientID  string `json:"client_id"`
	AZP       string `json:"azp"`
	GrantType string `json:"gty"`
	Scope     string `json:"scope,omitempty"`
	// Scopes, when Scope is empty, are the scope claim's tokens, which
	// AppendJSON writes joined by spaces: issue's, which joins none.
	Scopes []string `json:"-"`
	// Extra are the claims issuance policies added, as the members of a
	// JSON object without its braces (policy.Decision.Claims); nil for
	// none.
	Extra []byte `json:"-"`
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
	// scopes, when Scope is empty, are the scope's tokens, which AppendJSON
	// writes joined by spaces.
	scopes []string
	// jkt is the thumbprint the token is bound to; empty for Bearer.
	jkt string
	// signed: AccessToken is a compact JWS the key ring made, base64url
	// and dots with nothing to escape, which AppendJSON writes without
	// reading it byte by byte (TestSignedTokensNeedNoEscaping).
	signed bool
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
	if resp.Scope == "" {
		resp.Scope = strings.Join(resp.scopes, " ")
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
	actx, span := e.startSpan(ctx, spanAuthenticate)
	client, err := e.authenticate(actx, req)
	endSpan(span, err)
	if err != nil {
		return Response{}, err
	}
	o.ClientID = req.ClientID
	if e.Limits != nil {
		if err := e.Limits.CheckRequest(ctx, client); err != nil {
			return Response{}, err
		}
	}
	grant, api, scopes, err := e.resolveGrant(ctx, req, o)
	if err != nil {
		return Response{}, err
	}
	bound, err := e.bind(ctx, req, client, api)
	if err != nil {
		return Response{}, err
	}
	var extra []byte
	if e.Policies != nil && (api.Policy != "" || client.Policy != "") {
		if extra, err = e.Policies.Check(ctx, client, api, grant, req.Scopes, scopes); err != nil {
			return Response{}, err
		}
	}
	// A bound token is for its key only: never handed to another request;
	// nor is one with claims a policy added, which may differ from one
	// request to the next.
	reuse := e.Reuse != nil && api.TokenReuse && bound == binding{} && extra == nil
	var scope string // joined: the reuse cache's key; the token's claims and answer join none
	if reuse {
		scope = strings.Join(scopes, " ")
		if resp, ok := e.reused(ctx, client, api, scope, scopes, o); ok {
			return resp, nil
		}
	}
	if e.Limits != nil {
		if err := e.Limits.TakeToken(ctx, client); err != nil {
			return Response{}, err
		}
	}
	issued := e.now() // read once: the claims' iat and the issuance line's time
	c := e.claims(client, api, scopes, issued)
	c.Extra = extra
	c.JKT, c.X5T = bound.jkt, bound.x5t
	o.Alg, o.Lifetime, o.Scopes, o.TokenID = api.Alg(), time.Duration(c.Expiry-c.IssuedAt)*time.Second, scopes, c.ID
	sctx, span := e.startSpan(ctx, spanSign)
	signed, err := e.timedSign(sctx, o, c)
	endSpan(span, err)
	if err != nil {
		return Response{}, err
	}
	e.logIssued(ctx, &c, scopes, issued)
	if e.Audit != nil {
		actx, span := e.startSpan(ctx, spanAudit)
		e.Audit.TokenIssued(actx, api, c.ClientID, scopes, c.ID)
		span.End()
	}
	if reuse {
		e.keepForReuse(gen, c, scope, signed)
	}
	resp := Response{AccessToken: signed, TokenType: "Bearer",
		ExpiresIn: c.Expiry - c.IssuedAt, scopes: scopes, jkt: bound.jkt, signed: true}
	if bound.jkt != "" {
		resp.TokenType = "DPoP" // RFC 9449 §5
	}
	return resp, nil
}

// resolveGrant finds the client's grant on the audience asked for (or
// implied), noting the audience in o, and the scopes the grant allows of
// those asked for, in one span.
func (e *Endpoint) resolveGrant(ctx context.Context, req *Request, o *Outcome) (mint.Grant, mint.API, []string, error) {
	ctx, span := e.startSpan(ctx, spanGrant)
	grant, api, err := e.resolveAudience(ctx, req)
	if err != nil {
		endSpan(span, err)
		return mint.Grant{}, mint.API{}, nil, err
	}
	o.Audience = api.Audience
	scopes, err := grantedScopes(api, grant, req.Scopes)
	endSpan(span, err)
	return grant, api, scopes, err
}

func (e *Endpoint) claims(client mint.Client, api mint.API, scopes []string, issued time.Time) claims {
	clientID := client.ID
	now := issuedAt(issued, client.TokensRevokedBefore)
	return claims{
		Issuer:    e.Issuer,
		Audience:  api.Audience,
		IssuedAt:  now,
		Expiry:    now + lifetimeSeconds(api),
		ID:        newTokenID(),
		ClientID:  clientID,
		AZP:       clientID,
		GrantType: GrantTypeClaim,
		Scopes:    scopes,
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

// newTokenID returns a "jti": 128 random bits from crypto/rand, base64url.
func newTokenID() string {
	var b [16]byte
	e := tokenIDEntropy.Get().(*entropy)
	e.take(b[:])
	tokenIDEntropy.Put(e)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// tokenIDEntropy holds blocks of crypto/rand's bytes for token IDs: one
// read per 64 IDs rather than one per token, which was a getrandom system
// call per token where the kernel has no vDSO for it. Each byte is handed
// out once and cleared.
var tokenIDEntropy = sync.Pool{New: func() any { return &entropy{next: entropyBlock} }}

const entropyBlock = 1024

// entropy is a block of crypto/rand's bytes, used from next on.
type entropy struct {
	buf  [entropyBlock]byte
	next int
}

// take fills b (at most a block) with bytes not handed out before.
func (e *entropy) take(b []byte) {
	if e.next+len(b) > len(e.buf) {
		rand.Read(e.buf[:]) // never fails (crypto/rand)
		e.next = 0
	}
	copy(b, e.buf[e.next:])
	clear(e.buf[e.next : e.next+len(b)])
	e.next += len(b)
}

// timedSign is sign, timing the signature into o.Signing when the
// endpoint has an observer to tell: otherwise the two clock reads would be
// spent for nothing on every token.
func (e *Endpoint) timedSign(ctx context.Context, o *Outcome, c claims) (string, error) {
	if e.Observe == nil {
		return e.sign(ctx, o.Alg, c)
	}
	start := time.Now()
	signed, err := e.sign(ctx, o.Alg, c)
	o.Signing = time.Since(start)
	return signed, err
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
