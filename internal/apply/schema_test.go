package apply

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/mintauth/mint/internal/mint"
)

const schemaPath = "../../docs/mint-config.schema.json"

func readSchema(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("%s: %v", schemaPath, err)
	}
	return s
}

// TestSchemaMatchesDecoder: every field the decoder knows is in the
// schema, and every property of the schema is a field the decoder knows,
// type by type.
func TestSchemaMatchesDecoder(t *testing.T) {
	root := readSchema(t)
	defs := root["$defs"].(map[string]any)
	for _, tc := range []struct {
		typ    reflect.Type
		schema map[string]any
	}{
		{reflect.TypeFor[Document](), root},
		{reflect.TypeFor[API](), defs["api"].(map[string]any)},
		{reflect.TypeFor[Client](), defs["client"].(map[string]any)},
		{reflect.TypeFor[Grant](), defs["grant"].(map[string]any)},
		{reflect.TypeFor[FederatedCredential](), defs["federatedCredential"].(map[string]any)},
	} {
		props, _ := tc.schema["properties"].(map[string]any)
		inSchema := slices.Sorted(mapsKeys(props))
		inGo := sortedKeys(yamlFields(tc.typ))
		if !slices.Equal(inSchema, inGo) {
			t.Errorf("%s: schema properties %v, decoder fields %v", tc.typ.Name(), inSchema, inGo)
		}
		if tc.schema["additionalProperties"] != false {
			t.Errorf("%s: the schema allows unknown properties; the decoder refuses them", tc.typ.Name())
		}
	}
	algs := defs["api"].(map[string]any)["properties"].(map[string]any)["signing_alg"].(map[string]any)["enum"]
	if fmt.Sprint(algs) != fmt.Sprint(mint.SigningAlgorithms) {
		t.Errorf("schema signing_alg enum %v, mint.SigningAlgorithms %v", algs, mint.SigningAlgorithms)
	}
	if bindings := defs["tokenBinding"].(map[string]any)["enum"]; fmt.Sprint(bindings) != fmt.Sprint(mint.TokenBindings) {
		t.Errorf("schema token_binding enum %v, mint.TokenBindings %v", bindings, mint.TokenBindings)
	}
}

func mapsKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestSchemaExamples: the examples in testdata pass the schema and load;
// files the decoder refuses for their shape fail it.
func TestSchemaExamples(t *testing.T) {
	v := validator{root: readSchema(t)}
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		errs := v.validate(v.root, doc, "")
		_, loadErr := Load(name)
		if strings.HasPrefix(filepath.Base(name), "bad") {
			if len(errs) == 0 || loadErr == nil {
				t.Errorf("%s: schema errors %v, load error %v; want both to refuse it", name, errs, loadErr)
			}
			continue
		}
		if len(errs) > 0 || loadErr != nil {
			t.Errorf("%s: schema errors %v, load error %v; want neither", name, errs, loadErr)
		}
	}
	for _, src := range []string{
		"version: 1\nfederated_credentials: []\n",
		okAPI + "    token_lifetme: 60\n",
		okAPI + "    token_lifetime: 10\n",
		okAPI + "    signing_alg: HS256\n",
		"version: 1\nclients:\n  - {id: a b, name: C}\n",
		"version: 1\nclients:\n  - {id: c, name: C, tokens_per_hour: -1}\n",
		"version: 2\n",
		"version: 1\nclients:\n  - {id: c, name: C, metadata: {1tier: gold}}\n",
		"version: 1\nclients:\n  - {id: c, name: C, metadata: {tier: [gold]}}\n",
		"version: 1\nclients:\n  - {id: c, name: C, metadata: {tier: " + strings.Repeat("x", 257) + "}}\n",
	} {
		var doc any
		if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
			t.Fatal(err)
		}
		if errs := v.validate(v.root, doc, ""); len(errs) == 0 {
			t.Errorf("the schema accepts what the decoder refuses:\n%s", src)
		}
		if _, err := LoadBytes("f.yaml", []byte(src)); err == nil {
			t.Errorf("the decoder accepts:\n%s", src)
		}
	}
}

// validator checks a document against the JSON Schema keywords the
// schema uses, and fails on any other so that none is silently ignored.
type validator struct{ root map[string]any }

var annotations = map[string]bool{"$schema": true, "$id": true, "$defs": true, "title": true, "description": true, "default": true}

func (v validator) validate(s map[string]any, x any, path string) []string {
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, args...)) }
	for k, want := range s {
		switch k {
		case "$ref":
			name := strings.TrimPrefix(want.(string), "#/$defs/")
			errs = append(errs, v.validate(v.root["$defs"].(map[string]any)[name].(map[string]any), x, path)...)
		case "type":
			if !hasType(want, x) {
				fail("type %T is not %v", x, want)
			}
		case "const":
			if fmt.Sprint(x) != fmt.Sprint(want) {
				fail("%v is not %v", x, want)
			}
		case "enum":
			if !slices.ContainsFunc(want.([]any), func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(x) }) {
				fail("%v is not one of %v", x, want)
			}
		case "required":
			m, _ := x.(map[string]any)
			for _, r := range want.([]any) {
				if _, ok := m[r.(string)]; !ok && m != nil {
					fail("%s is required", r)
				}
			}
		case "properties":
			m, _ := x.(map[string]any)
			for name, sub := range want.(map[string]any) {
				if val, ok := m[name]; ok {
					errs = append(errs, v.validate(sub.(map[string]any), val, path+"."+name)...)
				}
			}
		case "additionalProperties":
			m, _ := x.(map[string]any)
			props, _ := s["properties"].(map[string]any)
			for name, val := range m {
				if _, ok := props[name]; ok {
					continue
				}
				if sub, isSchema := want.(map[string]any); isSchema {
					errs = append(errs, v.validate(sub, val, path+"."+name)...)
				} else if want == false {
					fail("unknown property %s", name)
				}
			}
		case "maxProperties":
			if m, ok := x.(map[string]any); ok && float64(len(m)) > want.(float64) {
				fail("%d properties, at most %v", len(m), want)
			}
		case "maxItems":
			if a, ok := x.([]any); ok && float64(len(a)) > want.(float64) {
				fail("%d items, at most %v", len(a), want)
			}
		case "propertyNames":
			m, _ := x.(map[string]any)
			for name := range m {
				errs = append(errs, v.validate(want.(map[string]any), name, path+"."+name+" (name)")...)
			}
		case "items":
			a, _ := x.([]any)
			for i, item := range a {
				errs = append(errs, v.validate(want.(map[string]any), item, fmt.Sprintf("%s[%d]", path, i))...)
			}
		case "uniqueItems":
			a, _ := x.([]any)
			for i := range a {
				for j := range i {
					if fmt.Sprint(a[i]) == fmt.Sprint(a[j]) {
						fail("item %d repeats item %d", i, j)
					}
				}
			}
		case "minLength", "maxLength", "pattern":
			str, ok := x.(string)
			if !ok {
				continue
			}
			n := float64(len([]rune(str)))
			if k == "minLength" && n < want.(float64) || k == "maxLength" && n > want.(float64) {
				fail("length %v out of %s %v", n, k, want)
			}
			if k == "pattern" && !regexp.MustCompile(want.(string)).MatchString(str) {
				fail("%q does not match %s", str, want)
			}
		case "minimum", "maximum":
			n, ok := number(x)
			if ok && (k == "minimum" && n < want.(float64) || k == "maximum" && n > want.(float64)) {
				fail("%v out of %s %v", n, k, want)
			}
		default:
			if !annotations[k] {
				panic("schema_test: keyword " + k + " is not checked by the test's validator")
			}
		}
	}
	return errs
}

func number(x any) (float64, bool) {
	switch n := x.(type) {
	case int:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func hasType(want, x any) bool {
	types, ok := want.([]any)
	if !ok {
		types = []any{want}
	}
	for _, ty := range types {
		switch ty {
		case "object":
			if _, ok := x.(map[string]any); ok {
				return true
			}
		case "array":
			if _, ok := x.([]any); ok {
				return true
			}
		case "string":
			if _, ok := x.(string); ok {
				return true
			}
		case "boolean":
			if _, ok := x.(bool); ok {
				return true
			}
		case "null":
			if x == nil {
				return true
			}
		case "integer":
			if n, ok := number(x); ok && n == math.Trunc(n) {
				return true
			}
		}
	}
	return false
}
