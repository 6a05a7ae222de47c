package token

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/mintauth/mint/bearer/dpop"
	"github.com/mintauth/mint/internal/keyring"
	"github.com/mintauth/mint/internal/ratelimit"
	"github.com/mintauth/mint/internal/testdb"
)

// TestAttackReuseNeverHandsOutBoundTokens: with token reuse on (the API's
// TokenReuse and the endpoint's Reuse cache, as mint serve runs), a token
// bound to a DPoP key or to a TLS client certificate is for that key
// alone. Whatever the order of requests, a request without the key (a
// bearer request, another key, another certificate) must never be handed
// it, and a bound request never gets the cached bearer token. The
// control: two bearer requests do share one token.
func TestAttackReuseNeverHandsOutBoundTokens(t *testing.T) {
	ctx := context.Background()
	r := &dpopReplicas{now: time.Now().Truncate(time.Second)}
	clock := func() time.Time { return r.now }
	store := testdb.OpenDSN(t, "sqlite", testdb.New(t, "sqlite"))
	ring, err := keyring.Open(ctx, store, keyring.Config{MasterKey: keyring.NewMasterKey(), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	r.ring = ring
	r.populate(t, store)
	e := &Endpoint{Store: store, Keys: ring, Issuer: testIssuer, Now: clock,
		DPoP: NewDPoPChecker(store, nil, clock), Reuse: &ratelimit.Reuse{}}
	srv := httptest.NewUnstartedServer(e)
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	certA, certB := attackCert(t), attackCert(t)
	p1, p2 := r.prover(t), r.prover(t)
	ask := func(cert *tls.Certificate, p *dpop.Prover) attackAnswer {
		t.Helper()
		tr := srv.Client().Transport.(*http.Transport).Clone()
		tr.TLSClientConfig.Certificates = nil
		if cert != nil {
			tr.TLSClientConfig.Certificates = []tls.Certificate{*cert}
		}
		defer tr.CloseIdleConnections()
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {r.client.ID}, "client_secret": {r.client.Secret}}
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if p != nil {
			req.Header.Set("DPoP", proofFor(t, p, "POST", dpopTokenURL, ""))
		}
		resp, err := (&http.Client{Transport: tr, Timeout: 30 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if resp.StatusCode != 200 || json.Unmarshal(body, &m) != nil {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		raw := m["access_token"].(string)
		a := attackAnswer{token: raw, typ: m["token_type"].(string)}
		a.jkt, a.x5t = cnfOf(t, raw)
		return a
	}
	bearer1 := ask(nil, nil)
	dpop1 := ask(nil, p1)
	certBoundA := ask(&certA, nil)
	bearer2 := ask(nil, nil)
	dpop2 := ask(nil, p2)
	certBoundB := ask(&certB, nil)
	certBoundA2 := ask(&certA, nil)
	dpop1again := ask(nil, p1)

	if bearer1.token != bearer2.token || bearer1.jkt != "" || bearer1.x5t != "" || bearer1.typ != "Bearer" {
		t.Fatalf("control: two bearer requests did not share one unbound token (reuse off?): %v %v", bearer1, bearer2)
	}
	if dpop1.jkt != p1.JKT() || dpop2.jkt != p2.JKT() || dpop1again.jkt != p1.JKT() || dpop1.typ != "DPoP" {
		t.Fatalf("a DPoP request got a token not bound to its key: %v %v %v", dpop1, dpop2, dpop1again)
	}
	if certBoundA.x5t == "" || certBoundA.x5t == certBoundB.x5t || certBoundA2.x5t != certBoundA.x5t {
		t.Fatalf("a certificate request got a token not bound to its certificate: %v %v %v", certBoundA, certBoundB, certBoundA2)
	}
	seen := map[string]string{}
	for name, a := range map[string]attackAnswer{"bearer": bearer1, "dpop1": dpop1, "certA": certBoundA, "dpop2": dpop2,
		"certB": certBoundB, "certA again": certBoundA2, "dpop1 again": dpop1again} {
		if other, ok := seen[a.token]; ok {
			t.Errorf("%s and %s were handed the same token", name, other)
		}
		seen[a.token] = name
	}
}

// cnfOf reads cnf.jkt and cnf.x5t#S256 from a token mint signed.
func cnfOf(t *testing.T, raw string) (jkt, x5t string) {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Cnf *struct {
			JKT string `json:"jkt"`
			X5T string `json:"x5t#S256"`
		} `json:"cnf"`
	}
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
		t.Fatal(err)
	}
	if c.Cnf == nil {
		return "", ""
	}
	return c.Cnf.JKT, c.Cnf.X5T
}

func attackCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "partner"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// attackAnswer is what a token request got: the token and what it is bound to.
type attackAnswer struct{ token, jkt, x5t, typ string }

func (a attackAnswer) String() string {
	return fmt.Sprintf("{%s… %s jkt=%q x5t=%q}", a.token[len(a.token)-12:], a.typ, a.jkt, a.x5t)
}
