// Package tokenstate answers what a signature cannot: whether an access
// token mint issued is still active. It holds the introspection endpoint
// (RFC 7662), POST /oauth/introspect, and the revocation endpoint
// (RFC 7009), POST /oauth/revoke.
//
// # Requests
//
//   - POST only; anything else is 405 method_not_allowed with Allow: POST.
//   - Body application/x-www-form-urlencoded (RFC 7662 §2.1, RFC 7009
//     §2.1) or, as at the token endpoint, application/json with string
//     values; anything else 415, over 64 KiB 413. A parameter read twice is
//     invalid_request; client_secret in the query string is refused.
//   - The caller authenticates as a client (package clientauth):
//     client_secret_basic, client_secret_post or private_key_jwt, with the
//     token endpoint's answers for missing or failed authentication
//     (401 invalid_client).
//   - token is required (400 invalid_request). token_type_hint is read and
//     ignored: mint issues access tokens only, and a server must search
//     beyond the hint (RFC 7009 §2.1), so "refresh_token" still finds an
//     access token.
//
// # Introspection (RFC 7662 §2.2)
//
// 200 with Cache-Control: no-store. A token is active only when mint's key
// ring verifies its signature (for any of mint's audiences), its issuer is
// mint's, it has not expired (no leeway), its jti is not revoked, its
// client still exists and its iat is not before the client's
// TokensRevokedBefore, and the caller is the token's client or a client
// with IntrospectAll. Then the answer is {"active": true, "scope",
// "client_id", "token_type": "Bearer", "exp", "iat", "sub", "aud", "iss",
// "jti"}; otherwise it is {"active": false} alone, whatever the reason, so
// that a caller learns nothing of tokens it may not see.
//
// # Revocation (RFC 7009 §2.2)
//
// 200 with an empty body when the token is revoked, and for a token that
// needs no revoking: garbage, another issuer's, expired, already revoked.
// A live token of another client is refused with 400 unauthorized_client
// and stays live: RFC 7009 §2.1 wants the request refused when the token
// was not issued to the caller. IntrospectAll does not extend to
// revocation; an admin revokes a client's tokens through the admin API
// (delete with revoke_tokens, rotate-secret with revoke_tokens). A revoked
// token is remembered by its jti until it expires.
//
// Resource servers that verify tokens locally (bearer.Middleware, the
// gateway) do not see revocations: a revoked token works there until it
// expires. Only introspection reports it. Short token lifetimes bound the
// difference.
package tokenstate
