package server

import (
	"context"
	"net/http"
	"net/netip"
	"strings"

	"github.com/mintauth/mint/internal/audit"
)

// withClientAddr resolves the address each request comes from, once for
// every reader: r.RemoteAddr is replaced by it (the access log and the
// admin API's audit records read that) and the context carries it
// (audit.WithSource: the token path's audit records and the client
// authentication throttle read that).
//
// From a peer in trusted, X-Forwarded-For and X-Forwarded-Proto are
// honoured: the client is the rightmost X-Forwarded-For address that is
// not a trusted proxy. From any other peer, and when trusted is empty,
// the client is the peer and every X-Forwarded-* header is removed, so
// nothing behind this point can be fooled by one.
func withClientAddr(trusted []netip.Prefix, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if addr, ok := forwardedFor(r, trusted); ok {
			r = r.Clone(context.WithValue(r.Context(), peerKey{}, r.RemoteAddr))
			r.RemoteAddr = addr
		} else {
			dropForwarded(r.Header)
		}
		next.ServeHTTP(w, r.WithContext(audit.WithSource(r.Context(), r.RemoteAddr)))
	})
}

// forwardedFor returns the client address X-Forwarded-For names when r
// came from a trusted proxy; ok is false when the peer is not one.
func forwardedFor(r *http.Request, trusted []netip.Prefix) (addr string, ok bool) {
	if len(trusted) == 0 {
		return "", false
	}
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil || !isTrusted(peer.Addr(), trusted) {
		return "", false
	}
	return clientFrom(r.Header.Values("X-Forwarded-For"), peer.Addr(), trusted).String(), true
}

// clientFrom walks the X-Forwarded-For hops from the right, past trusted
// proxies, and returns the first that is not one. A hop that is not an
// address ends the walk at the last trusted hop (a proxy in trusted wrote
// it, so that proxy is the best known source); so does a list of trusted
// proxies only, whose leftmost hop is then the client.
func clientFrom(headers []string, peer netip.Addr, trusted []netip.Prefix) netip.Addr {
	client := peer
	for i := len(headers) - 1; i >= 0; i-- {
		hops := strings.Split(headers[i], ",")
		for j := len(hops) - 1; j >= 0; j-- {
			hop, ok := parseHop(hops[j])
			if !ok {
				return client
			}
			client = hop
			if !isTrusted(hop, trusted) {
				return client
			}
		}
	}
	return client
}

// parseHop reads one X-Forwarded-For entry: an IP address, or one with a
// port as some proxies write it.
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Addr().Zone() == "" {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// dropForwarded removes the headers only a trusted proxy may set.
func dropForwarded(h http.Header) {
	for name := range h {
		if strings.HasPrefix(name, "X-Forwarded-") || name == "Forwarded" {
			delete(h, name)
		}
	}
}
