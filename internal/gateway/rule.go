package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Rule requires scopes for the requests a pattern matches.
type Rule struct {
	// Method is the HTTP method; "" matches every method. As in
	// http.ServeMux, GET also matches HEAD.
	Method string
	// Pattern is an http.ServeMux path pattern: "/ws/rest/Cargo" matches
	// that path only, "/ws/rest/" every path under it, and wildcards such
	// as "/ws/rest/{resource}/{id}" or "/ws/rest/{rest...}" one or more
	// segments. When several rules match, the most specific one wins, by
	// ServeMux's precedence rules.
	Pattern string
	// Scopes must all be in the token; none means any valid token.
	Scopes []string
	// Upgrade lists the protocols (RFC 9110 §7.8) a request may switch to
	// on this route, such as "websocket"; a request for any other upgrade
	// is refused. Never "h2c", which the gateway always strips.
	Upgrade []string
}

// ParseRule parses a rule as the --rule flag writes it:
//
//	[METHOD] PATTERN [SCOPE[,SCOPE...]] [upgrade=PROTOCOL[,PROTOCOL...]]
//
// for example "GET /ws/rest/{resource...} read:cargo,write:cargo",
// "/health" or "GET /events/ read:events upgrade=websocket".
func ParseRule(s string) (Rule, error) {
	fields := strings.Fields(s)
	var r Rule
	if len(fields) > 0 && !strings.HasPrefix(fields[0], "/") {
		r.Method, fields = fields[0], fields[1:]
	}
	if n := len(fields); n > 1 && strings.HasPrefix(fields[n-1], upgradePrefix) {
		r.Upgrade = strings.Split(strings.TrimPrefix(fields[n-1], upgradePrefix), ",")
		fields = fields[:n-1]
	}
	switch len(fields) {
	case 2:
		r.Scopes = strings.Split(fields[1], ",")
		fallthrough
	case 1:
		r.Pattern = fields[0]
	default:
		return Rule{}, fmt.Errorf("rule %q: want [METHOD] PATTERN [SCOPE,...] [upgrade=PROTOCOL,...]", s)
	}
	if err := r.validate(); err != nil {
		return Rule{}, fmt.Errorf("rule %q: %w", s, err)
	}
	return r, nil
}

// ParseRules parses rules separated by semicolons, as MINT_GATEWAY_RULES
// holds them. Empty items are skipped.
func ParseRules(s string) ([]Rule, error) {
	var rules []Rule
	for item := range strings.SplitSeq(s, ";") {
		if strings.TrimSpace(item) == "" {
			continue
		}
		r, err := ParseRule(item)
		if err != nil {
			return nil, err
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// String writes r in the form ParseRule reads.
func (r Rule) String() string {
	s := r.pattern()
	if len(r.Scopes) > 0 {
		s += " " + strings.Join(r.Scopes, ",")
	}
	if len(r.Upgrade) > 0 {
		s += " " + upgradePrefix + strings.Join(r.Upgrade, ",")
	}
	return s
}

const upgradePrefix = "upgrade="

// allowsUpgrade reports whether the Upgrade header value up names one
// protocol, and one r allows (RFC 9110 §7.8: "name[/version]", names
// compared without regard to case).
func (r *Rule) allowsUpgrade(up string) bool {
	if strings.Contains(up, ",") {
		return false
	}
	name, _, _ := strings.Cut(strings.TrimSpace(up), "/")
	return slices.ContainsFunc(r.Upgrade, func(p string) bool { return strings.EqualFold(p, name) })
}

// pattern is the http.ServeMux pattern of r.
func (r Rule) pattern() string {
	if r.Method == "" {
		return r.Pattern
	}
	return r.Method + " " + r.Pattern
}

func (r Rule) validate() error {
	if !isToken(r.Method) && r.Method != "" {
		return fmt.Errorf("method %q is not an HTTP token", r.Method)
	}
	if !strings.HasPrefix(r.Pattern, "/") || strings.ContainsAny(r.Pattern, " \t\r\n") {
		return fmt.Errorf("pattern %q must be a path starting with /", r.Pattern)
	}
	for _, s := range r.Scopes {
		if !isScopeToken(s) || strings.HasPrefix(s, upgradePrefix) {
			return fmt.Errorf("scope %q is not an RFC 6749 scope token", s)
		}
	}
	for _, p := range r.Upgrade {
		if !isToken(p) {
			return fmt.Errorf("upgrade protocol %q is not an HTTP token", p)
		}
		if strings.EqualFold(p, "h2c") {
			return errors.New("h2c upgrades are never forwarded: they would carry requests no rule sees")
		}
	}
	return register(http.NewServeMux(), r.pattern(), http.NotFoundHandler())
}

// register adds a pattern to mux, returning ServeMux's panic on a bad or
// conflicting pattern as an error.
func register(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	mux.Handle(pattern, h)
	return nil
}

// isScopeToken reports whether s is a scope-token (RFC 6749 §3.3), less the
// comma that separates scopes in a rule.
func isScopeToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' || c == ',' {
			return false
		}
	}
	return true
}

// isToken reports whether s is an RFC 9110 token, as methods are.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}
