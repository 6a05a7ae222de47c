package gateway

import (
	"fmt"
	"net/http"
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
}

// ParseRule parses a rule as the --rule flag writes it:
//
//	[METHOD] PATTERN [SCOPE[,SCOPE...]]
//
// for example "GET /ws/rest/{resource...} read:cargo,write:cargo" or
// "/health".
func ParseRule(s string) (Rule, error) {
	fields := strings.Fields(s)
	var r Rule
	if len(fields) > 0 && !strings.HasPrefix(fields[0], "/") {
		r.Method, fields = fields[0], fields[1:]
	}
	switch len(fields) {
	case 2:
		r.Scopes = strings.Split(fields[1], ",")
		fallthrough
	case 1:
		r.Pattern = fields[0]
	default:
		return Rule{}, fmt.Errorf("rule %q: want [METHOD] PATTERN [SCOPE,...]", s)
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
	return s
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
		if !isScopeToken(s) {
			return fmt.Errorf("scope %q is not an RFC 6749 scope token", s)
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
