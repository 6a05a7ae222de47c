// Package clientauth authenticates the clients that call mint's token,
// introspection (RFC 7662) and revocation (RFC 7009) endpoints, by one of
// three methods (RFC 7591 §2 names):
//
//   - client_secret_basic: HTTP Basic whose id and secret are
//     form-urlencoded before base64 (RFC 6749 §2.3.1).
//   - client_secret_post: client_id and client_secret in the body.
//   - private_key_jwt (RFC 7523 §2.2 and §3, RFC 7521 §4.2):
//     client_assertion_type urn:ietf:params:oauth:client-assertion-type:jwt-bearer
//     and client_assertion, a JWT signed with a key of the client's
//     registered JWK Set.
//
// Parse reads the credentials from a request's Authorization header and
// body parameters; Authenticator.Authenticate checks them against the
// Store and returns the client.
//
// # Choices
//
//   - No credentials, and a malformed Authorization header, are
//     invalid_client (401) with WWW-Authenticate: Basic realm="mint". Two
//     methods at once (Basic and client_secret, or an assertion with
//     either) are invalid_request, as is an assertion type other than
//     jwt-bearer or jwt-spiffe (a JWT-SVID, checked by package federation's
//     SPIFFE rules), or a type without an assertion. A body client_id that
//     differs from Basic's is invalid_request.
//   - Secrets: an unknown client, a wrong secret and an expired secret are
//     the same invalid_client "client authentication failed", with the
//     challenge only when Basic was used (RFC 6749 §5.2). They cost the
//     same: an unknown client is compared against a dummy digest, and a
//     presented secret is compared with every secret of the client without
//     stopping at a match.
//   - Each successful secret use goes to a Recorder, which writes the last
//     use of each secret to the Store every few seconds (never one write
//     per request); the admin API shows it as last_used_at.
//   - Assertions: parsed with the allow-list RS256, PS256, ES256, EdDSA
//     (never none or HS*). iss and sub must both be the client_id, and equal
//     the body's client_id when one is sent. The key is the one of the
//     client's JWKS its kid names, or the only key when it names none; a
//     key's own alg, when set, must be the assertion's. aud must contain
//     the issuer or the token endpoint URL, exactly. exp is required, not
//     past and at most MaxAssertionLifetime (10 minutes) ahead; nbf and iat,
//     when present, not in the future; all with AssertionLeeway (30 s) of
//     clock skew. jti is required (at most 256 bytes) and recorded with
//     Store.UseAssertion until the assertion expires: a second use on any
//     replica sharing the store is refused. A client without a JWKS cannot
//     use the method.
//   - Every refused assertion is the same invalid_client (401, no
//     challenge), "client authentication failed"; the reason (bad
//     signature, wrong aud, replay, …) goes to the log at Info with the
//     client_id, never the assertion itself.
//   - Storage failures are server_error, the cause logged.
//   - With Federation set, a client_assertion whose iss and sub differ is
//     an external token checked against the clients' trust rules (issue
//     18, internal/federation), logged as method federated_jwt; and
//     ParseBearerGrant reads the JWT bearer grant (RFC 7523 §2.1), whose
//     assertion is checked the same way, refusals being invalid_grant.
//     Their refusals carry the federation package's public description.
package clientauth
