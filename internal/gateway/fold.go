package gateway

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/mintauth/mint/internal/mint"
)

// Many upstreams route without regard to letter case (Express by default,
// ASP.NET, IIS) or to a trailing slash (Express, Flask with
// strict_slashes off): to them "/ADMIN/users" is "/admin/users" and
// "/admin/" is "/admin". The rules match case and slash exactly, as
// http.ServeMux does, so such a request could be judged by a laxer rule
// than the route it reaches. lookalikes refuses those requests: a request
// passes only when no case or trailing-slash variant of its path falls
// under a rule that asks for more than the rule that judged it.

// verdict is what a rule asks of a request: scopes, or nothing at all
// (deny, in default-deny mode).
type verdict struct {
	deny   bool
	scopes []string
}

// covers reports whether a request judged by v asked for at least what w
// asks. A denied request is never forwarded; the catch-all of default-deny
// mode claims no route, so falling under it names nothing stricter.
func (v verdict) covers(w verdict) bool {
	if v.deny || w.deny {
		return true
	}
	return mint.HasAllScopes(v.scopes, w.scopes)
}

// lookalikes indexes the rules twice: as written, and with their paths in
// lower case (scopes of rules that fold together are merged, the stricter
// reading).
type lookalikes struct {
	exact, folded   *http.ServeMux
	verdicts, foldV map[string]verdict
}

func newLookalikes(rules []Rule, allowUnmatched bool) *lookalikes {
	l := &lookalikes{exact: http.NewServeMux(), folded: http.NewServeMux(),
		verdicts: map[string]verdict{}, foldV: map[string]verdict{}}
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	add := func(pattern string, v verdict) {
		if _, ok := l.verdicts[pattern]; !ok && register(l.exact, pattern, noop) == nil {
			l.verdicts[pattern] = v
		}
		f := foldPattern(pattern)
		old, ok := l.foldV[f]
		if !ok && register(l.folded, f, noop) != nil {
			return
		}
		if ok {
			v = verdict{deny: old.deny || v.deny, scopes: mint.UnionScopes(old.scopes, v.scopes)}
		}
		l.foldV[f] = v
	}
	for _, r := range rules {
		add(r.pattern(), verdict{scopes: r.Scopes})
	}
	add("/", verdict{deny: !allowUnmatched})
	return l
}

// ambiguous reports whether the request (method, canonical path) could
// reach a route that a stricter rule guards, on an upstream that ignores
// case or a trailing slash.
func (l *lookalikes) ambiguous(method, path string) bool {
	judged, ok := l.verdicts[l.match(l.exact, method, path)]
	if !ok { // the mux answers it itself (a redirect, a 405): nothing is forwarded
		return false
	}
	for _, v := range variants(path) {
		other, ok := l.foldV[l.match(l.folded, method, v)]
		if !ok || !judged.covers(other) {
			return true
		}
	}
	return false
}

func (l *lookalikes) match(mux *http.ServeMux, method, path string) string {
	_, pattern := mux.Handler(&http.Request{Method: method, URL: &url.URL{Path: path}})
	return pattern
}

// variants are the readings of path an upstream that ignores case or a
// trailing slash could give it, in lower case.
func variants(path string) []string {
	p := strings.ToLower(path)
	if p == "/" {
		return []string{p}
	}
	if t, ok := strings.CutSuffix(p, "/"); ok {
		return []string{p, t}
	}
	return []string{p, p + "/"}
}

// foldPattern lower-cases the path of a ServeMux pattern, keeping its
// method as written.
func foldPattern(pattern string) string {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		return strings.ToLower(pattern)
	}
	return method + " " + strings.ToLower(path)
}
