package federation

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"syscall"
)

// The hosts a trust rule names (its Issuer and JWKSURI) are the admin's
// choice: mint fetches from them whatever they resolve to, so that an
// in-cluster issuer at a private address works. Every other host — a
// jwks_uri a discovery document names, the target of a redirect — is the
// partner's choice, and a partner must not make mint fetch from mint's own
// network (SSRF: 169.254.169.254, a loopback admin port, a private
// service). Those are fetched only from public addresses: checked on the
// literal host, and again on every address dialed, so that a DNS name
// resolving to loopback, or rebinding to it after a first check, is
// refused too.

// egress is the set of host:port a rule names.
type egress struct {
	named map[string]bool
	mu    sync.Mutex
	proxy map[string]bool // proxies the transport chose: the operator's
}

func newEgress(rule urlsOfRule) *egress {
	e := &egress{named: map[string]bool{}, proxy: map[string]bool{}}
	for _, raw := range rule {
		if u, err := parseHostPort(raw); err == nil {
			e.named[u] = true
		}
	}
	return e
}

type urlsOfRule []string

func parseHostPort(raw string) (string, error) {
	req, err := http.NewRequest(http.MethodGet, raw, nil)
	if err != nil {
		return "", err
	}
	if req.URL.Host == "" {
		return "", fmt.Errorf("no host in %q", raw)
	}
	return hostPort(req.URL.Scheme, req.URL.Host), nil
}

// hostPort is host:port with the scheme's default port, host lowercase.
func hostPort(scheme, host string) string {
	h, p, err := net.SplitHostPort(host)
	if err != nil {
		h, p = strings.Trim(host, "[]"), "443"
		if scheme == "http" {
			p = "80"
		}
	}
	return net.JoinHostPort(strings.ToLower(strings.TrimSuffix(h, ".")), p)
}

func (e *egress) trusted(addr string) bool {
	if e.named[hostPort("", addr)] {
		return true
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.proxy[hostPort("", addr)]
}

// check refuses a request to a host the rule does not name whose literal
// address is not public.
func (e *egress) check(req *http.Request) error {
	hp := hostPort(req.URL.Scheme, req.URL.Host)
	if e.named[hp] {
		return nil
	}
	if ip, err := netip.ParseAddr(strings.Trim(req.URL.Hostname(), "[]")); err == nil && !publicAddr(ip) {
		return fmt.Errorf("refused to fetch %s: a host the trust rule does not name, at a non-public address", req.URL.Redacted())
	}
	return nil
}

// noteProxy records the proxy the transport will dial for req, so that
// dialing it is not refused: the operator configured it. It reports
// whether req goes through one.
func (e *egress) noteProxy(t *http.Transport, req *http.Request) bool {
	if t.Proxy == nil {
		return false
	}
	p, err := t.Proxy(req)
	if err != nil || p == nil {
		return false
	}
	e.mu.Lock()
	e.proxy[hostPort(p.Scheme, p.Host)] = true
	e.mu.Unlock()
	return true
}

// checkResolved refuses a request the proxy would make for mint to a host
// the rule does not name whose DNS name resolves, here, to a non-public
// address: through a proxy mint dials only the proxy, so the dial-time
// check never sees where the proxy connects. A name that does not resolve
// here is left to the proxy (behind an egress proxy, mint often resolves
// no outside names at all); so is a name that resolves otherwise for the
// proxy: the proxy's own rules are the last line there.
func (e *egress) checkResolved(req *http.Request) error {
	host := req.URL.Hostname()
	if e.named[hostPort(req.URL.Scheme, req.URL.Host)] {
		return nil
	}
	if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return nil // a literal address: check has judged it
	}
	addrs, err := net.DefaultResolver.LookupNetIP(req.Context(), "ip", host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if !publicAddr(a) {
			return fmt.Errorf("refused to fetch %s: a host the trust rule does not name, resolving to the non-public %s", req.URL.Redacted(), a)
		}
	}
	return nil
}

// dial dials addr with next, refusing, for an address the rule does not
// name, every connection to a non-public address.
func (e *egress) dial(next func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	guarded := &net.Dialer{Timeout: DefaultFetchTimeout, Control: func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !publicAddr(ap.Addr()) {
			return fmt.Errorf("refused to connect to %s: a host the trust rule does not name, at a non-public address", address)
		}
		return nil
	}}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if e.trusted(addr) {
			return next(ctx, network, addr)
		}
		return guarded.DialContext(ctx, network, addr)
	}
}

// publicAddr reports whether ip is a global unicast address outside the
// private, shared (RFC 6598) and unique local ranges.
func publicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid(), !ip.IsGlobalUnicast(), ip.IsPrivate(), ip.IsLoopback(), ip.IsLinkLocalUnicast():
		return false
	case ip.Is4() && netip.MustParsePrefix("100.64.0.0/10").Contains(ip):
		return false
	}
	return true
}

// guardTransport wraps next so that the hosts rule does not name are
// fetched from public addresses only (see above).
func guardTransport(next http.RoundTripper, rule urlsOfRule) http.RoundTripper {
	e := newEgress(rule)
	t, ok := next.(*http.Transport)
	if !ok {
		// A transport of the caller's own (tests, a custom dialer): only
		// the literal check applies.
		return egressGuard{e: e, next: next}
	}
	t = t.Clone()
	dial := t.DialContext
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	t.DialContext = e.dial(dial)
	return egressGuard{e: e, next: t, transport: t}
}

type egressGuard struct {
	e         *egress
	next      http.RoundTripper
	transport *http.Transport
}

func (g egressGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := g.e.check(req); err != nil {
		return nil, err
	}
	if g.transport != nil && g.e.noteProxy(g.transport, req) {
		if err := g.e.checkResolved(req); err != nil {
			return nil, err
		}
	}
	return g.next.RoundTrip(req)
}
