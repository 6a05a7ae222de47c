package clientauth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/go-jose/go-jose/v4"
)

const (
	// MaxJWKSKeys bounds the keys one client may register.
	MaxJWKSKeys = 10
	// minRSABits is the smallest RSA key accepted (RFC 7518 §3.3).
	minRSABits = 2048
)

// ParseJWKS reads a client's JWK Set (RFC 7517 §5) and checks that it can
// only verify: 1 to MaxJWKSKeys public keys, each RSA (2048 bits or more,
// RS256 or PS256), EC P-256 (ES256) or Ed25519 (EdDSA), with a kid on
// every key when there is more than one, no kid twice, and "use", when
// present, "sig". Private and symmetric keys are refused. The error says
// what is wrong, for an admin.
func ParseJWKS(data []byte) (jose.JSONWebKeySet, error) {
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return jose.JSONWebKeySet{}, errors.New(`must be a JSON object {"keys":[…]}`)
	}
	if len(raw.Keys) == 0 || len(raw.Keys) > MaxJWKSKeys {
		return jose.JSONWebKeySet{}, fmt.Errorf("must hold 1 to %d keys", MaxJWKSKeys)
	}
	set := jose.JSONWebKeySet{}
	seen := map[string]bool{}
	for i, r := range raw.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(r); err != nil {
			return jose.JSONWebKeySet{}, fmt.Errorf("key %d is not a JWK mint supports: %v", i, err)
		}
		if err := checkKey(k); err != nil {
			return jose.JSONWebKeySet{}, fmt.Errorf("key %d: %w", i, err)
		}
		switch {
		case len(raw.Keys) > 1 && k.KeyID == "":
			return jose.JSONWebKeySet{}, fmt.Errorf("key %d has no kid: every key needs one when there are several", i)
		case k.KeyID != "" && seen[k.KeyID]:
			return jose.JSONWebKeySet{}, fmt.Errorf("kid %q is used twice", k.KeyID)
		}
		seen[k.KeyID] = true
		set.Keys = append(set.Keys, k)
	}
	return set, nil
}

// checkKey accepts a public signature key of a supported type.
func checkKey(k jose.JSONWebKey) error {
	if !k.IsPublic() {
		return errors.New("must be a public key: private and symmetric keys are refused")
	}
	if k.Use != "" && k.Use != "sig" {
		return fmt.Errorf(`use must be "sig", not %q`, k.Use)
	}
	var algs []string
	switch pub := k.Key.(type) {
	case *rsa.PublicKey:
		if pub.N.BitLen() < minRSABits {
			return fmt.Errorf("RSA keys must have at least %d bits", minRSABits)
		}
		algs = []string{string(jose.RS256), string(jose.PS256)}
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() {
			return errors.New("EC keys must be on P-256 (ES256)")
		}
		algs = []string{string(jose.ES256)}
	case ed25519.PublicKey:
		algs = []string{string(jose.EdDSA)}
	default:
		return errors.New("kty must be RSA, EC (P-256) or OKP (Ed25519)")
	}
	if k.Algorithm != "" && !slices.Contains(algs, k.Algorithm) {
		return fmt.Errorf("alg %q does not fit this key; use one of %v", k.Algorithm, algs)
	}
	return nil
}
