// Package keyring holds mint's signing keys: it creates the first key on
// first start, keeps it in the Store so every replica signs with the same
// key, signs access tokens with the active key (RS256 by default, as the
// seed APIs expect), and publishes the public keys as a JWK Set (RFC 7517 §5)
// at /.well-known/jwks.json.
package keyring

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint"
	"github.com/mintauth/mint/oauth"
)

// DefaultAlgorithm signs tokens unless an API asks for another.
const DefaultAlgorithm = jose.RS256

// rsaBits is the RSA modulus size: 2048 is what RS256 peers (Auth0,
// Keycloak) use, and the signing cost grows with the cube of it.
const rsaBits = 2048

// TokenType is the JWS "typ" of mint's access tokens (RFC 9068 §2.1).
const TokenType = "at+jwt"

// Ring signs with the active key and publishes every key that may have
// signed a token still in use. It is safe for concurrent use.
type Ring struct {
	store mint.Store
	now   func() time.Time

	mu        sync.RWMutex
	signer    jose.Signer
	activeKID string
	published jose.JSONWebKeySet
}

// Open loads the keys from store, first creating the active key if there is
// none. Replicas opening at once end up sharing one key (see
// mint.Store.EnsureActiveKey).
func Open(ctx context.Context, store mint.Store, now func() time.Time) (*Ring, error) {
	r := &Ring{store: store, now: now}
	keys, err := store.ListSigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	if !hasActive(keys, string(DefaultAlgorithm)) {
		key, err := generate(now())
		if err != nil {
			return nil, err
		}
		if _, err := store.EnsureActiveKey(ctx, key); err != nil {
			return nil, fmt.Errorf("store signing key: %w", err)
		}
	}
	return r, r.Reload(ctx)
}

func hasActive(keys []mint.SigningKey, alg string) bool {
	for _, k := range keys {
		if k.State == mint.KeyActive && k.Algorithm == alg {
			return true
		}
	}
	return false
}

// Reload reads the keys from the store again, so a key added by another
// replica or by rotation is used and published.
func (r *Ring) Reload(ctx context.Context) error {
	keys, err := r.store.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	var set jose.JSONWebKeySet
	var signer jose.Signer
	var activeKID string
	for _, k := range keys {
		jwk, err := parse(k)
		if err != nil {
			return err
		}
		set.Keys = append(set.Keys, jwk.Public())
		if k.State == mint.KeyActive && k.Algorithm == string(DefaultAlgorithm) {
			signer, err = newSigner(jwk)
			if err != nil {
				return err
			}
			activeKID = k.ID
		}
	}
	if signer == nil {
		return errors.New("no active signing key")
	}
	r.mu.Lock()
	r.signer, r.activeKID, r.published = signer, activeKID, set
	r.mu.Unlock()
	return nil
}

// Sign returns the compact JWS of payload, signed with the active key, with
// the "kid" and "typ: at+jwt" headers set.
func (r *Ring) Sign(payload []byte) (string, error) {
	r.mu.RLock()
	signer := r.signer
	r.mu.RUnlock()
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return jws.CompactSerialize()
}

// ActiveKeyID returns the "kid" of the key that signs now.
func (r *Ring) ActiveKeyID() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.activeKID
}

// PublicKeys returns the published key set.
func (r *Ring) PublicKeys() jose.JSONWebKeySet {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return jose.JSONWebKeySet{Keys: append([]jose.JSONWebKey(nil), r.published.Keys...)}
}

// LookupKey returns the published key with the given "kid", so that mint can
// verify its own tokens (the admin API) without fetching its own JWKS.
func (r *Ring) LookupKey(_ context.Context, kid string) (jose.JSONWebKey, bool, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, k := range r.published.Keys {
		if k.KeyID == kid {
			return k, true, nil
		}
	}
	return jose.JSONWebKey{}, false, nil
}

// jwksMaxAge is how long a verifier may cache the JWKS. Rotation publishes
// the next key at least this long before it signs.
const jwksMaxAge = 5 * time.Minute

// ServeJWKS answers GET /.well-known/jwks.json.
func (r *Ring) ServeJWKS(w http.ResponseWriter, _ *http.Request) {
	set := r.PublicKeys()
	w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(jwksMaxAge.Seconds())))
	oauth.WriteJSONCached(w, http.StatusOK, set)
}

func generate(now time.Time) (mint.SigningKey, error) {
	priv, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return mint.SigningKey{}, fmt.Errorf("generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return mint.SigningKey{}, fmt.Errorf("encode signing key: %w", err)
	}
	kid, err := thumbprint(&priv.PublicKey)
	if err != nil {
		return mint.SigningKey{}, err
	}
	return mint.SigningKey{
		ID: kid, Algorithm: string(DefaultAlgorithm), PrivateKey: der,
		State: mint.KeyActive, CreatedAt: now.UTC(),
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

func parse(k mint.SigningKey) (jose.JSONWebKey, error) {
	priv, err := x509.ParsePKCS8PrivateKey(k.PrivateKey)
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("signing key %s: %w", k.ID, err)
	}
	return jose.JSONWebKey{Key: priv, KeyID: k.ID, Algorithm: k.Algorithm, Use: "sig"}, nil
}

func newSigner(jwk jose.JSONWebKey) (jose.Signer, error) {
	opts := (&jose.SignerOptions{}).WithType(TokenType)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(jwk.Algorithm), Key: jwk}, opts)
	if err != nil {
		return nil, fmt.Errorf("signer for key %s: %w", jwk.KeyID, err)
	}
	return s, nil
}
