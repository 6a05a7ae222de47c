package dpop

import (
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"

	"github.com/go-jose/go-jose/v4"
)

// Thumbprint is the JWK SHA-256 thumbprint of key's public part (RFC 7638
// §3), base64url without padding: the value of cnf.jkt (RFC 9449 §6.1).
func Thumbprint(key *jose.JSONWebKey) (string, error) {
	pub := key.Public()
	sum, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}

// TokenHash is the "ath" of a proof sent with accessToken (RFC 9449 §4.2):
// the base64url SHA-256 of its ASCII bytes.
func TokenHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// equal compares two public values in constant time.
func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
