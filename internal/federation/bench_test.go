package federation_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/internal/mint"
)

// BenchmarkTokenRequest compares, in one run on one server, a token
// request authenticated by an external token whose issuer's keys are
// cached with one authenticated by private_key_jwt: both ES256 assertions
// with a fresh jti, signed before the timer starts, served in process.
// Issue 18 asks the first to cost within 15 % of the second.
func BenchmarkTokenRequest(b *testing.B) {
	f := newBenchFixture(b)
	b.Run("private_key_jwt", func(b *testing.B) {
		f.run(b, func(i int) string {
			now := f.clock.now()
			return signWith(f.t, jose.ES256, "own", f.ownKey, map[string]any{"iss": "keyed", "sub": "keyed",
				"aud": mintIssuer, "jti": fmt.Sprintf("own-%d", benchSeq.Add(1)), "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()})
		})
	})
	b.Run("federated", func(b *testing.B) {
		f.run(b, func(i int) string {
			c := f.k8sClaims()
			c["jti"] = fmt.Sprintf("fed-%d", benchSeq.Add(1))
			return f.k8s.sign(c)
		})
	})
}

// benchSeq numbers the assertions: every run of a benchmark function
// signs new ones, on one clock that does not move.
var benchSeq atomic.Int64

// BenchmarkFederatedOverPrivateKeyJWT interleaves the two requests of
// BenchmarkTokenRequest, one of each per iteration, and reports the ratio
// of their summed times, so that load changing during the run (the
// machine is shared) weighs on both alike.
func BenchmarkFederatedOverPrivateKeyJWT(b *testing.B) {
	f := newBenchFixture(b)
	h := f.a.srv.Handler()
	pk := func() string {
		now := f.clock.now()
		return signWith(f.t, jose.ES256, "own", f.ownKey, map[string]any{"iss": "keyed", "sub": "keyed",
			"aud": mintIssuer, "jti": fmt.Sprintf("own-%d", benchSeq.Add(1)), "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()})
	}
	fed := func() string {
		c := f.k8sClaims()
		c["jti"] = fmt.Sprintf("fed-%d", benchSeq.Add(1))
		return f.k8s.sign(c)
	}
	timed := func(tok string) time.Duration {
		start := time.Now()
		if code, body := serveToken(h, tok); code != 200 {
			b.Fatalf("%d %s", code, body)
		}
		return time.Since(start)
	}
	timed(pk())
	timed(fed())
	pks, feds := make([]string, b.N), make([]string, b.N)
	for i := range b.N {
		pks[i], feds[i] = pk(), fed()
	}
	var pkTime, fedTime time.Duration
	b.ResetTimer()
	for i := range b.N {
		if i%2 == 0 {
			pkTime += timed(pks[i])
			fedTime += timed(feds[i])
		} else {
			fedTime += timed(feds[i])
			pkTime += timed(pks[i])
		}
	}
	b.ReportMetric(float64(fedTime)/float64(pkTime), "federated/private_key_jwt")
}

func serveToken(h http.Handler, tok string) (int, string) {
	body := "grant_type=client_credentials&audience=" + cargo + "&client_assertion_type=" + assertionType + "&client_assertion=" + tok
	req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

type benchFixture struct {
	*fixture
	ownKey *ecdsa.PrivateKey
}

func newBenchFixture(b *testing.B) *benchFixture {
	f := newFixture(b, "sqlite")
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	set, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "own", Algorithm: "ES256", Use: "sig"}}})
	ctx, now := context.Background(), f.clock.now()
	s := f.b.srv.Store()
	must(f.t, s.CreateClient(ctx, mint.Client{ID: "keyed", Name: "keyed", JWKS: set, CreatedAt: now, UpdatedAt: now},
		mint.Secret{ID: "sec_keyed", ClientID: "keyed", Digest: make([]byte, 32), CreatedAt: now}))
	must(f.t, s.CreateGrant(ctx, mint.Grant{ID: "grant_keyed", ClientID: "keyed", Audience: cargo, Scopes: []string{"read"},
		CreatedAt: now, UpdatedAt: now}))
	return &benchFixture{fixture: f, ownKey: key}
}

// run serves b.N requests, each with its own assertion, after one
// request that warms the caches (the issuer's keys among them).
func (f *benchFixture) run(b *testing.B, assertionFor func(i int) string) {
	h := f.a.srv.Handler()
	serve := func(tok string) (int, string) { return serveToken(h, tok) }
	if code, body := serve(assertionFor(-1)); code != 200 {
		b.Fatalf("warm-up request: %d %s", code, body)
	}
	toks := make([]string, b.N)
	for i := range toks {
		toks[i] = assertionFor(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if code, body := serve(toks[i]); code != 200 {
			b.Fatalf("request %d: %d %s", i, code, body)
		}
	}
}
