// Package token is mint's token endpoint: the OAuth 2.0 client credentials
// grant (RFC 6749 §4.4) that issues signed JWT access tokens (RFC 9068) to
// machines. The server mounts one Endpoint at /oauth/token and at the alias
// paths the seed APIs document (/api/getToken, /users/token).
//
// A request goes through five steps, one file each: parse the request into a
// Request (request.go), authenticate the client (clientauth.go), resolve the
// API and the scopes (audience.go, scope.go), sign the token (issue.go) and
// render the response (endpoint.go). Every error is an *oauth.Error rendered
// as RFC 6749 §5.2 JSON, with Cache-Control: no-store.
//
// # Request
//
//   - Method: only POST. Anything else is 405 method_not_allowed with
//     Allow: POST (the shared oauth.ErrMethodNotAllowed code).
//   - Body: application/x-www-form-urlencoded (RFC 6749 §3.2) or
//     application/json, the dialect of Auth0 and the seed pages, in UTF-8
//     (a charset parameter other than UTF-8 is refused). Any other or
//     missing Content-Type is 415 unsupported_media_type; a body over
//     MaxBodyBytes is 413.
//   - JSON bodies must be exactly one object; the parameters mint reads
//     must be JSON strings. Anything else is invalid_request naming the field.
//   - A parameter mint reads may appear once (RFC 6749 §3.2): twice is
//     invalid_request, except resource, which RFC 8707 lets repeat to ask for
//     several resources; mint issues single-audience tokens, so a repeated
//     resource is invalid_target. Parameters mint does not read are ignored,
//     whatever their type or count (RFC 6749 §3.2), and an empty value counts
//     as omitted.
//   - The query string is never read for parameters. A query holding
//     client_secret is refused with invalid_request: RFC 6749 §2.3.1 forbids
//     credentials in the URI, and the secret is by then in access logs and
//     must be rotated; failing loudly says so.
//
// # Client authentication (RFC 6749 §2.3.1, RFC 7523 §2.2)
//
// Package clientauth parses and checks the credentials, as it does for the
// introspection and revocation endpoints; its doc lists every choice.
//
//   - client_secret_post (client_id and client_secret in the body) or
//     client_secret_basic (HTTP Basic whose id and secret are form-urlencoded
//     before base64, decoded with url.QueryUnescape). Both at once is
//     invalid_request; a body client_id that differs from Basic's is
//     invalid_request; a body client_id equal to it is allowed.
//   - private_key_jwt: client_assertion_type and client_assertion, a JWT
//     signed with a key of the client's registered JWKS. With Basic or
//     client_secret too: invalid_request.
//   - No credentials, and a malformed Authorization header (not Basic, bad
//     base64, no colon, bad escapes, an empty half), are invalid_client (401)
//     with WWW-Authenticate: Basic realm="mint".
//   - An unknown client, a wrong secret, an expired secret and a refused
//     assertion are the same invalid_client, "client authentication
//     failed", with the challenge header only when Basic was used (RFC 6749
//     §5.2). Secret checks cost the same whether the client exists or not.
//     Failures are logged at Info with the client_id and a reason.
//
// # grant_type
//
// Missing is invalid_request; anything but client_credentials and the JWT
// bearer grant (RFC 7523 §2.1, urn:ietf:params:oauth:grant-type:jwt-bearer,
// whose assertion a client's trust rule accepts: internal/federation) is
// unsupported_grant_type. It is checked before the client is authenticated.
// The bearer grant issues the client's ordinary token.
//
// # Audience (RFC 8707)
//
//   - The API is named by audience (Auth0's name; any string) or resource
//     (RFC 8707; must be an absolute URI without a fragment, or
//     invalid_target). Both given with different values is invalid_request.
//   - Omitted: the client's only grant if it has exactly one, else the
//     Endpoint's DefaultAudience if set, else invalid_request "audience is
//     required".
//   - An API that does not exist and one the client has no grant for get the
//     same invalid_target (400, RFC 8707 §2), so clients cannot probe which
//     APIs exist. mint follows RFC 8707 here rather than Auth0's 403
//     access_denied.
//
// # Scope (RFC 6749 §3.3)
//
// Optional, space-delimited; repeated scopes are collapsed. Omitted: every
// scope the grant holds that the API still defines. Named: each must be in
// that set, or invalid_scope names the first that is not. The token and
// the response list scopes in the API's order.
//
// # Response (RFC 6749 §5.1) and token (RFC 9068)
//
// 200 with Cache-Control: no-store and Pragma: no-cache, and
// {"access_token", "token_type": "Bearer", "expires_in", "scope"}, scope
// only when not empty. expires_in is the API's TokenLifetime in seconds, or
// mint.DefaultTokenLifetime. The token is a compact RS256 JWS with kid and
// typ at+jwt (package keyring) whose claims are iss, sub
// ("<client_id>@clients"), aud (a string), iat, exp, jti (128 random bits),
// client_id, azp (= client_id), gty ("client-credentials") and scope when not
// empty. Issuance is logged at Info with client_id, audience, scopes and jti;
// secrets and tokens are never logged.
//
// # DPoP (RFC 9449)
//
// A request with a DPoP header gets a token bound to the proof's key:
// "token_type": "DPoP" and the claim cnf.jkt (dpop.go). The proof is
// checked by package bearer/dpop against POST and the issuer followed by
// the request's path; its jti is recorded in the store (UseAssertion,
// client "dpop:<thumbprint>"), so a replay to any replica is refused.
// Endpoint.DPoP's nonces, when set, answer a proof without a current
// nonce with 400 use_dpop_nonce and a DPoP-Nonce header; a refused proof
// is 400 invalid_dpop_proof. When the client's or the API's TokenBinding
// is "dpop", a request without a proof is invalid_dpop_proof too. A
// request without a proof that came over TLS with a client certificate
// (the server asks only with --tls-client-certs) gets a Bearer token bound
// to it, cnf.x5t#S256 (RFC 8705 §3). A bound token is never handed out
// again by token reuse.
//
// Endpoint.Observe, when set, is told of each request's Outcome (client,
// audience, error code, algorithm, timings) after the answer is written;
// the server feeds it to the Prometheus metrics (package metrics).
//
// Bad input never yields a 500; storage and signing failures are
// server_error with the cause logged, not shown.
package token
