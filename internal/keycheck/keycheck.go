package keycheck

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
)

// Public checks a public key of a type mint can verify with: RSA, ECDSA on
// P-256, P-384 or P-521, or Ed25519. The error says what is wrong with the
// key, for an operator or an admin; it never holds key material.
func Public(pub any) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return RSA(k)
	case *ecdsa.PublicKey:
		return ECDSA(k)
	case ed25519.PublicKey:
		return Ed25519(k)
	case nil:
		return errors.New("no key")
	}
	return fmt.Errorf("%T keys are not supported: use RSA, EC (P-256, P-384, P-521) or Ed25519", pub)
}

// ECDSA accepts a point on P-256, P-384 or P-521 that is not the point at
// infinity. Curves below 256 bits (P-224) give too little security, and
// a curve not among these cannot be checked by crypto/ecdh.
func ECDSA(k *ecdsa.PublicKey) error {
	if k == nil || k.Curve == nil {
		return errors.New("EC key without a curve")
	}
	switch k.Curve {
	case elliptic.P256(), elliptic.P384(), elliptic.P521():
	default:
		return fmt.Errorf("EC curve %s is not allowed: use P-256, P-384 or P-521", k.Curve.Params().Name)
	}
	// ECDH validates the point: on the curve, not the identity.
	if _, err := k.ECDH(); err != nil {
		return fmt.Errorf("EC key on %s is not a valid point of the curve", k.Curve.Params().Name)
	}
	return nil
}
