package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Prover makes DPoP proofs with one key (RFC 9449 §4.2), for a client.
// It is safe for concurrent use.
type Prover struct {
	signer jose.Signer
	jkt    string
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu     sync.Mutex
	nonces map[string]string // the last DPoP-Nonce of each origin
}

// maxOrigins bounds the nonces a Prover remembers; past it, it forgets
// them all and learns them again from the next challenges.
const maxOrigins = 64

// Nonce is the last nonce the server at origin (scheme://host[:port])
// handed out, or "".
func (p *Prover) Nonce(origin string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.nonces[origin]
}

// SetNonce remembers the DPoP-Nonce the server at origin sent (RFC 9449
// §8.2, §9), for the proofs that follow.
func (p *Prover) SetNonce(origin, nonce string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.nonces == nil || len(p.nonces) >= maxOrigins {
		p.nonces = map[string]string{}
	}
	p.nonces[origin] = nonce
}

// NewProver returns a Prover signing with key (an *ecdsa.PrivateKey,
// *rsa.PrivateKey or ed25519.PrivateKey) and alg, which must be one of
// Algorithms and fit the key.
func NewProver(key crypto.Signer, alg jose.SignatureAlgorithm) (*Prover, error) {
	pub := jose.JSONWebKey{Key: key.Public()}
	if !fitsAlgorithm(&pub, alg) {
		return nil, fmt.Errorf("dpop: key unfit for %s", alg)
	}
	opts := (&jose.SignerOptions{EmbedJWK: true}).WithType(TypeHeader)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		return nil, fmt.Errorf("dpop: %w", err)
	}
	jkt, err := Thumbprint(&pub)
	if err != nil {
		return nil, fmt.Errorf("dpop: %w", err)
	}
	return &Prover{signer: signer, jkt: jkt}, nil
}

// GenerateProver returns a Prover with a new P-256 key, signing ES256.
func GenerateProver() (*Prover, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("dpop: %w", err)
	}
	return NewProver(key, jose.ES256)
}

// JKT is the thumbprint of the Prover's key: the cnf.jkt of its tokens.
func (p *Prover) JKT() string { return p.jkt }

// Proof returns a proof for a request with method to url. accessToken,
// when not empty, is the token sent with it (ath); nonce, when not empty,
// the server's last DPoP-Nonce.
func (p *Prover) Proof(method, url, accessToken, nonce string) (string, error) {
	var id [16]byte
	rand.Read(id[:])
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	c := map[string]any{
		"jti": base64.RawURLEncoding.EncodeToString(id[:]),
		"htm": method,
		"htu": stripQuery(url),
		"iat": now().Unix(),
	}
	if accessToken != "" {
		c["ath"] = TokenHash(accessToken)
	}
	if nonce != "" {
		c["nonce"] = nonce
	}
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("dpop: %w", err)
	}
	jws, err := p.signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("dpop: %w", err)
	}
	return jws.CompactSerialize()
}

// stripQuery drops the query and fragment htu must not carry (§4.2).
func stripQuery(u string) string {
	for i := 0; i < len(u); i++ {
		if u[i] == '?' || u[i] == '#' {
			return u[:i]
		}
	}
	return u
}
