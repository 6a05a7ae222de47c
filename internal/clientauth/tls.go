package clientauth

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/oauth"
)

// The RFC 8705 §2 methods: the client proves itself with the TLS client
// certificate of its connection (or the one a trusted TLS-terminating
// proxy passes on), names itself with client_id in the body and sends no
// secret. Which of the two applies is the client's registration
// (mint.Client.TLSAuth); Parse reports TLSClientAuth for both.
const (
	// TLSClientAuth: a certificate a configured CA issued, whose subject DN
	// or SAN is the one registered (RFC 8705 §2.1).
	TLSClientAuth Method = "tls_client_auth"
	// SelfSignedTLSClientAuth: any certificate whose public key is one of
	// the client's registered JWKs (RFC 8705 §2.2).
	SelfSignedTLSClientAuth Method = "self_signed_tls_client_auth"
)

// TLSMethods are the RFC 8705 methods, as discovery metadata lists them
// when mint can see client certificates.
var TLSMethods = []string{string(TLSClientAuth), string(SelfSignedTLSClientAuth)}

// ParseWithCert is Parse for a request that came with a client
// certificate chain (leaf first, nil for none): a request that names a
// client_id in the body and carries no other credentials is a TLS
// authentication attempt (RFC 8705 §2); any other is parsed by Parse,
// and its certificate only binds the token.
func ParseWithCert(authorization []string, body map[string]string, chain []*x509.Certificate) (Credentials, error) {
	if len(chain) == 0 || len(authorization) > 0 || body[ParamClientID] == "" ||
		body[ParamClientSecret] != "" || body[ParamAssertion] != "" || body[ParamAssertionType] != "" {
		return Parse(authorization, body)
	}
	if len(body[ParamClientID]) > MaxClientIDBytes {
		return Credentials{}, errClientIDTooLong
	}
	return Credentials{Method: TLSClientAuth, ClientID: body[ParamClientID], Chain: chain}, nil
}

// tlsAuth checks c's certificate against the client's registration.
func (a *Authenticator) tlsAuth(ctx context.Context, c Credentials) (mint.Client, error) {
	// The chain is checked first, for every request: a refusal then costs
	// the same whether the client exists, and what kind it registered.
	chainErr := a.verifyChain(c.Chain)
	client, err := a.Store.GetClient(ctx, c.ClientID)
	if errors.Is(err, mint.ErrNotFound) {
		return mint.Client{}, a.refuse(ctx, c, "unknown client")
	}
	if err != nil {
		return mint.Client{}, oauth.ErrServer.WithCause(err)
	}
	leaf := c.Chain[0]
	switch kind := client.TLSAuth.Kind; {
	case kind == mint.TLSAuthNone:
		return mint.Client{}, a.refuse(ctx, c, "the client has no TLS client authentication registered")
	case kind == mint.TLSAuthSelfSigned:
		c.Method = SelfSignedTLSClientAuth
		if !keyRegistered(leaf, client.JWKS) {
			return mint.Client{}, a.refuse(ctx, c, "the certificate's key is none of the client's registered keys")
		}
	default:
		if chainErr != nil {
			return mint.Client{}, a.refuse(ctx, c, "certificate chain: "+chainErr.Error())
		}
		if !certNames(leaf, client.TLSAuth) {
			return mint.Client{}, a.refuse(ctx, c, "the certificate does not carry the registered "+kind)
		}
	}
	return client, nil
}

// verifyChain checks that a configured CA issued chain's leaf for client
// authentication: without one, a DN or SAN proves nothing, since anyone
// can make a certificate that claims it.
func (a *Authenticator) verifyChain(chain []*x509.Certificate) error {
	if a.ClientCAs == nil {
		return errors.New("no client CA is configured (--tls-client-ca)")
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{Roots: a.ClientCAs, Intermediates: inter,
		CurrentTime: a.now(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	return err
}

// certNames reports whether cert carries the subject DN or SAN of reg
// (RFC 8705 §2.1.2): the DN compared attribute by attribute, a DNS name
// without case, an IP address by value, a URI exactly, an email address
// with its domain without case.
func certNames(cert *x509.Certificate, reg mint.TLSAuth) bool {
	switch reg.Kind {
	case mint.TLSAuthSubjectDN:
		want, err := ParseDN(reg.Value)
		got, ok := subjectDN(cert.RawSubject)
		return err == nil && ok && want.equal(got)
	case mint.TLSAuthSANDNS:
		return slices.ContainsFunc(cert.DNSNames, func(n string) bool { return strings.EqualFold(n, reg.Value) })
	case mint.TLSAuthSANURI:
		return slices.ContainsFunc(cert.URIs, func(u *url.URL) bool { return u.String() == reg.Value })
	case mint.TLSAuthSANIP:
		want, err := netip.ParseAddr(reg.Value)
		return err == nil && slices.ContainsFunc(cert.IPAddresses, func(ip net.IP) bool {
			got, ok := netip.AddrFromSlice(ip)
			return ok && got.Unmap() == want.Unmap()
		})
	case mint.TLSAuthSANEmail:
		return slices.ContainsFunc(cert.EmailAddresses, func(e string) bool { return sameEmail(e, reg.Value) })
	}
	return false
}

func sameEmail(a, b string) bool {
	la, da, ok1 := strings.Cut(a, "@")
	lb, db, ok2 := strings.Cut(b, "@")
	return ok1 && ok2 && la == lb && strings.EqualFold(da, db)
}

// keyRegistered reports whether cert's public key is one of jwks's keys
// (RFC 8705 §2.2: the client registers its self-signed certificates, or
// their keys, as a JWK Set).
func keyRegistered(cert *x509.Certificate, jwks []byte) bool {
	set, err := ParseJWKS(jwks)
	if err != nil {
		return false
	}
	// Compared as SubjectPublicKeyInfo DER: the key types' Equal methods
	// told a go-jose EC key from the same key parsed from a certificate.
	pub, err := x509.MarshalPKIXPublicKey(cert.PublicKey)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(set.Keys, func(k jose.JSONWebKey) bool {
		der, err := x509.MarshalPKIXPublicKey(k.Key)
		return err == nil && bytes.Equal(der, pub)
	})
}

// CheckTLSAuth checks a registration before it is stored: a known kind,
// and a value that parses as what it names.
func CheckTLSAuth(reg mint.TLSAuth) error {
	switch reg.Kind {
	case mint.TLSAuthNone, mint.TLSAuthSelfSigned:
		if reg.Value != "" {
			return errors.New("takes no value")
		}
		return nil
	case mint.TLSAuthSubjectDN:
		_, err := ParseDN(reg.Value)
		return err
	case mint.TLSAuthSANIP:
		if _, err := netip.ParseAddr(reg.Value); err != nil {
			return errors.New("not an IP address")
		}
		return nil
	case mint.TLSAuthSANDNS, mint.TLSAuthSANURI, mint.TLSAuthSANEmail:
		if reg.Value == "" || len(reg.Value) > maxDNBytes {
			return errors.New("must be 1 to 1024 bytes")
		}
		return nil
	}
	return errors.New("unknown TLS client authentication kind")
}
