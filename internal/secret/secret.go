// Package secret makes client secrets and checks them.
//
// A secret is 32 bytes from crypto/rand, written as "mint_" followed by 43
// base64url characters. The prefix lets secret scanners find leaked ones.
//
// mint stores only the SHA-256 digest of a secret. Slow password hashes
// (bcrypt, argon2) exist to make guessing low-entropy human passwords
// expensive; a 256-bit random secret cannot be guessed whatever the hash,
// so a stolen digest is as useless as a stolen bcrypt hash, while checking
// one costs about a microsecond instead of ~60 ms on every token request.
// This is the same reasoning GitHub and Stripe apply to their API keys.
package secret

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// Prefix starts every secret mint generates.
const Prefix = "mint_"

// New returns a fresh secret and its digest.
func New() (plain string, digest []byte) {
	var b [32]byte
	rand.Read(b[:])
	plain = Prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return plain, Digest(plain)
}

// Digest returns what mint stores for a secret.
func Digest(plain string) []byte {
	d := sha256.Sum256([]byte(plain))
	return d[:]
}

// Match reports in constant time whether presented hashes to digest.
func Match(presented string, digest []byte) bool {
	return MatchDigest(Digest(presented), digest)
}

// MatchDigest compares two digests in constant time. Anything but two equal
// SHA-256 digests is a mismatch, so an empty or truncated stored digest can
// never authenticate.
func MatchDigest(a, b []byte) bool {
	return len(a) == sha256.Size && subtle.ConstantTimeCompare(a, b) == 1
}
