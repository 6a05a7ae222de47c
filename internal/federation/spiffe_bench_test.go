package federation_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/internal/mint"
)

// BenchmarkSPIFFEOverPrivateKeyJWT is BenchmarkFederatedOverPrivateKeyJWT
// for JWT-SVIDs (ES256, with a jti so that both record one; the bundle's
// keys cached): the ratio of the summed times, interleaved.
func BenchmarkSPIFFEOverPrivateKeyJWT(b *testing.B) {
	f := newBenchFixture(b)
	bundle := newBundleEndpoint(b)
	f.addRule(mint.FederatedCredential{ID: "fed_spiffe", ClientID: "partner", Issuer: trustDomain, Subject: billingID,
		Audience: mintIssuer, MaxAge: time.Hour, JWKSURI: bundle.URL(), CreatedAt: f.clock.now()})
	h := f.a.srv.Handler()
	pk := func() string {
		now := f.clock.now()
		return signWith(f.t, jose.ES256, "own", f.ownKey, map[string]any{"iss": "keyed", "sub": "keyed",
			"aud": mintIssuer, "jti": fmt.Sprintf("own-%d", benchSeq.Add(1)), "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()})
	}
	svid := func() string {
		c := f.svid(billingID)
		c["jti"] = fmt.Sprintf("svid-%d", benchSeq.Add(1))
		return bundle.sign(c)
	}
	timed := func(typ, tok string) time.Duration {
		start := time.Now()
		body := "grant_type=client_credentials&audience=" + cargo + "&client_assertion_type=" + typ + "&client_assertion=" + tok
		req := httptest.NewRequest(http.MethodPost, "/oauth/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
		return time.Since(start)
	}
	timed(assertionType, pk())
	timed(spiffeType, svid())
	pks, svids := make([]string, b.N), make([]string, b.N)
	for i := range b.N {
		pks[i], svids[i] = pk(), svid()
	}
	var pkTime, svidTime time.Duration
	b.ResetTimer()
	for i := range b.N {
		if i%2 == 0 {
			pkTime += timed(assertionType, pks[i])
			svidTime += timed(spiffeType, svids[i])
		} else {
			svidTime += timed(spiffeType, svids[i])
			pkTime += timed(assertionType, pks[i])
		}
	}
	b.ReportMetric(float64(svidTime)/float64(pkTime), "spiffe/private_key_jwt")
}
