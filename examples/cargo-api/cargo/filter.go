package cargo

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// A filter keeps the rows whose field compares to a value, written as the
// seed API's query parameter: FIELD(OP)VALUE, for example
//
//	subCargos.freight(GTE)2500000
//
// FIELD is a dotted path into the row; where the path crosses a list, a
// row matches when any element does. OP is one of EQ, NE, GT, GTE, LT, LTE.
// Numbers compare as numbers, everything else as strings.
type filter struct {
	path  []string
	op    string
	value string
}

// ops maps each operator to the comparison results it accepts.
var ops = map[string]func(cmp int) bool{
	"EQ":  func(c int) bool { return c == 0 },
	"NE":  func(c int) bool { return c != 0 },
	"GT":  func(c int) bool { return c > 0 },
	"GTE": func(c int) bool { return c >= 0 },
	"LT":  func(c int) bool { return c < 0 },
	"LTE": func(c int) bool { return c <= 0 },
}

// parseFilter reads FIELD(OP)VALUE.
func parseFilter(s string) (filter, error) {
	field, rest, ok := strings.Cut(s, "(")
	if !ok {
		return filter{}, errors.New("want FIELD(OP)VALUE")
	}
	op, value, ok := strings.Cut(rest, ")")
	if !ok {
		return filter{}, errors.New("want FIELD(OP)VALUE")
	}
	if _, known := ops[op]; !known {
		return filter{}, fmt.Errorf("unknown operator %q, want EQ, NE, GT, GTE, LT or LTE", op)
	}
	path := strings.Split(field, ".")
	for _, p := range path {
		if p == "" {
			return filter{}, errors.New("empty field name")
		}
	}
	return filter{path: path, op: op, value: value}, nil
}

// match reports whether row has a value at f.path that satisfies f.
func (f filter) match(row any) bool {
	for _, v := range valuesAt(row, f.path) {
		if ops[f.op](compare(v, f.value)) {
			return true
		}
	}
	return false
}

// valuesAt returns every value at path in v, descending into lists.
func valuesAt(v any, path []string) []any {
	switch v := v.(type) {
	case []any:
		var out []any
		for _, e := range v {
			out = append(out, valuesAt(e, path)...)
		}
		return out
	case map[string]any:
		if len(path) == 0 {
			return nil
		}
		child, ok := v[path[0]]
		if !ok {
			return nil
		}
		return valuesAt(child, path[1:])
	}
	if len(path) == 0 {
		return []any{v}
	}
	return nil
}

// compare compares a row's value with a filter's, as numbers when both
// are numbers.
func compare(v any, want string) int {
	if n, ok := v.(float64); ok {
		if w, err := strconv.ParseFloat(want, 64); err == nil {
			switch {
			case n < w:
				return -1
			case n > w:
				return 1
			}
			return 0
		}
	}
	return strings.Compare(fmt.Sprint(v), want)
}
