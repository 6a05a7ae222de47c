package federation_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// issuer plays a partner's token issuer on 127.0.0.1: a GitHub Actions or
// Kubernetes OIDC issuer, serving discovery and its JWK Set, signing
// tokens with its current key. Its answers can be made to fail.
type issuer struct {
	t      testing.TB
	srv    *httptest.Server
	alg    jose.SignatureAlgorithm
	mu     sync.Mutex
	keys   []signingKey  // published; the last one signs
	mode   atomic.Value  // jwksMode
	hangs  chan struct{} // a hung fetch waits for it to close
	hung   chan struct{} // gets a value when a fetch hangs
	sent   atomic.Int64  // bytes of the huge answer written
	ended  chan bool     // the huge answer ended: true if written whole
	seq    atomic.Int64
	keySeq int
}

type jwksMode string

const (
	serveKeys jwksMode = "ok"
	serveDown jwksMode = "down" // 503
	serveHang jwksMode = "hang" // answers nothing until released
	serveHuge jwksMode = "huge" // 50 MB
)

type signingKey struct {
	kid  string
	priv crypto.Signer
}

func newIssuer(t testing.TB, alg jose.SignatureAlgorithm) *issuer {
	t.Helper()
	i := &issuer{t: t, alg: alg, hangs: make(chan struct{}), hung: make(chan struct{}, 16), ended: make(chan bool, 16)}
	i.mode.Store(serveKeys)
	i.rotate()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q}`, i.srv.URL, i.srv.URL+"/jwks")
	})
	mux.HandleFunc("GET /jwks", i.serveJWKS)
	i.srv = httptest.NewServer(mux) // 127.0.0.1
	t.Cleanup(func() {
		i.release()
		i.srv.Close()
	})
	return i
}

func (i *issuer) URL() string { return i.srv.URL }

// release ends every hung fetch, now and later.
func (i *issuer) release() {
	select {
	case <-i.hangs:
	default:
		close(i.hangs)
	}
}

func (i *issuer) serveJWKS(w http.ResponseWriter, r *http.Request) {
	switch i.mode.Load().(jwksMode) {
	case serveDown:
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	case serveHang:
		i.hung <- struct{}{}
		select {
		case <-i.hangs:
		case <-r.Context().Done():
		case <-time.After(30 * time.Second): // bounded whatever happens
		}
		return
	case serveHuge:
		i.serveHuge(w)
		return
	}
	i.mu.Lock()
	set := jose.JSONWebKeySet{}
	for _, k := range i.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Algorithm: string(i.alg), Use: "sig"})
	}
	i.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(set)
}

// serveHuge writes a 50 MB key set, stopping when the reader goes away.
func (i *issuer) serveHuge(w http.ResponseWriter) {
	whole := false
	defer func() { i.ended <- whole }()
	w.Header().Set("Content-Type", "application/json")
	chunk := []byte(strings.Repeat(" ", 64<<10))
	if _, err := w.Write([]byte(`{"keys":[`)); err != nil {
		return
	}
	for n := 0; n < 50<<20; n += len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			return
		}
		i.sent.Add(int64(len(chunk)))
	}
	_, err := w.Write([]byte(`]}`))
	whole = err == nil
}

// rotate makes a new signing key and publishes only it, as an issuer that
// rotated and retired the old key does.
func (i *issuer) rotate() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.keySeq++
	i.keys = []signingKey{{kid: fmt.Sprintf("key-%d", i.keySeq), priv: newKey(i.t, i.alg)}}
}

func newKey(t testing.TB, alg jose.SignatureAlgorithm) crypto.Signer {
	t.Helper()
	var (
		k   crypto.Signer
		err error
	)
	switch alg {
	case jose.ES256:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sign signs claims with the current key.
func (i *issuer) sign(claims map[string]any) string {
	i.mu.Lock()
	k := i.keys[len(i.keys)-1]
	i.mu.Unlock()
	return signWith(i.t, i.alg, k.kid, k.priv, claims)
}

func signWith(t testing.TB, alg jose.SignatureAlgorithm, kid string, key any, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// jti returns a new token id.
func (i *issuer) jti() string { return fmt.Sprintf("jti-%d-%d", time.Now().UnixNano(), i.seq.Add(1)) }
