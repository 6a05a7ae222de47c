package keyring

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/mintauth/mint/internal/mint"
)

// MasterKeySize is the size of the master key: an AES-256 key.
const MasterKeySize = 32

// sealedPrefix starts every sealed private key; the version lets a later
// format live beside this one.
const sealedPrefix = "mint-sealed-v1:"

// ErrMasterKey means the master key does not open a stored signing key: it
// is not the key the signing keys were sealed with, or the row was altered.
var ErrMasterKey = errors.New("master key does not open signing key")

// sealer seals private keys with AES-256-GCM under the master key. The
// additional data binds each sealed key to its kid and algorithm, so a
// sealed key copied into another row does not open.
type sealer struct{ aead cipher.AEAD }

func newSealer(master []byte) (*sealer, error) {
	if len(master) != MasterKeySize {
		return nil, fmt.Errorf("master key is %d bytes, want %d", len(master), MasterKeySize)
	}
	block, err := aes.NewCipher(master)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

// additionalData is what a sealed key is bound to: "kid alg". A kid is
// base64url and never holds a space.
func additionalData(kid, alg string) []byte { return []byte(kid + " " + alg) }

// seal returns "mint-sealed-v1:" || nonce || ciphertext of der.
func (s *sealer) seal(kid, alg string, der []byte) []byte {
	out := make([]byte, len(sealedPrefix), len(sealedPrefix)+s.aead.NonceSize()+len(der)+s.aead.Overhead())
	copy(out, sealedPrefix)
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce) // never fails (crypto/rand)
	out = append(out, nonce...)
	return s.aead.Seal(out, nonce, der, additionalData(kid, alg))
}

// isSealed tells a sealed key from a key stored in the clear (PKCS #8 DER,
// as mint stored keys before sealing).
func isSealed(stored []byte) bool { return bytes.HasPrefix(stored, []byte(sealedPrefix)) }

// open returns the PKCS #8 DER of a stored key, sealed or (as stored
// before sealing) in the clear.
func (s *sealer) open(k mint.SigningKey) ([]byte, error) {
	if !isSealed(k.PrivateKey) {
		if len(k.PrivateKey) > 0 && k.PrivateKey[0] == 0x30 { // a DER SEQUENCE
			return k.PrivateKey, nil
		}
		return nil, fmt.Errorf("signing key %s: neither sealed nor PKCS #8", k.ID)
	}
	body := k.PrivateKey[len(sealedPrefix):]
	if len(body) < s.aead.NonceSize()+s.aead.Overhead() {
		return nil, fmt.Errorf("signing key %s: sealed key truncated", k.ID)
	}
	nonce, ct := body[:s.aead.NonceSize()], body[s.aead.NonceSize():]
	der, err := s.aead.Open(nil, nonce, ct, additionalData(k.ID, k.Algorithm))
	if err != nil {
		return nil, fmt.Errorf("%w %s", ErrMasterKey, k.ID)
	}
	return der, nil
}

// resealed returns keys with every key stored in the clear sealed.
func (s *sealer) resealed(keys []mint.SigningKey) []mint.SigningKey {
	for i, k := range keys {
		if !isSealed(k.PrivateKey) && len(k.PrivateKey) > 0 && k.PrivateKey[0] == 0x30 {
			keys[i].PrivateKey = s.seal(k.ID, k.Algorithm, k.PrivateKey)
		}
	}
	return keys
}
