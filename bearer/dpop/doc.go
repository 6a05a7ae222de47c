// Package dpop checks and makes DPoP proofs (RFC 9449): the JWT a client
// signs with its own key for each request, which binds an access token to
// that key so that a token leaked without the key is useless.
//
// Both ends of mint use it: the token endpoint checks the proof of a token
// request (RFC 9449 §4.3, §5) and binds the token to the proof's key
// (cnf.jkt, §6.1); the bearer middleware and mint gateway check the proof
// sent with a bound token (§7.1), including its "ath"; the SDK makes
// proofs (Prover).
//
// What Parse and Proof.Check enforce (RFC 9449 §4.2, §4.3):
//
//   - typ is "dpop+jwt"; alg is one of Algorithms (asymmetric only: never
//     "none" nor HMAC); the header's "jwk" is a public key whose type fits
//     alg (RSA keys of at least 2048 bits, the curve alg names), and the
//     signature verifies with it.
//   - jti (at most MaxIDLength bytes), htm, htu and iat are present;
//     htm equals the request's method; htu equals the request's URL, both
//     normalized (NormalizeURL: scheme and host lower case, default port
//     dropped, percent-encoding normalized, no query or fragment).
//   - iat is no more than MaxAge in the past nor Leeway in the future.
//   - ath, when an access token is presented, is the base64url SHA-256 of
//     it; a proof for the token endpoint carries none.
//   - nonce, when the checker asks for one (Nonces: stateless, so that
//     replicas sharing the key agree), is one it issued recently; a
//     missing or old nonce is ErrUseNonce, answered with a fresh nonce in
//     a DPoP-Nonce header.
//   - jti is used once: a ReplayCache remembers it for as long as the proof
//     could be accepted (MaxAge and twice the Leeway). Memory, the one in a
//     process's memory, gives each token holder (Request.Holder; the
//     middleware names the token's issuer and client) a share of its room,
//     so that one holder sending fresh proofs without end is refused
//     (ErrTooMany) while the others' are still accepted (HolderCache).
//
// The key's SHA-256 JWK thumbprint (RFC 7638) is Thumbprint.
package dpop
