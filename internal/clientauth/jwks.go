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
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/internal/keycheck"
)

// MaxJWKSKeys bounds the keys one client may register.
const MaxJWKSKeys = 10

// privateMembers are the JWK members that hold private or symmetric key
// material (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2). A public JWK
// has none: a key that carries one is refused whole, never trimmed, so
// that the secret is not stored and its owner learns it was exposed.
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// ParseJWKS reads a client's JWK Set (RFC 7517 §5) and checks that it can
// only verify: 1 to MaxJWKSKeys public keys, each RSA (RS256 or PS256), EC
// P-256 (ES256) or Ed25519 (EdDSA), with a kid on every key when there is
// more than one, no kid twice, and "use", when present, "sig". Every key
// must pass keycheck.Public (no prime or weak RSA modulus, no point off its
// curve or of small order). Private and symmetric keys, and public keys
// carrying any private member, are refused. The error says what is wrong,
// for an admin; it never quotes key material.
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
		// go-jose reads a key without "d" as public, whatever else of
		// the private key it carries.
		if m := privateMember(r); m != "" {
			return jose.JSONWebKeySet{}, fmt.Errorf("key %d has %s: register public keys only, and replace this key, since its secret has left its owner", i, m)
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
	if err := keycheck.Public(k.Key); err != nil {
		return err
	}
	if k.Algorithm != "" && !slices.Contains(algs, k.Algorithm) {
		return fmt.Errorf("alg %q does not fit this key; use one of %v", k.Algorithm, algs)
	}
	return nil
}

// privateMember names what in the JSON object raw is secret: a symmetric
// key, or the first private member (compared as encoding/json, and so
// go-jose, would: ignoring case). "" when there is none, or raw is not an
// object, which parsing reports.
func privateMember(raw json.RawMessage) string {
	var members map[string]json.RawMessage
	if json.Unmarshal(raw, &members) != nil {
		return ""
	}
	for name, v := range members {
		if strings.EqualFold(name, "kty") && strings.EqualFold(string(v), `"oct"`) {
			return "kty oct: symmetric keys are refused"
		}
	}
	for _, m := range privateMembers {
		for name := range members {
			if strings.EqualFold(name, m) {
				return fmt.Sprintf("the private member %q", name)
			}
		}
	}
	return ""
}
