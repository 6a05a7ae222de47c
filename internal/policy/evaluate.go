package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/interpreter"
)

// Input is what one evaluation sees.
type Input struct {
	Client  Client
	API     API
	Grant   Grant
	Request Request
}

// ResolveName makes Input the activation of a run without building a map
// per token.
func (in *Input) ResolveName(name string) (any, bool) {
	switch name {
	case "client":
		return &in.Client, true
	case "api":
		return &in.API, true
	case "grant":
		return &in.Grant, true
	case "request":
		return &in.Request, true
	}
	return nil, false
}

// Parent: Input is the only activation.
func (in *Input) Parent() interpreter.Activation { return nil }

// Decision is what a policy decided.
type Decision struct {
	// Deny: the token is refused, with Reason (never empty then).
	Deny   bool
	Reason string
	// Claims are the claims added, as the members of a JSON object
	// without its braces ("tier":"gold","n":1), names sorted; nil for none.
	Claims []byte
	// Dropped names the claims a run gave that were not added
	// (registered, or badly named), for the log.
	Dropped []string
}

// DefaultReason is the description of a refusal whose policy gave none.
const DefaultReason = "a policy refused this token"

// maxReasonBytes bounds the error_description a policy writes.
const maxReasonBytes = 200

// ErrResult is wrapped by the errors of a run that gave something other
// than the result shape (docs/policies.md), or too much of it.
var ErrResult = errors.New("policy result")

// Evaluate runs the policy on in. A result of true or a map with neither
// "deny" nor "claims" allows; false or {"deny": "reason"} (or true)
// refuses; {"claims": {...}} adds claims. The error of a run (a missing
// key, the cost limit, a result of the wrong shape, too many claims) is
// for the log: the caller refuses the token (fail closed).
func (p *Program) Evaluate(in *Input) (Decision, error) {
	out, _, err := p.prg.Eval(in)
	if err != nil {
		return Decision{}, err
	}
	switch v := out.(type) {
	case types.Bool:
		if v {
			return Decision{}, nil
		}
		return Decision{Deny: true, Reason: DefaultReason}, nil
	case traits.Mapper:
		return decide(v)
	}
	return Decision{}, fmt.Errorf("%w: a %s, not a bool or a map", ErrResult, out.Type())
}

func decide(m traits.Mapper) (Decision, error) {
	var d Decision
	known := 0
	deny, hasDeny := m.Find(types.String("deny"))
	claims, hasClaims := m.Find(types.String("claims"))
	if hasDeny {
		known++
	}
	if hasClaims {
		known++
	}
	if m.Size() != types.Int(known) {
		return Decision{}, fmt.Errorf("%w: a key other than \"deny\" and \"claims\"", ErrResult)
	}
	if hasDeny {
		if err := d.deny(deny); err != nil {
			return Decision{}, err
		}
		if d.Deny {
			return d, nil
		}
	}
	if hasClaims {
		if err := d.addClaims(claims); err != nil {
			return Decision{}, err
		}
	}
	return d, nil
}

func (d *Decision) deny(v ref.Val) error {
	switch v := v.(type) {
	case types.Bool:
		if v {
			d.Deny, d.Reason = true, DefaultReason
		}
	case types.String:
		d.Deny, d.Reason = true, Reason(string(v))
	default:
		return fmt.Errorf("%w: \"deny\" is a %s, not a string or bool", ErrResult, v.Type())
	}
	return nil
}

// Reason makes a policy's reason an RFC 6749 §5.2 error_description:
// printable ASCII but '"' and '\' (anything else becomes '?'), at most
// maxReasonBytes, DefaultReason when empty.
func Reason(s string) string {
	if s == "" {
		return DefaultReason
	}
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= maxReasonBytes {
			break
		}
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			r = '?'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (d *Decision) addClaims(v ref.Val) error {
	m, ok := v.(traits.Mapper)
	if !ok {
		return fmt.Errorf("%w: \"claims\" is a %s, not a map", ErrResult, v.Type())
	}
	var room [8]string
	names, err := d.claimNames(m, room[:0])
	if err != nil {
		return err
	}
	if len(names) > MaxClaims {
		return fmt.Errorf("%w: %d claims, at most %d", ErrResult, len(names), MaxClaims)
	}
	slices.Sort(names)
	b := make([]byte, 0, 64)
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, name)
		b = append(b, ':')
		if b, err = appendValue(b, m.Get(types.String(name)), 1); err != nil {
			return err
		}
		if len(b) > MaxClaimsJSONBytes {
			return fmt.Errorf("%w: the claims exceed %d bytes", ErrResult, MaxClaimsJSONBytes)
		}
	}
	d.Claims = b
	return nil
}

// appendValue appends a claim's value as JSON: strings, bools, numbers,
// null, and lists and string-keyed maps of them, at most maxClaimDepth
// deep.
func appendValue(b []byte, v ref.Val, depth int) ([]byte, error) {
	if depth > maxClaimDepth {
		return nil, fmt.Errorf("%w: claims nest deeper than %d", ErrResult, maxClaimDepth)
	}
	if len(b) > MaxClaimsJSONBytes {
		return nil, fmt.Errorf("%w: the claims exceed %d bytes", ErrResult, MaxClaimsJSONBytes)
	}
	switch v := v.(type) {
	case types.String:
		return appendJSONString(b, string(v)), nil
	case types.Bool:
		return strconv.AppendBool(b, bool(v)), nil
	case types.Int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case types.Uint:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case types.Double:
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("%w: a claim is not a finite number", ErrResult)
		}
		return strconv.AppendFloat(b, float64(v), 'g', -1, 64), nil
	case types.Null:
		return append(b, "null"...), nil
	case traits.Mapper:
		return appendMap(b, v, depth)
	case traits.Lister:
		return appendList(b, v, depth)
	}
	return nil, fmt.Errorf("%w: a claim's value is a %s", ErrResult, v.Type())
}

func appendList(b []byte, l traits.Lister, depth int) ([]byte, error) {
	b = append(b, '[')
	var err error
	for i, it := 0, l.Iterator(); it.HasNext() == types.True; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendValue(b, it.Next(), depth+1); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

func appendMap(b []byte, m traits.Mapper, depth int) ([]byte, error) {
	var keys []string
	for it := m.Iterator(); it.HasNext() == types.True; {
		k, ok := it.Next().(types.String)
		if !ok {
			return nil, fmt.Errorf("%w: a map key in a claim is not a string", ErrResult)
		}
		keys = append(keys, string(k))
	}
	slices.Sort(keys)
	b = append(b, '{')
	var err error
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendJSONString(b, k), ':')
		if b, err = appendValue(b, m.Get(types.String(k)), depth+1); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// claimNames appends to names the claim names of m that may be added,
// noting the others in d.Dropped. A map literal (the common case) is read
// without the iterator CEL would allocate.
func (d *Decision) claimNames(m traits.Mapper, names []string) ([]string, error) {
	add := func(k ref.Val) error {
		name, ok := k.(types.String)
		if !ok {
			return fmt.Errorf("%w: a claim name is not a string", ErrResult)
		}
		if checkClaimName(string(name)) != "" {
			d.Dropped = append(d.Dropped, string(name))
		} else {
			names = append(names, string(name))
		}
		return nil
	}
	if native, ok := m.Value().(map[ref.Val]ref.Val); ok {
		for k := range native {
			if err := add(k); err != nil {
				return nil, err
			}
		}
		return names, nil
	}
	for it := m.Iterator(); it.HasNext() == types.True; {
		if err := add(it.Next()); err != nil {
			return nil, err
		}
	}
	return names, nil
}

// appendJSONString appends s quoted as json.Marshal quotes it, by hand
// for the plain ASCII most claims are.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
