package policy

import (
	"fmt"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
)

// RegisteredClaims are the claims a policy may not add: the JWT registered
// claims (RFC 7519 §4.1), those of RFC 9068 §2.2, RFC 8693 §4 and RFC 7800
// §3, and the ones mint writes (azp, gty, scope, client_id). They are
// compared without regard to case: some JSON decoders (Go's encoding/json
// among them) match object names case-insensitively, so that a "SUB" after
// "sub" would replace the subject for them.
var RegisteredClaims = []string{
	"iss", "sub", "aud", "exp", "nbf", "iat", "jti",
	"client_id", "scope", "scp", "azp", "gty", "auth_time", "acr", "amr",
	"act", "may_act", "cnf", "roles", "groups", "entitlements",
}

// Bounds of what a policy may add to a token.
const (
	MaxClaims          = 16
	MaxClaimNameBytes  = 128
	MaxClaimsJSONBytes = 2048
	maxClaimDepth      = 4
)

// checkClaimName reports why a policy may not add a claim of this name,
// "" when it may: a registered claim, or a name outside printable ASCII
// letters, digits and "_-.:/~#" (so that a namespaced URI such as
// https://example.com/tier is allowed, and no two names look alike).
func checkClaimName(name string) string {
	if name == "" || len(name) > MaxClaimNameBytes {
		return fmt.Sprintf("a claim name must have 1 to %d characters", MaxClaimNameBytes)
	}
	for _, r := range RegisteredClaims {
		if strings.EqualFold(name, r) {
			return fmt.Sprintf("claim %q is registered: a policy may not set it", name)
		}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_-.:/~#", c) >= 0) {
			return fmt.Sprintf("claim %q: a claim name may hold only ASCII letters, digits and _-.:/~#", name)
		}
	}
	return ""
}

// checkLiteralClaims refuses, at save time, a policy whose text adds a
// claim that would be dropped: every map literal under a literal "claims"
// key is read, its literal keys checked. Names computed at run time are
// checked then (Evaluate drops them).
func checkLiteralClaims(checked *cel.Ast) error {
	var problem string
	check := func(claims ast.Expr) {
		if claims.Kind() == ast.CallKind && claims.AsCall().FunctionName() == "dyn" && len(claims.AsCall().Args()) == 1 {
			claims = claims.AsCall().Args()[0] // claims({...}) as its macro wrote it
		}
		if problem != "" || claims.Kind() != ast.MapKind {
			return
		}
		for _, c := range claims.AsMap().Entries() {
			key := c.AsMapEntry().Key()
			if key.Kind() != ast.LiteralKind {
				continue
			}
			name, ok := key.AsLiteral().(types.String)
			if !ok {
				problem = "claim names must be strings"
				return
			}
			if why := checkClaimName(string(name)); why != "" {
				problem = why
				return
			}
		}
	}
	ast.PreOrderVisit(checked.NativeRep().Expr(), ast.NewExprVisitor(func(e ast.Expr) {
		if e.Kind() != ast.MapKind { // {"claims": {...}}, or claims({...}) expanded
			return
		}
		for _, entry := range e.AsMap().Entries() {
			if me := entry.AsMapEntry(); literalString(me.Key()) == "claims" {
				check(me.Value())
			}
		}
	}))
	if problem != "" {
		return fmt.Errorf("%w: %s", ErrCompile, problem)
	}
	return nil
}

func literalString(e ast.Expr) string {
	if e.Kind() != ast.LiteralKind {
		return ""
	}
	s, _ := e.AsLiteral().(types.String)
	return string(s)
}
