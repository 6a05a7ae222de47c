package gateway

import (
	"net"
	"net/http/httputil"
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

// spoofable reports whether the caller's header name could pass for one
// the gateway sets or vouches for.
func (g *gateway) spoofable(name string) bool {
	n := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
	return strings.HasPrefix(n, "x-mint-") || strings.HasPrefix(n, "x-forwarded") ||
		n == strings.ToLower(g.cfg.ClientIDHeader) || n == strings.ToLower(g.cfg.ScopesHeader) ||
		slices.Contains(spoofedHeaders, n)
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
