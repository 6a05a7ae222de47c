// Package oauthparams reads the parameters of an OAuth request body:
// application/x-www-form-urlencoded (RFC 6749 §3.2, RFC 7662 §2.1,
// RFC 7009 §2.1) or, in the dialect of Auth0 and the seed pages,
// application/json, both in UTF-8. The token, introspection and revocation
// endpoints share it.
//
// Only the parameters a Spec names are kept. A parameter an endpoint reads
// may appear once (RFC 6749 §3.2); an empty value counts as omitted. JSON
// bodies must be exactly one object whose read members are strings; other
// members are skipped whatever their type. Every error is a 4xx *oauth.Error.
package oauthparams

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unsafe"

	"github.com/mintauth/mint/oauth"
)

// Params holds the read parameters of a request by name; an absent one
// reads as "".
type Params map[string]string

// Spec says which parameters an endpoint reads and how it words its errors.
type Spec struct {
	// Known reports whether the endpoint reads the parameter.
	Known func(name string) bool
	// Repeated is the error for a second occurrence of a read parameter;
	// nil gives invalid_request naming it.
	Repeated func(name string) error
	// MediaType is the error for a Content-Type other than form or JSON
	// in UTF-8.
	MediaType *oauth.Error
	// MaxBytes bounds the body; a larger one is 413.
	MaxBytes int64
}

// Read reads r's body in the encoding its Content-Type names.
func (s Spec) Read(r *http.Request) (Params, error) {
	p := Params{}
	if err := s.ReadInto(r, p); err != nil {
		return nil, err
	}
	return p, nil
}

// ReadInto is Read into p, which must be empty. A caller that keeps p on
// its stack (make(Params, 8)) saves the map's allocations per request.
// Nothing in p refers to the body: keys and values are copies (or
// constants), so none keeps the body, and the secret in it, alive.
func (s Spec) ReadInto(r *http.Request, p Params) error {
	var contentType string
	if v := r.Header["Content-Type"]; len(v) > 0 { // Get, without canonicalizing a canonical key
		contentType = v[0]
	}
	isJSON, err := s.isJSON(contentType)
	if err != nil {
		return err
	}
	bp := bodies.Get().(*[]byte)
	defer putBody(bp)
	body, err := s.readBody(r, (*bp)[:0])
	*bp = body
	if err != nil {
		return err
	}
	if isJSON {
		return s.decodeJSON(p, body)
	}
	return s.decodeForm(p, body)
}

// add records one occurrence of a read parameter.
func (s Spec) add(p Params, name, value string) error {
	if _, dup := p[name]; dup {
		if s.Repeated != nil {
			return s.Repeated(name)
		}
		return oauth.ErrInvalidRequest.WithField(name).Describe("%s must not be given more than once", name)
	}
	p[name] = value // name is a constant or a copy (decodeJSON, url.ParseQuery)
	return nil
}

// isJSON reports whether contentType names JSON rather than a form, and
// refuses anything else. (It returns no decoder function: a method value
// of s would cost an allocation per request.)
func (s Spec) isJSON(contentType string) (bool, error) {
	// The two bare media types, as clients send them, mean what
	// mime.ParseMediaType would find in them; skipping it saves its map
	// on every token request.
	switch contentType {
	case "application/x-www-form-urlencoded":
		return false, nil
	case "application/json":
		return true, nil
	}
	mediaType, ps, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false, s.MediaType
	}
	if cs, ok := ps["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return false, s.MediaType
	}
	switch mediaType {
	case "application/x-www-form-urlencoded":
		return false, nil
	case "application/json":
		return true, nil
	}
	return false, s.MediaType
}

// readBody reads r's body into buf (grown as needed), refusing one of
// more than MaxBytes.
func (s Spec) readBody(r *http.Request, buf []byte) ([]byte, error) {
	tooLarge := func() error {
		return oauth.ErrRequestTooLarge.Describe("the request body is larger than %d bytes", s.MaxBytes)
	}
	if r.ContentLength > s.MaxBytes {
		return buf, tooLarge()
	}
	if r.Body == nil {
		return buf, nil
	}
	for int64(len(buf)) <= s.MaxBytes {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		room := buf[len(buf):min(int64(cap(buf)), s.MaxBytes+1)]
		n, err := r.Body.Read(room)
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return buf, oauth.ErrInvalidRequest.Describe("the request body could not be read").WithCause(err)
		}
	}
	if int64(len(buf)) > s.MaxBytes {
		return buf, tooLarge()
	}
	return buf, nil
}

// decodeForm reads a form body: plain ones, as clients send them, by
// decodeFormPlain; anything else as url.ParseQuery reads it.
func (s Spec) decodeForm(p Params, body []byte) error {
	if !s.decodeFormPlain(p, body) {
		clear(p)
		return s.decodeFormGeneral(p, body)
	}
	if len(p) == 0 && jsonSentAsForm(body) {
		return errJSONAsForm
	}
	return nil
}

// maxPlainPairs bounds the pairs decodeFormPlain reads: a body with more
// goes to url.ParseQuery, which applies Go's own limit (urlmaxqueryparams).
const maxPlainPairs = 64

// decodeFormPlain reads body into p as url.ParseQuery and decodeFormGeneral
// would, without ParseQuery's copy of the body, its map and a slice per
// value, and without unescaping what has no escape in it; false, with p
// partly filled, leaves the body to decodeFormGeneral: a ';', an escape
// that does not decode, more than maxPlainPairs pairs or a repeated
// parameter, whose answers are decodeFormGeneral's to give. Names and
// values are cut from body and copied (intern, internValue) before p keeps
// them.
func (s Spec) decodeFormPlain(p Params, body []byte) bool {
	if bytes.Count(body, []byte("&")) >= maxPlainPairs {
		return false
	}
	rest := unsafe.String(unsafe.SliceData(body), len(body))
	for rest != "" {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if strings.IndexByte(pair, ';') >= 0 {
			return false
		}
		if pair == "" {
			continue
		}
		name, value, _ := strings.Cut(pair, "=")
		name, _, ok := unescapeForm(name)
		if !ok {
			return false
		}
		value, fresh, ok := unescapeForm(value)
		if !ok {
			return false
		}
		if !s.Known(name) {
			continue
		}
		if _, dup := p[name]; dup {
			return false
		}
		if !fresh { // still the body's bytes: copy before p keeps it
			value = internValue(value)
		}
		p[intern(name)] = value
	}
	return true
}

// unescapeForm is url.QueryUnescape, with s itself for an s with nothing
// to unescape. fresh says the result is a new string, not s: an unescaped
// value (an audience URL's %3A%2F%2F, a scope's %3A, as url.Values.Encode
// writes them) needs no second copy (internValue) before it is kept.
func unescapeForm(s string) (u string, fresh, ok bool) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, false, true
	}
	var buf [256]byte
	if len(s) > len(buf) {
		u, err := url.QueryUnescape(s)
		return u, true, err == nil
	}
	b, ok := appendUnescaped(buf[:0], s)
	if !ok {
		return "", false, false
	}
	return string(b), true, true
}

// appendUnescaped appends s unescaped as url.QueryUnescape unescapes it
// ('+' is a space, '%' and two hex digits a byte, a '%' without them an
// error), into a buffer on the caller's stack: url's two passes over s
// and its strings.Builder cost about as much as the rest of a form
// body's reading (FuzzDecodeFormPlain holds the two readings equal).
func appendUnescaped(b []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			b = append(b, ' ')
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return b, false
			}
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return b, true
}

// unhex is the value of a hex digit (isHex).
func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// decodeFormGeneral reads a form body through url.ParseQuery.
func (s Spec) decodeFormGeneral(p Params, body []byte) error {
	values, err := url.ParseQuery(string(body)) // a copy: nothing refers to body
	if err != nil {
		if jsonSentAsForm(body) {
			return errJSONAsForm
		}
		return oauth.ErrInvalidRequest.Describe("the body is not valid application/x-www-form-urlencoded")
	}
	for name, vs := range values {
		if !s.Known(name) {
			continue
		}
		for _, v := range vs {
			if err := s.add(p, name, v); err != nil {
				return err
			}
		}
	}
	if len(p) == 0 && jsonSentAsForm(body) {
		return errJSONAsForm
	}
	return nil
}
