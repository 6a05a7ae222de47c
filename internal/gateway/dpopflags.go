package gateway

import (
	"cmp"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"net/netip"
	"strconv"
	"strings"

	"github.com/mintauth/mint/bearer"
)

// minNonceKey is the shortest MINT_GATEWAY_DPOP_NONCE_KEY accepted.
const minNonceKey = 32

// dpopFlags defines --dpop-required, --dpop-nonce and --public-origin.
// The nonce key comes from MINT_GATEWAY_DPOP_NONCE_KEY (base64, at least
// 32 bytes), the same on every replica; --dpop-nonce without it makes a
// key for this process, which suits one replica only.
func (o *Options) dpopFlags(fs *flag.FlagSet, getenv func(string) string) {
	required, _ := strconv.ParseBool(getenv("MINT_GATEWAY_DPOP_REQUIRED"))
	fs.BoolVar(&o.DPoP.Required, "dpop-required", required, "refuse bearer tokens: DPoP-bound tokens with a proof only (MINT_GATEWAY_DPOP_REQUIRED)")
	fs.StringVar(&o.DPoP.PublicOrigin, "public-origin", getenv("MINT_GATEWAY_PUBLIC_ORIGIN"),
		"`scheme://host` clients address, for DPoP proofs, behind a proxy that terminates TLS (MINT_GATEWAY_PUBLIC_ORIGIN)")
	if v := getenv("MINT_GATEWAY_DPOP_NONCE_KEY"); v != "" {
		o.DPoP.NonceKey, o.dpopErr = nonceKey(v)
	}
	fs.StringVar(&o.DPoP.CertHeader, "client-cert-header", getenv("MINT_GATEWAY_CLIENT_CERT_HEADER"),
		"`header` in which the TLS proxy in front passes the client certificate, for certificate-bound tokens (RFC 8705); believed from --client-cert-proxy only (MINT_GATEWAY_CLIENT_CERT_HEADER)")
	if v := getenv("MINT_GATEWAY_CLIENT_CERT_PROXIES"); v != "" && o.dpopErr == nil {
		o.dpopErr = (&prefixesFlag{&o.DPoP.CertProxies}).setAll(strings.Split(v, ","))
	}
	fs.Var(&prefixesFlag{&o.DPoP.CertProxies}, "client-cert-proxy", "`IP or CIDR` of the proxy whose --client-cert-header is believed; repeatable (MINT_GATEWAY_CLIENT_CERT_PROXIES, comma-separated)")
	share, err := strconv.Atoi(cmp.Or(getenv("MINT_GATEWAY_DPOP_REPLAY_SHARE"), "0"))
	if (err != nil || share < 0) && o.dpopErr == nil {
		o.dpopErr = errors.New("MINT_GATEWAY_DPOP_REPLAY_SHARE must be a count of proofs, 0 for the default")
	}
	fs.IntVar(&o.DPoP.ReplayShare, "dpop-replay-share", share,
		"`proofs` one client may have remembered per window (80 s) before its DPoP requests get 429; 0: an eighth of the replay memory, 32768 (MINT_GATEWAY_DPOP_REPLAY_SHARE)")
	fs.Var(nonceFlag{o}, "dpop-nonce", "require DPoP proofs to carry a nonce the gateway issued; replicas share MINT_GATEWAY_DPOP_NONCE_KEY (base64, 32+ bytes)")
}

func nonceKey(v string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		key, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(v, "="))
	}
	if err != nil || len(key) < minNonceKey {
		return nil, errors.New("MINT_GATEWAY_DPOP_NONCE_KEY must be base64 of at least 32 bytes")
	}
	return key, nil
}

// nonceFlag is --dpop-nonce: on, it takes the environment's key or makes one.
type nonceFlag struct{ o *Options }

func (f nonceFlag) IsBoolFlag() bool { return true }

func (f nonceFlag) String() string {
	return strconv.FormatBool(f.o != nil && len(f.o.DPoP.NonceKey) > 0)
}

func (f nonceFlag) Set(v string) error {
	on, err := strconv.ParseBool(v)
	switch {
	case err != nil:
		return err
	case !on:
		f.o.DPoP.NonceKey = nil
	case len(f.o.DPoP.NonceKey) == 0:
		f.o.DPoP.NonceKey = make([]byte, minNonceKey)
		rand.Read(f.o.DPoP.NonceKey)
	}
	return nil
}

// prefixesFlag is a repeatable IP or CIDR flag.
type prefixesFlag struct{ to *[]netip.Prefix }

func (f *prefixesFlag) String() string {
	if f == nil || f.to == nil {
		return ""
	}
	var s []string
	for _, p := range *f.to {
		s = append(s, p.String())
	}
	return strings.Join(s, ",")
}

func (f *prefixesFlag) Set(v string) error {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "/") {
		addr, err := netip.ParseAddr(v)
		if err != nil {
			return err
		}
		*f.to = append(*f.to, netip.PrefixFrom(addr, addr.BitLen()))
		return nil
	}
	p, err := netip.ParsePrefix(v)
	if err != nil {
		return err
	}
	*f.to = append(*f.to, p.Masked())
	return nil
}

func (f *prefixesFlag) setAll(values []string) error {
	for _, v := range values {
		if err := f.Set(v); err != nil {
			return errors.New("MINT_GATEWAY_CLIENT_CERT_PROXIES: " + err.Error())
		}
	}
	return nil
}

// dpopConfig is the gateway's DPoP settings with its RFC 9728 metadata:
// the audience as the resource, the trusted issuers as its servers, and
// certificate-bound tokens supported when the gateway can see a client
// certificate to check them against.
func (o *Options) dpopConfig() DPoPConfig {
	c := o.DPoP
	m := bearer.NewResourceMetadata(o.Audience, o.issuerURLs(), c.Required).WithCertificateBound(o.seesClientCerts())
	c.Metadata = &m
	return c
}

// seesClientCerts is whether a certificate-bound token can pass: the
// gateway serves TLS and asks for client certificates, or believes a
// proxy's certificate header from some address.
func (o *Options) seesClientCerts() bool {
	ownTLS := o.TLS.CertFile != "" && !o.TLS.NoClientCerts
	proxied := o.DPoP.CertHeader != "" && len(o.DPoP.CertProxies) > 0
	return ownTLS || proxied
}
