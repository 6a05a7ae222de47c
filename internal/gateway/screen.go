package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/mintauth/mint/bearer"
)

// standardMethods are the methods the gateway knows without a rule naming
// them: RFC 9110 §9.3's, less CONNECT and TRACE (no use through this
// proxy, and TRACE echoes credentials back), plus PATCH (RFC 5789).
var standardMethods = []string{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}

// methodOverrideHeaders make many frameworks (Rails, Express, Symfony,
// Laravel, ASP.NET) run a request as a method other than the one the rules
// judged.
var methodOverrideHeaders = []string{"X-Http-Method-Override", "X-Http-Method", "X-Method-Override"}

var (
	errMethod         = errors.New("method unknown to the gateway")
	errMethodOverride = errors.New("method override in request")
	errUpgrade        = errors.New("protocol upgrade not allowed on this route")
	errNoRule         = errors.New("no rule matches the request")
	errLookalike      = errors.New("path falls under a stricter rule in another case or slash")
)

// knownMethods are the methods the gateway serves: the standard ones and
// those its rules name. Methods are case-sensitive (RFC 9110 §9.1), so
// "post" is none of them; an upstream that upper-cases it would otherwise
// run a POST that no POST rule judged.
func knownMethods(rules []Rule) []string {
	m := slices.Clone(standardMethods)
	for _, r := range rules {
		if r.Method != "" && !slices.Contains(m, r.Method) {
			m = append(m, r.Method)
		}
	}
	slices.Sort(m)
	return m
}

// screen refuses requests whose method, path or upgrade the upstream could
// read otherwise than the rules do, before any token is checked (the
// answer is the same for every caller), and passes the rest on with the
// canonical path (see canonicalPath) as the only path: the rules match it
// and the upstream is sent it, re-escaped.
func (g *gateway) screen(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !slices.Contains(g.methods, r.Method) {
			w.Header().Set("Allow", strings.Join(g.methods, ", "))
			g.fail(w, r, http.StatusMethodNotAllowed, "Method not allowed.", errMethod)
			return
		}
		if hasMethodOverride(r) {
			g.fail(w, r, http.StatusBadRequest, "Method override not allowed.", errMethodOverride)
			return
		}
		path, err := canonicalPath(escapedPath(r))
		if err != nil {
			g.fail(w, r, http.StatusBadRequest, "Request path invalid.", err)
			return
		}
		if g.alike.ambiguous(r.Method, path) {
			g.fail(w, r, http.StatusBadRequest, "Request path ambiguous: in another letter case or with(out) a trailing slash a stricter rule applies.", errLookalike)
			return
		}
		dropH2C(r.Header)
		ctx := context.WithValue(r.Context(), callerURIKey{}, bearer.RequestURL(r, false))
		r = r.WithContext(ctx)
		u := *r.URL
		u.Path, u.RawPath = path, ""
		r.URL = &u
		next.ServeHTTP(w, r)
	})
}

// hasMethodOverride reports whether r asks the upstream to run it as
// another method, by header or by a "_method" query parameter in any
// spelling. (A "_method" form field in the body cannot be seen without
// buffering it: an upstream that honours one must not be given rules that
// differ by method on the same path.)
func hasMethodOverride(r *http.Request) bool {
	for _, h := range methodOverrideHeaders {
		if _, ok := r.Header[h]; ok {
			return true
		}
	}
	for pair := range strings.FieldsFuncSeq(r.URL.RawQuery, func(c rune) bool { return c == '&' || c == ';' }) {
		key, _, _ := strings.Cut(pair, "=")
		if k, err := url.QueryUnescape(key); err == nil {
			key = k
		}
		if strings.EqualFold(phpName(key), "_method") {
			return true
		}
	}
	return false
}

// phpName is a query key as PHP names it: leading spaces dropped, and ".",
// " " and "[" turned into "_", so that ".method" reaches Symfony and
// Laravel as "_method".
func phpName(key string) string {
	return strings.Map(func(c rune) rune {
		if c == '.' || c == ' ' || c == '[' {
			return '_'
		}
		return c
	}, strings.TrimSpace(key))
}

// dropH2C removes an upgrade to h2c, and its HTTP2-Settings, from h: a
// server may ignore an Upgrade (RFC 9110 §7.8), and through a proxy h2c
// would open a connection whose later requests no rule or token check
// sees. Other protocols are left for the route's rule to allow or refuse.
func dropH2C(h http.Header) {
	h.Del("Http2-Settings")
	var keep []string
	for _, v := range h.Values("Upgrade") {
		for p := range strings.SplitSeq(v, ",") {
			p = strings.TrimSpace(p)
			name, _, _ := strings.Cut(p, "/")
			if p != "" && !strings.EqualFold(strings.TrimSpace(name), "h2c") {
				keep = append(keep, p)
			}
		}
	}
	h.Del("Upgrade")
	if len(keep) > 0 {
		h.Set("Upgrade", strings.Join(keep, ", "))
	}
}

// route passes a request a rule matched (nil: no rule did) to the proxy,
// after refusing an upgrade the rule does not allow.
func (g *gateway) route(rule *Rule) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if up := r.Header.Get("Upgrade"); up != "" && (rule == nil || !rule.allowsUpgrade(up)) {
			g.fail(w, r, http.StatusBadRequest, "Upgrade not allowed.", errUpgrade)
			return
		}
		g.forward(w, r)
	})
}

// deny answers a request no rule matches, in default-deny mode.
func (g *gateway) deny(w http.ResponseWriter, r *http.Request) {
	g.fail(w, r, http.StatusForbidden, "No rule allows this request.", errNoRule)
}
