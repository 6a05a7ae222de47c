package auth0

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Bounds of a Deploy CLI export. A tenant of thousands of applications
// fits well within them.
const (
	MaxYAMLBytes     = 32 << 20 // tenant.yaml
	MaxJSONFileBytes = 1 << 20  // one file of a directory export
	MaxDirFiles      = 20_000   // files in one directory of the export
)

// ReadExport reads a Deploy CLI export: a YAML file (tenant.yaml), or a
// directory export with resource-servers/, clients/ and client-grants/.
func ReadExport(path string) (Tenant, error) {
	info, err := os.Stat(path)
	if err != nil {
		return Tenant{}, err
	}
	if info.IsDir() {
		return ReadDir(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return Tenant{}, err
	}
	defer f.Close()
	t, err := ReadYAML(f)
	if err != nil {
		return Tenant{}, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// ReadYAML reads a Deploy CLI tenant.yaml. Sections other than
// resourceServers, clients and clientGrants are ignored.
func ReadYAML(r io.Reader) (Tenant, error) {
	data, err := readBounded(r, MaxYAMLBytes)
	if err != nil {
		return Tenant{}, err
	}
	// The document is parsed first without expanding aliases, so that a
	// small file whose aliases expand to billions of nodes is refused
	// before it is expanded.
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Tenant{}, fmt.Errorf("not a Deploy CLI YAML export: %v", cleanYAMLError(err))
	}
	if expandedSize(&doc, map[*yaml.Node]int{}, 0) > MaxYAMLNodes {
		return Tenant{}, fmt.Errorf("not a Deploy CLI YAML export: more than %d nodes once its aliases are expanded", MaxYAMLNodes)
	}
	var t Tenant
	if err := doc.Decode(&t); err != nil {
		return Tenant{}, fmt.Errorf("not a Deploy CLI YAML export: %v", cleanYAMLError(err))
	}
	return t, nil
}

// MaxYAMLNodes bounds a YAML export's nodes, aliases expanded: 32 MiB of
// YAML holds fewer.
const MaxYAMLNodes = 8 << 20

// expandedSize counts n's nodes with its aliases expanded, stopping past
// MaxYAMLNodes; sizes maps each node counted to its size (memoised, so the
// count itself costs one visit per node), and depth bounds recursion.
func expandedSize(n *yaml.Node, sizes map[*yaml.Node]int, depth int) int {
	if n == nil {
		return 0
	}
	if s, ok := sizes[n]; ok {
		return s
	}
	if depth > 1000 {
		return MaxYAMLNodes + 1
	}
	sizes[n] = MaxYAMLNodes + 1 // an alias cycle counts as too large
	size := 1
	if n.Kind == yaml.AliasNode {
		size += expandedSize(n.Alias, sizes, depth+1)
	}
	for _, c := range n.Content {
		size += expandedSize(c, sizes, depth+1)
		if size > MaxYAMLNodes {
			break
		}
	}
	size = min(size, MaxYAMLNodes+1)
	sizes[n] = size
	return size
}

// cleanYAMLError says what is wrong and where, without the value yaml.v3
// quotes between backquotes, which could be a secret.
func cleanYAMLError(err error) string {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
		if len(te.Errors) > 1 {
			msg += fmt.Sprintf(" (and %d more)", len(te.Errors)-1)
		}
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	for {
		i := strings.IndexByte(msg, '`')
		j := strings.IndexByte(msg[i+1:], '`')
		if i < 0 || j < 0 {
			break
		}
		msg = msg[:i] + "(value not shown)" + msg[i+1+j+1:]
	}
	if i := strings.IndexByte(msg, '`'); i >= 0 {
		msg = msg[:i] + "(value not shown)"
	}
	return msg
}

// ReadDir reads a Deploy CLI directory export. A missing section directory
// is an empty section; a file that is not one JSON object is an error.
func ReadDir(dir string) (Tenant, error) {
	var t Tenant
	if err := readSection(filepath.Join(dir, "resource-servers"), &t.ResourceServers); err != nil {
		return Tenant{}, err
	}
	if err := readSection(filepath.Join(dir, "clients"), &t.Clients); err != nil {
		return Tenant{}, err
	}
	if err := readSection(filepath.Join(dir, "client-grants"), &t.ClientGrants); err != nil {
		return Tenant{}, err
	}
	if len(t.ResourceServers)+len(t.Clients)+len(t.ClientGrants) == 0 {
		return Tenant{}, fmt.Errorf("%s: no resource-servers, clients or client-grants: not a Deploy CLI directory export", dir)
	}
	return t, nil
}

// readSection decodes every *.json file of dir, in name order, into out.
func readSection[T any](dir string, out *[]T) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(entries) > MaxDirFiles {
		return fmt.Errorf("%s: more than %d files", dir, MaxDirFiles)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".json") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, name := range names {
		v, err := readJSONFile[T](filepath.Join(dir, name))
		if err != nil {
			return err
		}
		*out = append(*out, v)
	}
	return nil
}

func readJSONFile[T any](path string) (T, error) {
	var v T
	f, err := os.Open(path)
	if err != nil {
		return v, err
	}
	defer f.Close()
	data, err := readBounded(f, MaxJSONFileBytes)
	if err != nil {
		return v, fmt.Errorf("%s: %w", path, err)
	}
	if err := decodeJSON(data, &v); err != nil {
		return v, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// decodeJSON decodes one JSON value; its errors give the position, never
// a value.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return fmt.Errorf("invalid JSON at byte %d", syn.Offset)
		case errors.As(err, &typ):
			return fmt.Errorf("field %q must be a JSON %s, not %s", typ.Field, typeName(typ), typ.Value)
		}
		return errors.New("invalid JSON")
	}
	if dec.More() {
		return errors.New("more than one JSON value")
	}
	return nil
}

func typeName(e *json.UnmarshalTypeError) string {
	if e.Type == nil {
		return "value"
	}
	return e.Type.Kind().String()
}

// readBounded reads all of r, refusing more than limit bytes.
func readBounded(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return data, nil
}
