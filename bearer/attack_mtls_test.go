package bearer_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/mintauth/mint/bearer"
)

// FuzzProxiedClientCert: the certificate header is a stranger's text
// from any peer and a proxy's from a trusted one. From a peer outside the
// proxies it is never believed, in any form; from a proxy, a certificate
// is returned only when the header is one RFC 9440 value (or bare base64)
// of exactly that certificate's DER, and several header lines are
// refused. Nothing panics.
func FuzzProxiedClientCert(f *testing.F) {
	der := certDER(f)
	b64 := base64.StdEncoding.EncodeToString(der)
	for _, v := range []string{":" + b64 + ":", b64, "::" + b64 + "::", " :" + b64 + ": ", ":" + b64 + ":, :" + b64 + ":",
		"-----BEGIN CERTIFICATE-----\n" + b64 + "\n-----END CERTIFICATE-----", ":" + strings.ReplaceAll(b64, "+", "-") + ":", ""} {
		f.Add(v, "127.0.0.1:4000", false)
		f.Add(v, "192.0.2.1:4000", true)
	}
	proxies := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	f.Fuzz(func(t *testing.T, value, remote string, twice bool) {
		r := &http.Request{RemoteAddr: remote, Header: http.Header{"Client-Cert": {value}}}
		if twice {
			r.Header.Add("Client-Cert", value)
		}
		cert := bearer.ProxiedClientCert(r, "Client-Cert", proxies)
		if cert == nil {
			return
		}
		if twice {
			t.Fatalf("two header lines believed: %q", value)
		}
		host, _, _ := strings.Cut(strings.TrimPrefix(remote, "["), "]")
		if a, err := netip.ParseAddrPort(remote); err != nil || !(proxies[0].Contains(a.Addr().Unmap()) || proxies[1].Contains(a.Addr())) {
			t.Fatalf("believed from %q (%s), not a proxy", remote, host)
		}
		got, err := base64.StdEncoding.DecodeString(strings.Trim(strings.TrimSpace(value), ":"))
		if err != nil || !bytes.Equal(got, cert.Raw) {
			t.Fatalf("%q gave a certificate that is not its DER", value)
		}
	})
}

func certDER(tb testing.TB) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "partner"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		tb.Fatal(err)
	}
	return der
}
