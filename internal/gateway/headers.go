package gateway

import (
	"net"
	"net/http/httputil"
	"net/netip"
	"slices"
	"strings"
)

// spoofedHeaders are headers, besides every X-Mint-* and X-Forwarded*,
// that upstreams and their frameworks read as facts about the request the
// gateway saw (the client's address, the original URL, which IIS and older
// Symfony let override the path the rules judged), so a caller's own
// must never reach the upstream. Names are compared in lower case, with
// "_" read as "-", as CGI-style servers (PHP, WSGI) read them.
var spoofedHeaders = []string{
	"forwarded", "x-real-ip", "x-client-ip", "true-client-ip", "x-cluster-client-ip", "client-ip",
	"x-original-url", "x-rewrite-url", "x-original-uri",
}

// certHeaders are the headers in which TLS-terminating proxies pass the
// client certificate on (RFC 9440, nginx's and Apache's customary names,
// IIS's). An upstream sees the gateway as the proxy in front of it and
// may believe them: from a caller they would name any partner's
// certificate (certificates are public). Only the configured
// DPoPConfig.CertHeader, from one of CertProxies, is passed on.
var certHeaders = []string{
	"client-cert", "client-cert-chain", "x-client-cert", "x-ssl-client-cert", "ssl-client-cert",
	"x-ssl-cert", "x-arr-clientcert", "x-client-certificate", "x-ssl-client-cert-chain",
}

// spoofable reports whether the caller's header name could pass for one
// the gateway sets or vouches for. fromCertProxy: the request came from
// a configured certificate proxy, whose certificate header goes on.
func (g *gateway) spoofable(name string, fromCertProxy bool) bool {
	n := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
	if fromCertProxy && strings.EqualFold(name, g.cfg.DPoP.CertHeader) {
		return false
	}
	return strings.HasPrefix(n, "x-mint-") || strings.HasPrefix(n, "x-forwarded") ||
		n == strings.ToLower(g.cfg.ClientIDHeader) || n == strings.ToLower(g.cfg.ScopesHeader) ||
		slices.Contains(spoofedHeaders, n) || slices.Contains(certHeaders, n) ||
		(g.cfg.DPoP.CertHeader != "" && n == strings.ToLower(strings.ReplaceAll(g.cfg.DPoP.CertHeader, "_", "-")))
}

// fromCertProxy reports whether remote (host:port) is one of the
// configured certificate proxies.
func (g *gateway) fromCertProxy(remote string) bool {
	if g.cfg.DPoP.CertHeader == "" {
		return false
	}
	ap, err := netip.ParseAddrPort(remote)
	if err != nil {
		return false
	}
	addr := ap.Addr().Unmap()
	return slices.ContainsFunc(g.cfg.DPoP.CertProxies, func(p netip.Prefix) bool { return p.Contains(addr) })
}

// setOrigin tells the upstream where the request came from, as the gateway
// saw it: X-Forwarded-For, -Host and -Proto, X-Real-IP and Forwarded
// (RFC 7239), so that whichever the upstream reads is the gateway's.
func setOrigin(pr *httputil.ProxyRequest) {
	pr.SetXForwarded()
	h := pr.Out.Header
	proto := "http"
	if pr.In.TLS != nil {
		proto = "https"
	}
	host := strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, pr.In.Host)
	fwd := `host="` + host + `";proto=` + proto
	if ip, _, err := net.SplitHostPort(pr.In.RemoteAddr); err == nil {
		h.Set("X-Real-Ip", ip)
		node := ip
		if strings.Contains(ip, ":") {
			node = `"[` + ip + `]"`
		}
		fwd = "for=" + node + ";" + fwd
	}
	h.Set("Forwarded", fwd)
}
