package gateway_test

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/mintauth/mint/internal/gateway"
)

// upstreamRouters are ways real servers turn the request line they get
// into the method and path they route: each decodes, then resolves dot
// segments, and some also read "\" as "/", cut ";params" (Tomcat, Spring),
// decode twice, merge "//" (nginx) or trim trailing dots and spaces
// (Windows), or ignore letter case and a trailing slash (Express, ASP.NET,
// IIS). Methods are upper-cased (Werkzeug, some Java servers).
var upstreamRouters = map[string]func(string) string{
	"decode":            func(p string) string { return removeDots(decode(p)) },
	"decode twice":      func(p string) string { return removeDots(decode(decode(p))) },
	"backslash first":   func(p string) string { return removeDots(decode(strings.ReplaceAll(p, `\`, "/"))) },
	"backslash after":   func(p string) string { return removeDots(strings.ReplaceAll(decode(p), `\`, "/")) },
	"params first":      func(p string) string { return removeDots(decode(stripParams(p))) },
	"params after":      func(p string) string { return removeDots(stripParams(decode(p))) },
	"merge slashes":     func(p string) string { return removeDots(mergeSlashes(decode(p))) },
	"windows":           func(p string) string { return removeDots(trimSegments(strings.ReplaceAll(decode(p), `\`, "/"))) },
	"everything, twice": everything,
	"case-insensitive":  func(p string) string { return strings.ToLower(removeDots(decode(p))) },
	"loose slash":       func(p string) string { return strings.ToLower(removeDots(decode(p))) + "/" },
}

func everything(p string) string {
	for range 2 {
		p = removeDots(mergeSlashes(trimSegments(stripParams(strings.ReplaceAll(decode(p), `\`, "/")))))
	}
	return p
}

// decode percent-decodes p leniently: a malformed escape stays as it is.
func decode(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '%' && i+2 < len(p) {
			if v, err := url.PathUnescape(p[i : i+3]); err == nil {
				b.WriteString(v)
				i += 2
				continue
			}
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// removeDots is RFC 3986 §5.2.4's remove_dot_segments.
func removeDots(p string) string {
	var out []string
	segs := strings.Split(p, "/")
	for i, s := range segs {
		switch s {
		case ".":
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
			continue
		}
		if i == len(segs)-1 {
			out = append(out, "")
		}
	}
	return strings.Join(out, "/")
}

func stripParams(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i], _, _ = strings.Cut(s, ";")
	}
	return strings.Join(segs, "/")
}

func mergeSlashes(p string) string {
	for strings.Contains(p, "//") {
		p = strings.ReplaceAll(p, "//", "/")
	}
	return p
}

func trimSegments(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if t := strings.TrimRight(s, ". "); t != "" || s == "" {
			segs[i] = t
		}
	}
	return strings.Join(segs, "/")
}

// fuzzRules: a read token may GET (or HEAD) /public/ and /orders/ and
// nothing else; the default is deny.
var fuzzRules = []string{"GET /public/ read", "GET /orders/ read", "POST /orders/ write", "/admin/ admin"}

func readMayReach(method, path string) bool {
	return (method == "GET" || method == "HEAD") &&
		(strings.HasPrefix(path, "/public/") || strings.HasPrefix(path, "/orders/"))
}

// FuzzRulesMatchUpstream drives random methods and request targets, with a
// token holding only "read", through the gateway's screening and rules,
// and every request it forwards through each upstream router: none may
// reach a route its rule refuses.
func FuzzRulesMatchUpstream(f *testing.F) {
	iss := newIssuer(f)
	var mu sync.Mutex
	var forwarded *http.Request
	cfg := gateway.Config{
		Upstream: &url.URL{Scheme: "http", Host: "upstream.test"},
		Verifier: iss.verifier(f),
		Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			forwarded = r
			mu.Unlock()
			return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
		}),
	}
	for _, s := range fuzzRules {
		r, err := gateway.ParseRule(s)
		if err != nil {
			f.Fatal(err)
		}
		cfg.Rules = append(cfg.Rules, r)
	}
	h, err := gateway.New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	token := iss.token(f, "read")
	for _, seed := range []struct{ method, target string }{
		{"GET", "/public/a"}, {"GET", "/orders/1"}, {"GET", "/x/%2e%2e/admin/users"},
		{"GET", "/public/%2e%2e/admin/x"}, {"GET", "/public/..%2fadmin/x"}, {"GET", `/public/..\admin\x`},
		{"GET", "/public/%252e%252e/admin/x"}, {"GET", "/public;x/../admin/"}, {"GET", "/public/..;/admin/"},
		{"get", "/orders/1"}, {"post", "/orders/1"}, {"GET", "/public/%c0%ae%c0%ae/admin/"},
		{"GET", "/public/%ef%bc%8e%ef%bc%8e/admin/"}, {"GET", "/public/x./../admin/"}, {"GET", "//admin/"},
		{"GET", "/%61dmin/x"}, {"GET", "http://h/public/%2e%2e/admin/"}, {"HEAD", "/public/../admin/"},
		{"GET", "/public/%00/../../admin/"}, {"GET", "/public/.%2e/admin/"},
		{"GET", "/ADMIN/x"}, {"GET", "/Public/x"}, {"GET", "/admin"},
	} {
		f.Add(seed.method, seed.target)
	}
	f.Fuzz(func(t *testing.T, method, target string) {
		if strings.ContainsAny(method+target, " \r\n\t") || method == "" || target == "" {
			return // not one request line
		}
		raw := method + " " + target + " HTTP/1.1\r\nHost: gw.test\r\nAuthorization: Bearer " + token + "\r\n\r\n"
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil || !isToken(req.Method) {
			return // Go's server answers 400 itself
		}
		req.RemoteAddr = "127.0.0.1:1"
		mu.Lock()
		forwarded = nil
		mu.Unlock()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: status %d", method, target, rec.Code)
		}
		mu.Lock()
		out := forwarded
		mu.Unlock()
		if out == nil {
			return
		}
		uri := out.URL.RequestURI()
		path, _, _ := strings.Cut(uri, "?")
		for name, route := range upstreamRouters {
			m, p := strings.ToUpper(out.Method), route(path)
			if !readMayReach(m, p) {
				t.Fatalf("%s %s was forwarded as %s %s, which a %q upstream routes to %s %s", method, target,
					out.Method, uri, name, m, p)
			}
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return s != ""
}
