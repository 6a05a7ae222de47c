package bearer_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mintauth/mint/oauth"
)

// epoch is the fixed "now" of the tests: the date of the seed's example.
var epoch = time.Date(2019, 11, 13, 6, 26, 1, 0, time.UTC)

const testAudience = "https://dataloy.internal"

// clock is a settable clock for the cache and the token checks.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: epoch} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// signingKey is a key of the stand-in issuer.
type signingKey struct {
	alg  jose.SignatureAlgorithm
	priv crypto.Signer
	kid  string
}

func newKey(t testing.TB, alg jose.SignatureAlgorithm) *signingKey {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case jose.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		t.Fatal(err)
	}
	tp, err := (&jose.JSONWebKey{Key: priv.Public()}).Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return &signingKey{alg: alg, priv: priv, kid: base64.RawURLEncoding.EncodeToString(tp)}
}

func (k *signingKey) public() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"}
}

// sign returns a token signed by k with typ at+jwt, as mint signs them.
func (k *signingKey) sign(t testing.TB, claims map[string]any) string {
	return signWith(t, k.alg, jose.JSONWebKey{Key: k.priv, KeyID: k.kid}, "at+jwt", claims)
}

func signWith(t testing.TB, alg jose.SignatureAlgorithm, key any, typ string, claims map[string]any) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// issuer stands in for mint: it publishes metadata and a JWKS on loopback
// and counts the JWKS fetches.
type issuer struct {
	srv          *httptest.Server
	fetches      atomic.Int32
	down         atomic.Bool
	mu           sync.Mutex
	keys         []jose.JSONWebKey
	cacheControl string
}

func newIssuer(t testing.TB, keys ...*signingKey) *issuer {
	iss := &issuer{cacheControl: "public, max-age=300"}
	for _, k := range keys {
		iss.publish(k)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
		oauth.WriteJSON(w, http.StatusOK, map[string]string{
			"issuer": iss.url(), "jwks_uri": iss.url() + "/.well-known/jwks.json",
		})
	})
	mux.HandleFunc("GET /.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		iss.fetches.Add(1)
		if iss.down.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		iss.mu.Lock()
		set := jose.JSONWebKeySet{Keys: append([]jose.JSONWebKey(nil), iss.keys...)}
		w.Header().Set("Cache-Control", iss.cacheControl)
		iss.mu.Unlock()
		oauth.WriteJSONCached(w, http.StatusOK, set)
	})
	iss.srv = httptest.NewServer(mux)
	t.Cleanup(iss.srv.Close)
	return iss
}

func (iss *issuer) url() string { return iss.srv.URL }

func (iss *issuer) publish(k *signingKey) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.keys = append(iss.keys, k.public())
}

func (iss *issuer) setCacheControl(cc string) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.cacheControl = cc
}

// claims returns valid claims for the tests' audience at epoch, with edits.
func (iss *issuer) claims(edits map[string]any) map[string]any {
	c := map[string]any{
		"iss": iss.url(), "sub": "cargo-client", "aud": testAudience,
		"client_id": "cargo-client", "scope": "read:cargo",
		"iat": epoch.Unix(), "exp": epoch.Add(time.Hour).Unix(), "jti": "t1",
	}
	for k, v := range edits {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
