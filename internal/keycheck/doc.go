// Package keycheck decides whether a public key is sound enough for mint
// to trust a signature made with it: every key mint is given (a client's
// JWK Set, an issuer's keys, a TLS certificate) passes through Public
// before it is kept or used.
//
// A parser accepts any key that is well formed; the checks here refuse
// keys that are well formed but worthless: an RSA modulus that is prime, a
// perfect power or has a small factor (anyone can then compute the private
// exponent), an exponent that invites forgery, an EC point that is not on
// its curve or on a weak curve, an Ed25519 point of small order (with one,
// a signature that verifies can be made without the private key).
//
// The checks cost up to a few milliseconds for an RSA key, so verdicts on
// RSA keys are remembered (see cache.go): a key checked once is not
// checked again in the same process.
package keycheck
