package policy

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/ext"
)

// Client is what a policy sees of the client as `client`.
type Client struct {
	ID       string            `cel:"id"`
	Name     string            `cel:"name"`
	Metadata map[string]string `cel:"metadata"`
}

// API is what a policy sees of the API as `api`.
type API struct {
	ID       string `cel:"id"`
	Audience string `cel:"audience"`
	Name     string `cel:"name"`
}

// Grant is what a policy sees of the client's grant on the API as
// `grant`: the scopes it allows.
type Grant struct {
	Scopes []string `cel:"scopes"`
}

// Request is what a policy sees of the token request as `request`: the
// scopes asked for (empty when the request names none), the scopes the
// token would carry, the address it came from (an IP without port, IPv4
// as a.b.c.d, "" when unknown) and the server's time.
type Request struct {
	Scopes  []string  `cel:"scopes"`
	Granted []string  `cel:"granted"`
	Source  string    `cel:"source"`
	Time    time.Time `cel:"time"`
}

// Bounds of a policy, checked when it is saved and while it runs.
const (
	// MaxSourceBytes bounds the text of a policy.
	MaxSourceBytes = 4096
	// CostLimit bounds a policy's run (cel.CostLimit): a typical one costs
	// under 20, a comprehension over a grant's scopes a few hundred. A run
	// that would exceed it stops and the token is refused.
	CostLimit = 10000
	// maxNesting bounds the parser's recursion and the expression's
	// nesting, so that a deeply nested text is refused early.
	maxNesting = 32
	// maxNodes bounds the size of the parsed expression.
	maxNodes = 1000
)

// ErrCompile is wrapped by every refusal of Compile.
var ErrCompile = errors.New("invalid policy")

var (
	envOnce sync.Once
	env     *cel.Env
	envErr  error
)

// environment is the one CEL environment of every policy: the standard
// library, optional values, string and IP/CIDR functions, and the four
// variables. None of its functions reads anything outside its arguments
// (no I/O, no clock, no randomness), so a policy is a pure function of its
// input.
func environment() (*cel.Env, error) {
	envOnce.Do(func() {
		env, envErr = cel.NewEnv(
			ext.NativeTypes(reflect.TypeFor[Client](), reflect.TypeFor[API](), reflect.TypeFor[Grant](),
				reflect.TypeFor[Request](), ext.ParseStructTags(true)),
			cel.Variable("client", cel.ObjectType("policy.Client")),
			cel.Variable("api", cel.ObjectType("policy.API")),
			cel.Variable("grant", cel.ObjectType("policy.Grant")),
			cel.Variable("request", cel.ObjectType("policy.Request")),
			cel.OptionalTypes(),
			ext.Strings(),
			ext.Network(),
			resultMacros(),
			cel.ParserRecursionLimit(maxNesting),
			cel.ExpressionNestingDepthLimit(maxNesting),
			cel.ExpressionNodeLimit(maxNodes),
			cel.ParserExpressionSizeLimit(MaxSourceBytes),
		)
	})
	return env, envErr
}

// resultMacros are allow(), deny(reason) and claims(map): they expand, when
// the policy is parsed, into the result maps of Evaluate with their value
// as dyn ({"claims": dyn(map)}), so that the branches of a conditional
// agree (CEL types {"deny": "x"} and {"claims": {"a": "b"}} apart, and
// refuses `c ? one : other` of the two). Being macros, they cost a run no
// more than the maps written out.
func resultMacros() cel.EnvOption {
	one := func(key string) cel.MacroFactory {
		return func(eh cel.MacroExprFactory, _ celast.Expr, args []celast.Expr) (celast.Expr, *cel.Error) {
			return eh.NewMap(eh.NewMapEntry(eh.NewLiteral(types.String(key)), eh.NewCall("dyn", args[0]), false)), nil
		}
	}
	return cel.Macros(
		cel.GlobalMacro("allow", 0, func(eh cel.MacroExprFactory, _ celast.Expr, _ []celast.Expr) (celast.Expr, *cel.Error) {
			return eh.NewMap(), nil
		}),
		cel.GlobalMacro("deny", 1, one("deny")),
		cel.GlobalMacro("claims", 1, one("claims")),
	)
}

// Program is a compiled policy, safe for concurrent use.
type Program struct {
	Source string
	prg    cel.Program
}

// Compile parses and type-checks a policy: its result must be a bool or a
// map (see Evaluate), and the claims it adds from literal names must not
// be registered ones. The error, wrapping ErrCompile, is CEL's own, meant
// for the author of the policy.
func Compile(src string) (*Program, error) {
	if len(src) > MaxSourceBytes {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrCompile, len(src), MaxSourceBytes)
	}
	e, err := environment()
	if err != nil {
		return nil, err
	}
	checked, iss := e.Compile(src)
	if iss.Err() != nil {
		return nil, fmt.Errorf("%w: %s", ErrCompile, iss.Err())
	}
	if err := checkOutputType(checked.OutputType()); err != nil {
		return nil, err
	}
	if err := checkLiteralClaims(checked); err != nil {
		return nil, err
	}
	prg, err := e.Program(checked, cel.CostLimit(CostLimit), cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrCompile, err)
	}
	return &Program{Source: src, prg: prg}, nil
}

func checkOutputType(t *cel.Type) error {
	switch t.Kind() {
	case cel.BoolType.Kind(), cel.DynType.Kind():
		return nil
	case cel.MapType(cel.StringType, cel.DynType).Kind():
		if k := t.Parameters()[0]; k.Kind() == cel.StringType.Kind() || k.Kind() == cel.DynType.Kind() {
			return nil
		}
	}
	return fmt.Errorf("%w: the policy gives a %s; it must give a bool or a map such as {\"deny\": \"reason\"} or {\"claims\": {...}}",
		ErrCompile, t)
}
