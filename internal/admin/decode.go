package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/mintauth/mint/oauth"
)

// maxBody bounds every admin request body.
const maxBody = 1 << 20

// request is a decoded admin request body that can check itself.
type request interface {
	Validate() error
}

// decode reads r's JSON body into req and validates it. When optional is
// true an empty body, whatever its Content-Type, leaves req at its zero value.
// Every error is a 4xx *oauth.Error.
func decode(w http.ResponseWriter, r *http.Request, req request, optional bool) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return oauth.ErrRequestTooLarge.Describe("the request body exceeds %d bytes", maxBody)
	}
	if err != nil {
		return oauth.ErrInvalidRequest.Describe("the request body could not be read").WithCause(err)
	}
	if optional && len(bytes.TrimSpace(body)) == 0 {
		return req.Validate()
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		return oauth.ErrUnsupportedMediaType.Describe("the request body must be application/json")
	}
	if err := unmarshal(body, req); err != nil {
		return err
	}
	return req.Validate()
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

// unmarshal decodes exactly one JSON object, refusing unknown fields,
// names that are a field's only in another case and names given twice.
func unmarshal(body []byte, req request) error {
	if err := strictNames(body, fieldNames(req)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(req); err != nil {
		return jsonError(err, req)
	}
	if _, err := dec.Token(); err != io.EOF {
		return oauth.ErrInvalidRequest.Describe("the request body must hold one JSON object")
	}
	return nil
}

// jsonError says what is wrong with a body encoding/json refused into req,
// naming the field when there is one.
func jsonError(err error, req request) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return oauth.ErrInvalidRequest.
			Describe("%s must be %s", typeErr.Field, jsonType(req, typeErr.Field)).
			WithField(typeErr.Field)
	case errors.As(err, &typeErr):
		return oauth.ErrInvalidRequest.Describe("the request body must be a JSON object")
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return oauth.ErrInvalidRequest.Describe("the request body is not valid JSON")
	}
	// encoding/json reports an unknown field only in its message.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = shorten(strings.Trim(name, `"`), maxName)
		return oauth.ErrInvalidRequest.Describe("unknown field %q", name).WithField(name)
	}
	return oauth.ErrInvalidRequest.Describe("the request body is not valid JSON").WithCause(err)
}

// jsonType names the JSON type of req's field with the given JSON name, the
// way a JSON author thinks of it.
func jsonType(req request, name string) string {
	// VisibleFields: also those of embedded structs, which encoding/json
	// promotes.
	for _, f := range reflect.VisibleFields(reflect.TypeOf(req).Elem()) {
		if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag == name {
			return kindName(f.Type)
		}
	}
	return "of another type"
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return kindName(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "an array of " + strings.TrimPrefix(strings.TrimPrefix(kindName(t.Elem()), "a "), "an ") + "s"
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Bool:
		return "true or false"
	}
	return "of another type"
}

// shorten cuts s to at most n runes, so that a client's input echoed in an
// error stays small.
func shorten(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i] + "…"
		}
		n--
	}
	return s
}

// strictNames refuses what encoding/json lets through silently: a name
// given twice in any object (it keeps the last, where another parser may
// keep the first: RFC 8259 §4, RFC 7493 §2.3), and a top-level name that
// is not exactly one of known (it matches "NAME" to the field "name").
// Invalid JSON is left to the decoder, which says what is wrong with it.
func strictNames(body []byte, known []string) error {
	type object struct {
		names     map[string]bool
		expectKey bool
	}
	var stack []*object // nil entries are arrays
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1] != nil {
			stack[n-1].expectKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // the end, or invalid JSON: the decoder reports it
		}
		top := (*object)(nil)
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch {
		case tok == json.Delim('}') || tok == json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		case top != nil && top.expectKey:
			name, _ := tok.(string)
			if err := checkName(name, top.names, len(stack) == 1, known); err != nil {
				return err
			}
			top.names[name], top.expectKey = true, false
		case tok == json.Delim('{'):
			stack = append(stack, &object{names: map[string]bool{}, expectKey: true})
		case tok == json.Delim('['):
			stack = append(stack, nil)
		default:
			valueDone()
		}
	}
}

// checkName refuses a name already in seen, and at the top level one that
// is not exactly a known field.
func checkName(name string, seen map[string]bool, topLevel bool, known []string) error {
	short := shorten(name, maxName)
	if seen[name] {
		return oauth.ErrInvalidRequest.Describe("the name %q is given twice", short).WithField(short)
	}
	if !topLevel || slices.Contains(known, name) {
		return nil
	}
	if i := slices.IndexFunc(known, func(k string) bool { return strings.EqualFold(k, name) }); i >= 0 {
		return oauth.ErrInvalidRequest.Describe("unknown field %q (names are case-sensitive: %q)", short, known[i]).WithField(short)
	}
	return oauth.ErrInvalidRequest.Describe("unknown field %q", short).WithField(short)
}

// fieldNames lists the JSON names of req's fields.
func fieldNames(req request) []string {
	var names []string
	for _, f := range reflect.VisibleFields(reflect.TypeOf(req).Elem()) {
		if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); f.IsExported() && tag != "" && tag != "-" {
			names = append(names, tag)
		}
	}
	return names
}
