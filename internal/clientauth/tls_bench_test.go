package clientauth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
	"github.com/mintauth/mint/internal/testdb"
)

// BenchmarkTLSAuth compares, in one run on one SQLite store, what the
// token endpoint's client authentication costs per request with a
// secret and with a CA-issued certificate matched by subject DN (the
// chain verification is most of it). The TLS handshake is not counted.
func BenchmarkTLSAuth(b *testing.B) {
	store := testdb.Open(b, "sqlite")
	ctx := context.Background()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "cargo", Organization: []string{"Example"}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	leaf, _ := x509.ParseCertificate(der)
	plain, digest := secret.New()
	now := time.Now()
	c := mint.Client{ID: "cli_bench", Name: "b", TLSAuth: mint.TLSAuth{Kind: mint.TLSAuthSubjectDN, Value: "CN=cargo,O=Example"}, CreatedAt: now}
	if err := store.CreateClient(ctx, c, mint.Secret{ID: "sec_b", ClientID: c.ID, Digest: digest, CreatedAt: now}); err != nil {
		b.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	a := &Authenticator{Store: store, Issuer: "https://mint.test", ClientCAs: pool}
	for _, bb := range []struct {
		name string
		cred Credentials
	}{
		{"secret", Credentials{Method: SecretPost, ClientID: c.ID, Secret: plain}},
		{"tls_client_auth", Credentials{Method: TLSClientAuth, ClientID: c.ID, Chain: []*x509.Certificate{leaf}}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := a.Authenticate(ctx, bb.cred); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
