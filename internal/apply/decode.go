package apply

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxFileBytes bounds one file: the decoder holds it whole, and a real
// configuration of thousands of clients is a few MiB.
const maxFileBytes = 16 << 20

// source is one file read: its name and where each field path starts.
type source struct {
	name string
	pos  map[string]position
}

type position struct{ line, col int }

// at is a resource read from a file, with where it was read.
type at[T any] struct {
	V    T
	src  *source
	path string // as apis[0]
}

// problem is a Problem with the resource's field (or the resource itself,
// field "") at fault, placed at the field's line, else the resource's.
func (a at[T]) problem(field, format string, args ...any) Problem {
	path := a.path
	if field != "" {
		path += "." + field
	}
	p, ok := a.src.pos[path]
	if !ok {
		p = a.src.pos[a.path]
	}
	return Problem{File: a.src.name, Line: p.line, Column: p.col, Field: path, Msg: fmt.Sprintf(format, args...)}
}

// where is "file:line" of the resource, for "declared twice" messages.
func (a at[T]) where() string {
	p := a.src.pos[a.path]
	return fmt.Sprintf("%s:%d", a.src.name, p.line)
}

// decoder walks one file's YAML nodes into a Document, field by field, so
// that every problem has a line and a field path.
type decoder struct {
	src      *source
	problems *Problems
}

// decodeFile decodes one file into a Document, adding what is wrong to
// problems.
func decodeFile(name string, data []byte, problems *Problems) (Document, *source) {
	src := &source{name: name, pos: map[string]position{}}
	d := &decoder{src: src, problems: problems}
	var doc Document
	if len(data) > maxFileBytes {
		d.add(nil, "", "the file is larger than %d MiB", maxFileBytes>>20)
		return doc, src
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			d.add(nil, "", "the file is empty: it needs at least version: %d", Version)
		} else {
			d.syntax(err)
		}
		return doc, src
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		d.add(&next, "", "a file holds one YAML document: split it into files, or drop the second ---")
		return doc, src
	}
	if !d.plain(&root) {
		return doc, src
	}
	body := &root
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		body = root.Content[0]
	}
	d.value(body, reflect.ValueOf(&doc).Elem(), "")
	if _, ok := src.pos["version"]; !ok {
		d.add(body, "version", "version is required: version: %d", Version)
	} else if doc.Version != Version {
		d.add(nil, "version", "version must be %d, the format this mint reads", Version)
	}
	return doc, src
}

// yamlLine finds the line in the YAML parser's messages.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (d *decoder) syntax(err error) {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		d.addAt(position{line: line, col: 1}, "", "not valid YAML: %s", m[2])
		return
	}
	d.add(nil, "", "not valid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}

// plain refuses anchors, aliases and merge keys anywhere in the file: a
// configuration reads as written, and aliases are how a small file expands
// into a huge one.
func (d *decoder) plain(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode || n.Anchor != "" || n.Tag == "!!merge" {
		d.add(n, "", "anchors, aliases and merge keys (&, *, <<) are not supported: write the value out")
		return false
	}
	for _, c := range n.Content {
		if !d.plain(c) {
			return false
		}
	}
	return true
}

func (d *decoder) add(n *yaml.Node, path, format string, args ...any) {
	var p position
	if n != nil {
		p = position{n.Line, n.Column}
	} else {
		p = d.src.pos[path]
	}
	d.addAt(p, path, format, args...)
}

func (d *decoder) addAt(p position, path, format string, args ...any) {
	if len(*d.problems) < maxErrors {
		*d.problems = append(*d.problems, Problem{File: d.src.name, Line: p.line, Column: p.col, Field: path,
			Msg: fmt.Sprintf(format, args...)})
	}
}

// value decodes n into v, the field at path.
func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	switch {
	case v.Kind() == reflect.Struct:
		d.mapping(n, v, path)
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct:
		d.list(n, v, path)
	default:
		d.leaf(n, v, path)
	}
}

// mapping decodes a YAML mapping into the struct v, refusing unknown
// fields and fields given twice.
func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.add(n, path, "must be a mapping of field: value")
		return
	}
	fields := yamlFields(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if key.Kind != yaml.ScalarNode {
			d.add(key, path, "a field name must be a plain word")
			continue
		}
		name := key.Value
		fieldPath := join(path, name)
		idx, known := fields[name]
		switch {
		case !known:
			d.add(key, fieldPath, "unknown field %q; the fields here are %s", name, strings.Join(sortedKeys(fields), ", "))
			continue
		case seen[name]:
			d.add(key, fieldPath, "field %q is given twice", name)
			continue
		}
		seen[name] = true
		d.src.pos[fieldPath] = position{key.Line, key.Column}
		d.value(val, v.Field(idx), fieldPath)
	}
}

// list decodes a YAML sequence of mappings into the slice v.
func (d *decoder) list(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.add(n, path, "must be a list (- item per line)")
		return
	}
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		itemPath := fmt.Sprintf("%s[%d]", path, i)
		d.src.pos[itemPath] = position{item.Line, item.Column}
		d.value(item, out.Index(i), itemPath)
	}
	v.Set(out)
}

// leaf decodes a scalar, a list of scalars or a free mapping (jwks).
func (d *decoder) leaf(n *yaml.Node, v reflect.Value, path string) {
	want := describeType(v.Type())
	switch v.Kind() {
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode && !isNull(n) {
			d.add(n, path, "must be %s", want)
			return
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode && !isNull(n) {
			d.add(n, path, "must be %s", want)
			return
		}
		if v.Type().Elem().Kind() == reflect.String && !d.stringValues(n, path) {
			return
		}
	default:
		if n.Kind != yaml.ScalarNode {
			d.add(n, path, "must be %s", want)
			return
		}
		if v.Kind() == reflect.String && n.Tag != "!!str" && !isNull(n) {
			d.add(n, path, "must be %s: quote it (\"%s\") if it is meant as text", want, n.Value)
			return
		}
	}
	if err := n.Decode(v.Addr().Interface()); err != nil {
		d.add(n, path, "must be %s (%s)", want, decodeDetail(err))
	}
}

// stringValues refuses a mapping of strings (metadata) whose values are
// not all plain strings: YAML would read tier: 1 or on: yes as text
// silently, and a list or mapping is no string at all.
func (d *decoder) stringValues(n *yaml.Node, path string) bool {
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, val := n.Content[i], n.Content[i+1]
		if key.Kind != yaml.ScalarNode || key.Tag != "!!str" {
			d.add(key, path, "a key must be a plain word")
			ok = false
			continue
		}
		if val.Kind != yaml.ScalarNode || val.Tag != "!!str" {
			d.add(val, join(path, key.Value), "must be a string: quote it (\"%s\") if it is meant as text", val.Value)
			ok = false
		}
	}
	return ok
}

// decodeDetail is the YAML decoder's reason without its preamble and line
// (the problem has its own).
var decodePreamble = regexp.MustCompile(`^(yaml: unmarshal errors:\s*)?(line \d+: )?`)

func decodeDetail(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		return decodePreamble.ReplaceAllString(strings.TrimSpace(te.Errors[0]), "")
	}
	return decodePreamble.ReplaceAllString(err.Error(), "")
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return describeType(t.Elem()) + " or null"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64:
		return "a whole number"
	case reflect.Slice:
		return "a list of " + strings.TrimPrefix(describeType(t.Elem()), "a ") + "s"
	case reflect.Map:
		return "a mapping"
	}
	return t.String()
}

// yamlFields maps the yaml names of t's fields to their indexes.
func yamlFields(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			out[name] = i
		}
	}
	return out
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
