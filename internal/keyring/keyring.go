// Package keyring holds mint's signing keys. It keeps them in the Store,
// sealed with a master key (AES-256-GCM), so that every replica signs with
// the same keys and a copied database yields none; it signs access tokens
// with the key of the API's algorithm (RS256, PS256, ES256 or EdDSA, RFC
// 7518 §3 and RFC 8037) that should sign now; it rotates keys in stages,
// publishing the next key before it signs and the retired one until every
// token it signed has expired; and it publishes the public keys as a JWK
// Set (RFC 7517 §5) at /.well-known/jwks.json.
package keyring

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// DefaultAlgorithm signs tokens unless an API asks for another; the ring
// always holds a key for it.
const DefaultAlgorithm = mint.AlgRS256

// TokenType is the JWS "typ" of mint's access tokens (RFC 9068 §2.1).
const TokenType = "at+jwt"

// jwksMaxAge is how long a verifier may cache the JWKS.
const jwksMaxAge = 5 * time.Minute

// DefaultPrepublish is how long a rotated-in key is published before it
// signs: twice the JWKS max-age, so that every cache honouring it has
// fetched the key by then.
const DefaultPrepublish = 2 * jwksMaxAge

// RetentionLeeway is added to the longest token lifetime to give how long
// a retired key stays published: clock skew, verifier leeway, and replicas
// that learn of an immediate rotation only at their next reload.
const RetentionLeeway = 5 * time.Minute

// Config is how a Ring keeps and rotates its keys.
type Config struct {
	// MasterKey seals the private keys in the store: MasterKeySize bytes.
	// Required.
	MasterKey []byte
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Prepublish is how long a rotated-in key is published before it
	// signs; default DefaultPrepublish.
	Prepublish time.Duration
	// RotationPeriod is how long a key signs before Maintain rotates it;
	// zero: keys rotate only when asked (Rotate).
	RotationPeriod time.Duration
}

// Ring signs with the key that should sign now and publishes every key that
// may have signed a token still in use. It is safe for concurrent use.
type Ring struct {
	store      mint.Store
	sealer     *sealer
	now        func() time.Time
	prepublish time.Duration
	period     time.Duration

	createMu sync.Mutex // one on-demand key creation at a time

	mu        sync.RWMutex
	keys      []loadedKey // as stored, oldest first
	published jose.JSONWebKeySet

	lastUnknownReload atomic.Int64 // unix nanoseconds
}

// loadedKey is a stored key, opened.
type loadedKey struct {
	meta   mint.SigningKey // without PrivateKey
	sealed []byte          // PrivateKey as stored
	public jose.JSONWebKey
	signer *compactSigner
}

// Open loads the keys from store and brings them up to date (Maintain): on
// a new database it creates the first RS256 key; keys stored in the clear
// by an older mint are sealed. Replicas opening at once end up sharing one
// key. A master key that does not open the stored keys is an error wrapping
// ErrMasterKey, and nothing is written.
func Open(ctx context.Context, store mint.Store, cfg Config) (*Ring, error) {
	s, err := newSealer(cfg.MasterKey)
	if err != nil {
		return nil, err
	}
	r := &Ring{store: store, sealer: s, now: cfg.Now, prepublish: cfg.Prepublish, period: cfg.RotationPeriod}
	if r.now == nil {
		r.now = time.Now
	}
	if r.prepublish <= 0 {
		r.prepublish = DefaultPrepublish
	}
	// Open every stored key before writing anything: a wrong master key
	// must not get to seal new keys beside the old ones.
	if err := r.Reload(ctx); err != nil {
		return nil, err
	}
	if err := r.Maintain(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// Reload reads the keys from the store again, so that a key added by
// another replica or by rotation is published and used. On error the ring
// keeps the keys it had.
func (r *Ring) Reload(ctx context.Context) error {
	stored, err := r.store.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	r.mu.RLock()
	previous := r.keys
	r.mu.RUnlock()
	keys := make([]loadedKey, 0, len(stored))
	var set jose.JSONWebKeySet
	for _, k := range stored {
		lk, err := r.load(k, previous)
		if err != nil {
			return err
		}
		keys = append(keys, lk)
		set.Keys = append(set.Keys, lk.public)
	}
	r.mu.Lock()
	r.keys, r.published = keys, set
	r.mu.Unlock()
	return nil
}

// load opens k, reusing what was opened before if k is unchanged.
func (r *Ring) load(k mint.SigningKey, previous []loadedKey) (loadedKey, error) {
	sealed := k.PrivateKey
	k.PrivateKey = nil
	for _, p := range previous {
		if p.meta.ID == k.ID && p.meta.Algorithm == k.Algorithm && bytes.Equal(p.sealed, sealed) {
			p.meta = k
			return p, nil
		}
	}
	if !slices.Contains(mint.SigningAlgorithms, k.Algorithm) {
		return loadedKey{}, fmt.Errorf("signing key %s: unsupported algorithm %q", k.ID, k.Algorithm)
	}
	der, err := r.sealer.open(mint.SigningKey{ID: k.ID, Algorithm: k.Algorithm, PrivateKey: sealed})
	if err != nil {
		return loadedKey{}, err
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return loadedKey{}, fmt.Errorf("signing key %s: %w", k.ID, err)
	}
	jwk := jose.JSONWebKey{Key: priv, KeyID: k.ID, Algorithm: k.Algorithm, Use: "sig"}
	header, err := joseHeader(k.Algorithm, jwk)
	if err != nil {
		return loadedKey{}, fmt.Errorf("signer for key %s: %w", k.ID, err)
	}
	signer, err := newCompactSigner(k.Algorithm, priv, header)
	if err != nil {
		return loadedKey{}, fmt.Errorf("signer for key %s: %w", k.ID, err)
	}
	return loadedKey{meta: k, sealed: sealed, public: jwk.Public(), signer: signer}, nil
}

// Sign returns the compact JWS of payload, signed with the key of alg that
// should sign now (see signsAt), with the "kid" and "typ: at+jwt" headers
// set. When the ring has no key for alg yet, it creates one first.
func (r *Ring) Sign(ctx context.Context, alg string, payload []byte) (string, error) {
	k, ok := r.signingKey(alg, r.now())
	if !ok {
		if err := r.EnsureKey(ctx, alg); err != nil {
			return "", err
		}
		if k, ok = r.signingKey(alg, r.now()); !ok {
			return "", fmt.Errorf("no %s key signs yet", alg)
		}
	}
	return k.signer.Sign(payload)
}

// signingKey returns the key of alg that signs at t.
func (r *Ring) signingKey(alg string, t time.Time) (loadedKey, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	best := -1
	for i, k := range r.keys {
		if k.meta.Algorithm == alg && startedBy(k.meta, t) && (best < 0 || !signsBefore(k.meta, r.keys[best].meta)) {
			best = i
		}
	}
	if best < 0 {
		return loadedKey{}, false
	}
	return r.keys[best], true
}

// SigningKeyID returns the "kid" of the key that signs alg's tokens now, or
// "" when there is none.
func (r *Ring) SigningKeyID(alg string) string {
	k, _ := r.signingKey(alg, r.now())
	return k.meta.ID
}

// ActiveKeyID returns the "kid" of the key that signs RS256 tokens now.
func (r *Ring) ActiveKeyID() string { return r.SigningKeyID(DefaultAlgorithm) }

// PublicKeys returns the published key set: every next, active and retired
// key, public parts only.
func (r *Ring) PublicKeys() jose.JSONWebKeySet {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return jose.JSONWebKeySet{Keys: slices.Clone(r.published.Keys)}
}

// LookupKey returns the published key with the given "kid", so that mint can
// verify its own tokens (the admin API) without fetching its own JWKS.
func (r *Ring) LookupKey(ctx context.Context, kid string) (jose.JSONWebKey, bool, error) {
	if k, ok := r.lookup(kid); ok {
		return k, true, nil
	}
	// Another replica may have made the key a moment ago (rotation, or a
	// new algorithm's first key) and its notification not arrived yet:
	// read the keys again, at most once per unknownKIDReload, so made-up
	// kids cannot hammer the database.
	now := time.Now().UnixNano()
	last := r.lastUnknownReload.Load()
	if now-last < int64(unknownKIDReload) || !r.lastUnknownReload.CompareAndSwap(last, now) {
		return jose.JSONWebKey{}, false, nil
	}
	if err := r.Reload(ctx); err != nil {
		return jose.JSONWebKey{}, false, err
	}
	k, ok := r.lookup(kid)
	return k, ok, nil
}

func (r *Ring) lookup(kid string) (jose.JSONWebKey, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, k := range r.published.Keys {
		if k.KeyID == kid {
			return k, true
		}
	}
	return jose.JSONWebKey{}, false
}

// unknownKIDReload is the least time between two reloads caused by a kid
// the ring does not know.
const unknownKIDReload = time.Second

// ServeJWKS answers GET /.well-known/jwks.json.
func (r *Ring) ServeJWKS(w http.ResponseWriter, _ *http.Request) {
	set := r.PublicKeys()
	w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(jwksMaxAge.Seconds())))
	oauth.WriteJSONCached(w, http.StatusOK, set)
}

// ErrRotationPending: a key of the algorithm is already waiting to
// activate; rotate again once it has, or rotate immediately.
var ErrRotationPending = fmt.Errorf("a key is already waiting to activate: %w", mint.ErrConflict)
