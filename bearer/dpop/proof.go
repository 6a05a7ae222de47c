package dpop

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Algorithms are the JWS algorithms a proof may be signed with (RFC 9449
// §4.2: asymmetric only), the default first.
var Algorithms = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512, jose.PS256, jose.RS256, jose.EdDSA}

const (
	// MaxProofLength bounds the proof parsed: an RSA 4096 key and every
	// claim fit in well under it.
	MaxProofLength = 8 << 10
	// MaxIDLength bounds the jti remembered.
	MaxIDLength = 256
	// MinRSABits is the smallest RSA key accepted.
	MinRSABits = 2048
	// TypeHeader is the typ of every proof (RFC 9449 §4.2).
	TypeHeader = "dpop+jwt"
)

// Proof is a DPoP proof whose signature verified with the key it carries.
type Proof struct {
	// JKT is the SHA-256 JWK thumbprint of the proof's key (RFC 7638),
	// base64url: the cnf.jkt of a token bound to it.
	JKT string
	// Key is the proof's public key.
	Key jose.JSONWebKey
	// ID is the jti; Method and URL, htm and htu as sent.
	ID          string
	Method, URL string
	IssuedAt    time.Time
	// TokenHash is ath; Nonce, nonce; both empty when absent.
	TokenHash, Nonce string
}

// claims is a proof's payload as sent; iat stays a number to be checked.
type claims struct {
	ID       *string         `json:"jti"`
	Method   *string         `json:"htm"`
	URL      *string         `json:"htu"`
	IssuedAt json.RawMessage `json:"iat"`
	Hash     *string         `json:"ath"`
	Nonce    *string         `json:"nonce"`
}

// Parse parses a proof and verifies its signature with the key in its
// header. It checks the header (typ, alg, jwk) and that the claims are
// present and well-typed; Check compares them with the request.
func Parse(raw string) (*Proof, error) {
	if len(raw) > MaxProofLength || strings.Count(raw, ".") != 2 {
		return nil, ErrMalformed
	}
	// Compact only (RFC 9449 §4.2: a JWT): ParseSigned would take the
	// JSON serialization too, with unprotected headers beside the
	// protected ones.
	jws, err := jose.ParseSignedCompact(raw, Algorithms)
	if err != nil {
		if strings.Contains(err.Error(), "algorithm") {
			return nil, ErrAlgorithm
		}
		return nil, ErrMalformed
	}
	if len(jws.Signatures) != 1 {
		return nil, ErrMalformed
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != TypeHeader {
		return nil, ErrType
	}
	key := h.JSONWebKey
	if key == nil || !fitsAlgorithm(key, jose.SignatureAlgorithm(h.Algorithm)) {
		return nil, ErrKey
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return nil, ErrSignature
	}
	p, err := parseClaims(payload)
	if err != nil {
		return nil, err
	}
	p.Key = *key
	if p.JKT, err = Thumbprint(key); err != nil {
		return nil, ErrKey
	}
	return p, nil
}

// parseClaims reads the payload: jti, htm, htu and iat are required.
func parseClaims(payload []byte) (*Proof, error) {
	var c claims
	dec := json.NewDecoder(bytes.NewReader(payload))
	if err := dec.Decode(&c); err != nil || dec.More() {
		return nil, ErrClaims
	}
	if c.ID == nil || c.Method == nil || c.URL == nil || len(c.IssuedAt) == 0 {
		return nil, ErrClaims
	}
	if *c.ID == "" || len(*c.ID) > MaxIDLength || *c.Method == "" {
		return nil, ErrClaims
	}
	iat, err := numericDate(c.IssuedAt)
	if err != nil {
		return nil, err
	}
	p := &Proof{ID: *c.ID, Method: *c.Method, URL: *c.URL,
		IssuedAt: iat}
	if c.Hash != nil {
		p.TokenHash = *c.Hash
	}
	if c.Nonce != nil {
		p.Nonce = *c.Nonce
	}
	return p, nil
}

// fitsAlgorithm reports whether key is a public key alg can verify with:
// RSA of MinRSABits or more for RS/PS, the curve alg names for ES, Ed25519
// for EdDSA. A key's own "alg", when set, must be alg.
func fitsAlgorithm(key *jose.JSONWebKey, alg jose.SignatureAlgorithm) bool {
	if !key.Valid() || !key.IsPublic() || (key.Algorithm != "" && key.Algorithm != string(alg)) {
		return false
	}
	switch k := key.Key.(type) {
	case *rsa.PublicKey:
		return (alg == jose.RS256 || alg == jose.PS256) && k.N.BitLen() >= MinRSABits
	case *ecdsa.PublicKey:
		want := map[jose.SignatureAlgorithm]elliptic.Curve{
			jose.ES256: elliptic.P256(), jose.ES384: elliptic.P384(), jose.ES512: elliptic.P521()}[alg]
		return want != nil && k.Curve == want
	case ed25519.PublicKey:
		return alg == jose.EdDSA
	}
	return false
}

// numericDate reads iat: a JSON number (RFC 7519 §2), not a string, from
// the epoch up to year 5138; a fraction is dropped.
func numericDate(raw json.RawMessage) (time.Time, error) {
	if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return time.Time{}, ErrClaims
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || math.IsNaN(f) || f < 0 || f > 1e11 {
		return time.Time{}, ErrClaims
	}
	return time.Unix(int64(f), 0), nil
}
