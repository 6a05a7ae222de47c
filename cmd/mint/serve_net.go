package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/mintauth/mint/internal/server"
)

// netFlags are mint serve's TLS, bind and proxy flags.
type netFlags struct {
	cert, key        string
	terminated       bool
	proxies          *listFlag
	terminatedEnvBad error
	clientCA         string
	clientCertHeader string
	// mtlsAddr and mtlsURL are the mTLS listener's address and the URL
	// clients reach it at (runServer opens it).
	mtlsAddr, mtlsURL string
}

func (n *netFlags) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&n.cert, "tls-cert", getenv("MINT_TLS_CERT"), "serve HTTPS with this PEM certificate (chain), reloaded when it changes (env MINT_TLS_CERT)")
	fs.StringVar(&n.key, "tls-key", getenv("MINT_TLS_KEY"), "the PEM private key of --tls-cert (env MINT_TLS_KEY)")
	if v := getenv("MINT_TLS_TERMINATED_UPSTREAM"); v != "" {
		n.terminated, n.terminatedEnvBad = strconv.ParseBool(v)
	}
	fs.BoolVar(&n.terminated, "tls-terminated-upstream", n.terminated,
		"serve plain HTTP on a non-loopback --addr because a proxy or load balancer in front terminates TLS (env MINT_TLS_TERMINATED_UPSTREAM=true)")
	fs.StringVar(&n.clientCA, "tls-client-ca", getenv("MINT_TLS_CLIENT_CA"),
		"PEM file of the CAs whose client certificates tls_client_auth accepts (RFC 8705 §2.1); asks TLS clients for a certificate (env MINT_TLS_CLIENT_CA)")
	fs.StringVar(&n.clientCertHeader, "client-cert-header", getenv("MINT_CLIENT_CERT_HEADER"),
		"header in which a TLS-terminating proxy (--trusted-proxy) passes the client certificate, e.g. Client-Cert (RFC 9440); ignored from other peers (env MINT_CLIENT_CERT_HEADER)")
	fs.StringVar(&n.mtlsAddr, "mtls-addr", getenv("MINT_MTLS_ADDR"),
		"listen address of an HTTPS listener of its own that asks clients for a certificate and serves the token, introspection and revocation endpoints (RFC 8705 §5); --addr then never asks (env MINT_MTLS_ADDR)")
	fs.StringVar(&n.mtlsURL, "mtls-url", getenv("MINT_MTLS_URL"),
		"base URL clients reach the mTLS endpoints at, for discovery's mtls_endpoint_aliases; default the issuer with --mtls-addr's port (env MINT_MTLS_URL)")
	n.proxies = newListFlag(getenv("MINT_TRUSTED_PROXIES"))
	fs.Var(n.proxies, "trusted-proxy", "IP or CIDR of a proxy whose X-Forwarded-For and X-Forwarded-Proto are honoured, repeatable (env MINT_TRUSTED_PROXIES, comma-separated)")
}

// apply checks the flags against the listen address and sets cfg.HTTP.
func (n *netFlags) apply(cfg *server.Config, addr string) error {
	if n.terminatedEnvBad != nil {
		return fmt.Errorf("MINT_TLS_TERMINATED_UPSTREAM: %w", n.terminatedEnvBad)
	}
	if (n.cert == "") != (n.key == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if n.cert == "" && !n.terminated && !isLoopback(addr) {
		return fmt.Errorf("refusing to serve plain HTTP on %s, which is not a loopback address: "+
			"give --tls-cert and --tls-key, or --tls-terminated-upstream when a proxy in front terminates TLS "+
			"(and --trusted-proxy with its address), or listen on 127.0.0.1", addr)
	}
	for _, v := range n.proxies.values {
		p, err := parsePrefix(v)
		if err != nil {
			return fmt.Errorf("--trusted-proxy %q: want an IP address or CIDR", v)
		}
		cfg.HTTP.TrustedProxies = append(cfg.HTTP.TrustedProxies, p)
	}
	cfg.HTTP.TLSCertFile, cfg.HTTP.TLSKeyFile = n.cert, n.key
	if n.clientCA != "" && n.cert == "" && n.clientCertHeader == "" {
		return errors.New("--tls-client-ca needs --tls-cert and --tls-key, or --client-cert-header behind a proxy")
	}
	if n.clientCertHeader != "" && len(cfg.HTTP.TrustedProxies) == 0 {
		return errors.New("--client-cert-header needs --trusted-proxy: the header is trusted from those addresses only")
	}
	cfg.HTTP.TLSClientCAFile, cfg.HTTP.ClientCertHeader = n.clientCA, n.clientCertHeader
	if n.mtlsAddr != "" && n.cert == "" {
		return errors.New("--mtls-addr needs --tls-cert and --tls-key: the mTLS listener serves TLS with them")
	}
	if n.mtlsURL != "" {
		u, err := url.Parse(n.mtlsURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			return fmt.Errorf("--mtls-url %q: want https://host[:port]", n.mtlsURL)
		}
		cfg.HTTP.MTLSURL = strings.TrimSuffix(n.mtlsURL, "/")
	}
	cfg.HTTP.MTLSListener = n.mtlsAddr != ""
	return nil
}

// mtlsURL is the mTLS listener's URL for discovery when --mtls-url names
// none: the issuer's scheme and host with the listener's port.
func mtlsURL(issuer string, ln net.Addr) string {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return ""
	}
	_, port, _ := net.SplitHostPort(ln.String())
	return "https://" + net.JoinHostPort(u.Hostname(), port)
}

// isLoopback reports whether a listen address binds loopback only.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

func parsePrefix(s string) (netip.Prefix, error) {
	if ip, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	return p.Masked(), err
}
