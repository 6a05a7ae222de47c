package keyring

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/internal/mint"
)

// rsaBits is the RSA modulus size: 2048 is what RS256 peers (Auth0,
// Keycloak) use, and the signing cost grows with the cube of it.
const rsaBits = 2048

// newPrivateKey makes a key for alg: RSA-2048 for RS256 and PS256, P-256
// for ES256, Ed25519 for EdDSA.
func newPrivateKey(alg string) (crypto.Signer, error) {
	switch alg {
	case mint.AlgRS256, mint.AlgPS256:
		return rsa.GenerateKey(rand.Reader, rsaBits)
	case mint.AlgES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case mint.AlgEdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	}
	return nil, fmt.Errorf("unsupported signing algorithm %q", alg)
}

// generate returns a new sealed key for alg in state, starting to sign at
// activateAt.
func (r *Ring) generate(alg string, state mint.KeyState, activateAt time.Time) (mint.SigningKey, error) {
	if !slices.Contains(mint.SigningAlgorithms, alg) {
		return mint.SigningKey{}, fmt.Errorf("unsupported signing algorithm %q", alg)
	}
	priv, err := newPrivateKey(alg)
	if err != nil {
		return mint.SigningKey{}, fmt.Errorf("generate %s signing key: %w", alg, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return mint.SigningKey{}, fmt.Errorf("encode %s signing key: %w", alg, err)
	}
	kid, err := thumbprint(priv.Public())
	if err != nil {
		return mint.SigningKey{}, err
	}
	return mint.SigningKey{
		ID: kid, Algorithm: alg, PrivateKey: r.sealer.seal(kid, alg, der),
		State: state, CreatedAt: r.now().UTC(), ActivateAt: activateAt.UTC(),
	}, nil
}

// thumbprint names a key by its RFC 7638 thumbprint, so the "kid" is stable
// and says nothing but which key it is.
func thumbprint(pub crypto.PublicKey) (string, error) {
	jwk := jose.JSONWebKey{Key: pub}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("key thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}
