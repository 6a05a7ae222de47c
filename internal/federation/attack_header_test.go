package federation_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// TestKeyHeadersAreNeverFollowed: a token may name where its key is
// (jku, x5u), carry it (jwk, x5c) or name the issuer's kid with an
// attacker's key beside it. mint takes keys only from what the trust rule
// names: each such token is refused, and mint never fetches the URLs it
// carries (SSRF and key injection in one).
func TestKeyHeadersAreNeverFollowed(t *testing.T) {
	f := newFixture(t, "sqlite")
	const noRule = "no trust rule"
	attacker, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var fetched atomic.Int64
	lure := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetched.Add(1)
		pub, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: attacker.Public(), KeyID: "key-1", Algorithm: "RS256", Use: "sig"}}})
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, string(pub))
	}))
	t.Cleanup(lure.Close)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "token.actions.githubusercontent.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, attacker.Public(), attacker)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	headers := map[string]map[jose.HeaderKey]any{
		"jku":         {"jku": lure.URL + "/jwks"},
		"x5u":         {"x5u": lure.URL + "/cert.pem"},
		"jwk":         {"jwk": jose.JSONWebKey{Key: attacker.Public(), KeyID: "key-1"}},
		"x5c":         {"x5c": []string{base64.StdEncoding.EncodeToString(cert.Raw)}},
		"all at once": {"jku": lure.URL + "/jwks", "x5u": lure.URL + "/c", "jwk": jose.JSONWebKey{Key: attacker.Public()}},
	}
	for name, extra := range headers {
		t.Run(name, func(t *testing.T) {
			opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "key-1")
			for k, v := range extra {
				opts = opts.WithHeader(k, v)
			}
			s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: attacker}, opts)
			if err != nil {
				t.Fatal(err)
			}
			payload, _ := json.Marshal(f.githubClaims())
			obj, err := s.Sign(payload)
			if err != nil {
				t.Fatal(err)
			}
			tok, _ := obj.CompactSerialize()
			wantRefused(t, post(t, f.a, assertion(tok)), 401, "invalid_client", noRule)
			wantRefused(t, post(t, f.a, url.Values{"grant_type": {bearerGrant}, "assertion": {tok}, "audience": {cargo}}), 400, "invalid_grant", noRule)
		})
	}
	if n := fetched.Load(); n != 0 {
		t.Fatalf("mint fetched a URL a token named, %d times", n)
	}
	// The control: the issuer's own token passes.
	if a := post(t, f.a, assertion(f.gh.sign(f.githubClaims()))); a.status != 200 {
		t.Fatalf("control: the workload's own token was refused: %d %v", a.status, a.body)
	}
}
