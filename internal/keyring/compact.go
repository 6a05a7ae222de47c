package keyring

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/internal/mint"
)

// compactSigner writes compact JWS (RFC 7515 §7.1) with one key. Its
// protected header is fixed per key, so it is encoded once, by go-jose,
// when the key is loaded; each token then costs one base64 encoding of the
// payload, one hash and one signature, the same bytes go-jose's Signer
// writes without its per-call header marshalling and JSON round trips.
type compactSigner struct {
	header string // base64url of the protected header: alg, kid, typ
	sign   func(signingInput []byte) ([]byte, error)
	sigLen int // bytes of a signature, to size the token exactly
}

// newCompactSigner returns the signer of key for alg, with header the
// encoded protected header go-jose writes for it.
func newCompactSigner(alg string, key crypto.PrivateKey, header string) (*compactSigner, error) {
	s := &compactSigner{header: header}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		s.sigLen = k.Size()
		switch alg {
		case mint.AlgRS256:
			s.sign = func(in []byte) ([]byte, error) {
				d := sha256.Sum256(in)
				return rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, d[:])
			}
		case mint.AlgPS256:
			opts := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}
			s.sign = func(in []byte) ([]byte, error) {
				d := sha256.Sum256(in)
				return rsa.SignPSS(rand.Reader, k, crypto.SHA256, d[:], opts)
			}
		}
	case *ecdsa.PrivateKey:
		if alg == mint.AlgES256 && k.Curve.Params().BitSize == 256 {
			s.sigLen = 64
			s.sign = func(in []byte) ([]byte, error) {
				d := sha256.Sum256(in)
				der, err := ecdsa.SignASN1(rand.Reader, k, d[:])
				if err != nil {
					return nil, err
				}
				return rawECDSA(der, 32)
			}
		}
	case ed25519.PrivateKey:
		if alg == mint.AlgEdDSA {
			s.sigLen = ed25519.SignatureSize
			s.sign = func(in []byte) ([]byte, error) { return ed25519.Sign(k, in), nil }
		}
	}
	if s.sign == nil {
		return nil, fmt.Errorf("no %s signer for a %T", alg, key)
	}
	return s, nil
}

// joseHeader returns the encoded protected header go-jose writes for jwk
// under alg with typ at+jwt, taken from a signature of an empty payload.
func joseHeader(alg string, jwk jose.JSONWebKey) (string, error) {
	opts := (&jose.SignerOptions{}).WithType(TokenType)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: jwk}, opts)
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(nil)
	if err != nil {
		return "", err
	}
	compact, err := jws.CompactSerialize()
	if err != nil {
		return "", err
	}
	header, _, _ := strings.Cut(compact, ".")
	return header, nil
}

// Sign returns header.payload.signature, all base64url without padding.
func (s *compactSigner) Sign(payload []byte) (string, error) {
	enc := base64.RawURLEncoding
	n := len(s.header) + 1 + enc.EncodedLen(len(payload))
	buf := make([]byte, 0, n+1+enc.EncodedLen(s.sigLen)) // the signature's room too
	buf = append(buf, s.header...)
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, payload)
	sig, err := s.sign(buf)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig)
	// buf is not written again and not kept anywhere else, so the token
	// can be its bytes rather than a copy of them: one allocation and one
	// copy of ~300 bytes less per token, as strings.Builder does.
	return unsafe.String(unsafe.SliceData(buf), len(buf)), nil
}

// rawECDSA turns an ASN.1 ECDSA signature into r ‖ s, each size bytes
// (RFC 7518 §3.4).
func rawECDSA(der []byte, size int) ([]byte, error) {
	errBad := errors.New("malformed ECDSA signature")
	seq, rest, ok := derElement(der, 0x30)
	if !ok || len(rest) != 0 {
		return nil, errBad
	}
	out := make([]byte, 2*size)
	for i := range 2 {
		var n []byte
		if n, seq, ok = derElement(seq, 0x02); !ok {
			return nil, errBad
		}
		for len(n) > 0 && n[0] == 0 { // sign padding
			n = n[1:]
		}
		if len(n) > size {
			return nil, errBad
		}
		copy(out[(i+1)*size-len(n):(i+1)*size], n)
	}
	if len(seq) != 0 {
		return nil, errBad
	}
	return out, nil
}

// derElement reads one DER element with the given tag and a short-form
// length (under 128 bytes: every P-256 signature), returning its content
// and what follows it.
func derElement(b []byte, tag byte) (content, rest []byte, ok bool) {
	if len(b) < 2 || b[0] != tag || b[1] >= 0x80 || int(b[1]) > len(b)-2 {
		return nil, nil, false
	}
	return b[2 : 2+b[1]], b[2+b[1]:], true
}
