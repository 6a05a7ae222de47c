package server

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/mintauth/mint/internal/audit"
)

func prefixes(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range s {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}

func TestClientAddr(t *testing.T) {
	trusted := prefixes("10.0.0.0/8", "2001:db8::/32")
	for _, tc := range []struct {
		name, peer string
		xff        []string
		want       string
		keepsXFF   bool
	}{
		{"direct, no header", "192.0.2.1:5000", nil, "192.0.2.1:5000", false},
		{"untrusted peer's header ignored", "192.0.2.1:5000", []string{"198.51.100.1"}, "192.0.2.1:5000", false},
		{"trusted proxy", "10.0.0.5:443", []string{"198.51.100.1"}, "198.51.100.1", true},
		{"rightmost untrusted wins over a spoofed left", "10.0.0.5:443", []string{"6.6.6.6, 198.51.100.1"}, "198.51.100.1", true},
		{"chain of trusted proxies", "10.0.0.5:443", []string{"198.51.100.1, 10.1.1.1", "10.2.2.2"}, "198.51.100.1", true},
		{"all trusted: the leftmost", "10.0.0.5:443", []string{"10.9.9.9, 10.1.1.1"}, "10.9.9.9", true},
		{"garbage stops at the last trusted hop", "10.0.0.5:443", []string{"6.6.6.6, nonsense, 10.1.1.1"}, "10.1.1.1", true},
		{"hop with a port", "10.0.0.5:443", []string{"198.51.100.1:1234"}, "198.51.100.1", true},
		{"IPv6", "[2001:db8::1]:443", []string{"2001:db8:ffff::1, 2a00::7"}, "2a00::7", true},
		{"no header from a trusted proxy", "10.0.0.5:443", nil, "10.0.0.5", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var gotAddr, gotSource string
			var gotXFF bool
			h := withClientAddr(trusted, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gotAddr, gotSource = r.RemoteAddr, audit.SourceFrom(r.Context())
				_, gotXFF = r.Header["X-Forwarded-Proto"]
			}))
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			r.Header.Set("X-Forwarded-Proto", "https")
			h.ServeHTTP(httptest.NewRecorder(), r)
			if gotAddr != tc.want || gotSource != tc.want {
				t.Errorf("RemoteAddr %q, source %q; want %q", gotAddr, gotSource, tc.want)
			}
			if gotXFF != tc.keepsXFF {
				t.Errorf("X-Forwarded-Proto kept = %v, want %v", gotXFF, tc.keepsXFF)
			}
		})
	}
}

// FuzzClientFrom feeds the X-Forwarded-For walk arbitrary headers: it must
// not panic and must return a valid address, the peer when the header
// holds none.
func FuzzClientFrom(f *testing.F) {
	for _, s := range []string{"198.51.100.1", "6.6.6.6, 10.1.1.1", ",,,", "[::1]:80, fe80::1%eth0", " 10.0.0.1 ,x", ""} {
		f.Add(s)
	}
	trusted := prefixes("10.0.0.0/8", "::1/128")
	peer := netip.MustParseAddr("10.0.0.5")
	f.Fuzz(func(t *testing.T, header string) {
		got := clientFrom([]string{header}, peer, trusted)
		if got != peer && strings.Trim(header, " ,") == "" {
			t.Fatalf("client %v from an empty header", got)
		}
		if !got.IsValid() {
			t.Fatalf("invalid client address from %q", header)
		}
	})
}
