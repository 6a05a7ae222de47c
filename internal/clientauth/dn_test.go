package clientauth

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"net"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"crypto/x509"

	"github.com/mintauth/mint/internal/mint"
)

// rawSubject is the DER subject of name, as a certificate holds it.
func rawSubject(t testing.TB, name pkix.Name) []byte {
	t.Helper()
	der, err := asn1.Marshal(name.ToRDNSequence())
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestDNMatch: a registered RFC 4514 DN matches the certificate subject
// it names, attribute by attribute in reverse string order, ignoring
// case, spacing and the order inside a multi-valued RDN; any other
// subject, a reordered one, one with an attribute more or less, or one
// whose escaped comma was split, does not.
func TestDNMatch(t *testing.T) {
	subject := pkix.Name{CommonName: "cargo", Organization: []string{"Example, Inc."}, Country: []string{"DE"}}
	raw := rawSubject(t, subject)
	for _, tt := range []struct {
		registered string
		match      bool
	}{
		{"CN=cargo,O=Example\\, Inc.,C=DE", true},
		{"cn=CARGO, o = example\\,  inc. ,c=de", true},
		{"2.5.4.3=cargo,O=Example\\2C Inc.,C=DE", true},
		{subject.String(), true},                   // Go's own RFC 4514 rendering
		{"C=DE,O=Example\\, Inc.,CN=cargo", false}, // reversed
		{"CN=cargo,O=Example,C=DE", false},
		{"CN=cargo,O=Example\\, Inc.", false},
		{"CN=cargo,O=Example\\, Inc.,C=DE,DC=x", false},
		{"CN=cargo+OU=x,O=Example\\, Inc.,C=DE", false},
		{"CN=thief,O=Example\\, Inc.,C=DE", false},
	} {
		want, err := ParseDN(tt.registered)
		if err != nil {
			t.Fatalf("%q: %v", tt.registered, err)
		}
		got, ok := subjectDN(raw)
		if !ok || want.equal(got) != tt.match {
			t.Errorf("%q against %s: match %v, want %v", tt.registered, subject, want.equal(got), tt.match)
		}
	}
	// A multi-valued RDN compares as a set.
	multi := pkix.RDNSequence{{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "a"}, {Type: asn1.ObjectIdentifier{2, 5, 4, 11}, Value: "b"}}}
	der, _ := asn1.Marshal(multi)
	got, _ := subjectDN(der)
	for _, s := range []string{"CN=a+OU=b", "OU=b+CN=a"} {
		if want, err := ParseDN(s); err != nil || !want.equal(got) {
			t.Errorf("%q: %v, match %v", s, err, want.equal(got))
		}
	}
}

// TestParseDNRefuses: strings that are not RFC 4514 DNs, or that use the
// #hex form mint does not compare, are refused, never read leniently.
func TestParseDNRefuses(t *testing.T) {
	for _, s := range []string{"", "cargo", "CN=a,", "CN=a+", "=a", "XX=a", "1.=a", "CN=a\\", "CN=a\\zz", "CN=a;b", `CN="a"`,
		"CN=#0403616263", "CN=a,OU=#04", strings.Repeat("CN=a,", 300) + "CN=a", "CN=\xff"} {
		if _, err := ParseDN(s); err == nil {
			t.Errorf("%q was taken", s)
		}
	}
}

// TestCertNames: each SAN kind matches as RFC 8705 §2.1.2 says, and only
// the kind registered.
func TestCertNames(t *testing.T) {
	u, _ := url.Parse("spiffe://example.org/cargo")
	cert := &x509.Certificate{DNSNames: []string{"Cargo.Example"}, URIs: []*url.URL{u},
		IPAddresses: []net.IP{net.ParseIP("192.0.2.7")}, EmailAddresses: []string{"Ops@Example.org"}}
	for _, tt := range []struct {
		reg   mint.TLSAuth
		match bool
	}{
		{mint.TLSAuth{Kind: mint.TLSAuthSANDNS, Value: "cargo.example"}, true},
		{mint.TLSAuth{Kind: mint.TLSAuthSANDNS, Value: "*.example"}, false},
		{mint.TLSAuth{Kind: mint.TLSAuthSANURI, Value: "spiffe://example.org/cargo"}, true},
		{mint.TLSAuth{Kind: mint.TLSAuthSANURI, Value: "spiffe://example.org/Cargo"}, false},
		{mint.TLSAuth{Kind: mint.TLSAuthSANIP, Value: "::ffff:192.0.2.7"}, true},
		{mint.TLSAuth{Kind: mint.TLSAuthSANIP, Value: "192.0.2.8"}, false},
		{mint.TLSAuth{Kind: mint.TLSAuthSANEmail, Value: "Ops@example.ORG"}, true},
		{mint.TLSAuth{Kind: mint.TLSAuthSANEmail, Value: "ops@example.org"}, false},
		{mint.TLSAuth{Kind: mint.TLSAuthSANEmail, Value: "cargo.example"}, false},
		{mint.TLSAuth{Kind: mint.TLSAuthSelfSigned}, false},
		{mint.TLSAuth{}, false},
	} {
		if got := certNames(cert, tt.reg); got != tt.match {
			t.Errorf("%+v: %v, want %v", tt.reg, got, tt.match)
		}
	}
}

// FuzzDN: the DN parser and the comparison never panic; a DN that parses
// is valid UTF-8 within the bound, matches itself, and matches the
// certificate subject built from it whenever Go can encode one.
func FuzzDN(f *testing.F) {
	for _, s := range []string{"CN=cargo,O=Example\\, Inc.,C=DE", "CN=a+OU=b", "2.5.4.3=x", "CN=\\41\\42", "CN= a  b ,O=", "CN=#00", "UID=x,DC=y"} {
		f.Add(s, []byte(nil))
	}
	f.Fuzz(func(t *testing.T, s string, raw []byte) {
		d, err := ParseDN(s)
		if got, ok := subjectDN(raw); ok && err == nil {
			_ = d.equal(got)
		}
		if err != nil {
			return
		}
		if !utf8.ValidString(s) || len(s) > maxDNBytes || !d.equal(d) {
			t.Fatalf("%q parsed as %v", s, d)
		}
		var seq pkix.RDNSequence
		for _, rdn := range d { // d is in certificate order already
			var set pkix.RelativeDistinguishedNameSET
			for _, a := range rdn {
				oid, ok := parseOID(a.oid)
				if !ok {
					return
				}
				set = append(set, pkix.AttributeTypeAndValue{Type: oid, Value: a.value})
			}
			seq = append(seq, set)
		}
		der, err := asn1.Marshal(seq)
		if err != nil {
			return // not a string Go can encode (e.g. invalid in a PrintableString)
		}
		got, ok := subjectDN(der)
		if !ok || !d.equal(got) {
			t.Fatalf("%q: subject built from it does not match", s)
		}
	})
}

func parseOID(s string) (asn1.ObjectIdentifier, bool) {
	var oid asn1.ObjectIdentifier
	for _, p := range strings.Split(s, ".") {
		n := 0
		for _, c := range p {
			n = n*10 + int(c-'0')
			if n > 1<<20 {
				return nil, false
			}
		}
		oid = append(oid, n)
	}
	return oid, len(oid) >= 2 && oid[0] <= 2
}
