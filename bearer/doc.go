// Package bearer is mint's resource-server side: it verifies the JWT access
// tokens mint issues (RFC 9068) when an API receives them as
// "Authorization: Bearer" (RFC 6750), and puts the verified claims in the
// request context.
//
// Keys come from a KeySource: the issuer's JWKS over HTTP for an API (JWKS,
// found through RFC 8414 metadata or OpenID Connect discovery, cached per
// Cache-Control and refetched, rate-limited, when a token names an unknown
// key; a stale set keeps serving its keys while one fetch runs in the
// background, so a hung issuer never holds a request for long), or mint's own key ring for its admin API. Only asymmetric
// algorithms are accepted, from an explicit allow-list; the JWK's own "alg"
// must match the token's.
//
// A Verifier trusts one issuer, or several during a migration
// (Verifier.Issuers: the old Auth0 tenant and mint, say), each with its own
// key source, algorithms, token types and, optionally, audiences. The
// token's "iss" picks its issuer before any key is looked up, compared byte
// for byte (Auth0's issuers end with "/", mint's do not), so a token naming
// one issuer is only ever checked against that issuer's keys, and an "iss"
// no entry names is refused without a fetch.
//
// Middleware reads the token from the Authorization header only (RFC 6750
// §2.1, scheme case-insensitive); RequireScopes guards a route with scopes.
// A refused request is answered, by default, in the shape the seed APIs
// use:
//
//	{"statusCode":401,"statusText":"Unauthorized","message":"Token expired.",
//	 "date":"2019-11-13T06:26:01","statusFamily":"CLIENT_ERROR","method":"GET",
//	 "uri":"http://api.example/ws/rest/Cargo?x=1"}
//
// with a WWW-Authenticate challenge per RFC 6750 §3 (no error attribute when
// the token is missing, §3.1). The messages:
//
//	401 Token missing.              no Bearer token (or another scheme)
//	400 Token malformed.            two Authorization headers (invalid_request)
//	401 Token malformed.            not a JWS compact JWT, bad claims, no exp
//	401 Token algorithm not allowed. alg none, HS*, or not in the allow-list
//	401 Token type invalid.         typ is not at+jwt
//	401 Token signature invalid.    unknown kid or a signature that fails
//	401 Token expired.              exp passed (beyond the leeway)
//	401 Token not yet valid.        nbf or iat in the future
//	401 Token issuer invalid.       iss
//	401 Token audience invalid.     aud
//	403 Token scope insufficient.   RequireScopes (insufficient_scope)
//	503 Token cannot be checked now. no key set could be fetched yet
//
// Sender-constrained tokens (dpop.go, mtls.go): a token with a "cnf" claim
// is never taken as a bearer token. A DPoP-bound one (cnf.jkt, RFC 9449
// §7) comes as "Authorization: DPoP <token>" with a proof that package
// bearer/dpop checks against the request (htm, htu, iat, ath, the bound
// key, jti replay, nonces with WithDPoP); WithDPoPRequired refuses bearer
// tokens. A certificate-bound one (cnf.x5t#S256, RFC 8705 §3) needs the
// same client certificate on the request's TLS connection, or in a
// trusted proxy's header (WithClientCertHeader). Their refusals:
//
//	401 DPoP proof invalid.          invalid_dpop_proof: missing, malformed, replayed, stale, other htm/htu/ath/key
//	401 DPoP nonce required.         use_dpop_nonce, with DPoP-Nonce
//	401 Token is DPoP-bound.         a bound token sent as Bearer
//	401 DPoP required.               a bearer token with WithDPoPRequired
//	401 Token not DPoP-bound.        the DPoP scheme with an unbound token
//	401 Token certificate mismatch.  no or another client certificate
//	429 Too many requests.           rate_limit_exceeded: the client's share of the replay memory is used, with Retry-After
//	503 Token cannot be checked now. the replay memory is full (every share in use)
//
// with a "WWW-Authenticate: DPoP …, algs=…" challenge for DPoP refusals
// (none for 429 and 503), and both a Bearer and a DPoP challenge when no
// token came. The default replay memory gives each token holder (issuer
// and client) DefaultReplayMemory/8 proofs a window, so that one client
// cannot fill it for the others.
// ResourceMetadata serves RFC 9728 protected-resource metadata.
//
// WithErrorWriter replaces the body; Failure.OAuthError gives the RFC 6749
// §5.2 shape instead.
package bearer
