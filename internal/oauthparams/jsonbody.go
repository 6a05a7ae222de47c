package oauthparams

import (
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"unicode/utf8"
	"unsafe"

	"github.com/mintauth/mint/oauth"
)

var (
	errNotJSONObject = oauth.ErrInvalidRequest.Describe("the body must be one JSON object whose values are strings")
	errNotUTF8       = oauth.ErrInvalidRequest.Describe("the body is not valid UTF-8")
	errAfterObject   = oauth.ErrInvalidRequest.Describe("the body has data after the JSON object")
)

// decodeJSON reads a JSON object of string values. Unknown members are
// skipped whatever their type; known ones must be strings and appear once.
//
// It walks the object member by member, in one pass and without
// encoding/json's Decoder (whose token API allocates several times per
// member), and gives the answers that Decoder gave, in the same order: the
// first member that is not valid JSON, or a known member that is not a
// string or is repeated, decides the error. FuzzDecodeJSON checks it
// against the Decoder.
//
// body is a buffer the caller reuses: names and values are cut from it as
// strings that share its bytes (sc.s), so each is copied, or replaced by
// its constant (intern), before anything keeps it.
func (s Spec) decodeJSON(p Params, body []byte) error {
	if !utf8.Valid(body) {
		return errNotUTF8
	}
	sc := jsonScanner{b: body, s: unsafe.String(unsafe.SliceData(body), len(body))}
	if c, ok := sc.next(); !ok || c != '{' {
		return errNotJSONObject
	}
	sc.i++
	for first := true; ; first = false {
		c, ok := sc.next()
		if !ok || c == ']' {
			return errNotJSONObject
		}
		if c == '}' {
			sc.i++
			break
		}
		if !first {
			if c != ',' {
				return errNotJSONObject
			}
			sc.i++
		}
		if err := s.decodeMember(p, &sc); err != nil {
			return err
		}
	}
	if _, more := sc.next(); more {
		return errAfterObject
	}
	return nil
}

// decodeMember reads `"name": value` and keeps value when name is known.
func (s Spec) decodeMember(p Params, sc *jsonScanner) error {
	if c, ok := sc.next(); !ok || c != '"' {
		return errNotJSONObject
	}
	name, ok := sc.str()
	if !ok {
		return errNotJSONObject
	}
	if c, ok := sc.next(); !ok || c != ':' {
		return errNotJSONObject
	}
	sc.i++
	sc.next()
	if sc.i < len(sc.b) && sc.b[sc.i] == '"' && s.Known(name) {
		// A read member, as it should be: its string read once.
		value, ok := sc.str()
		if !ok {
			return errNotJSONObject
		}
		return s.keep(p, name, value)
	}
	if !sc.value() {
		return errNotJSONObject
	}
	if !s.Known(name) {
		return nil
	}
	name = intern(name) // it may be kept (an error's field) and shares the body
	return oauth.ErrInvalidRequest.WithField(name).Describe("%s must be a JSON string", name)
}

// keep adds a read member's value, both cut from the body.
func (s Spec) keep(p Params, name, value string) error {
	// The name may be kept (an error's field), and values outlive the
	// request (a client_id in a throttle key or an audit record); both
	// share the body's reused buffer: copy them.
	return s.add(p, intern(name), internValue(value))
}

// jsonScanner walks a JSON text in valid UTF-8.
type jsonScanner struct {
	b []byte
	s string // b, converted once: names are cut from it
	i int
}

// next skips white space and returns the byte it stops at, if any.
func (sc *jsonScanner) next() (byte, bool) {
	for ; sc.i < len(sc.b); sc.i++ {
		switch c := sc.b[sc.i]; c {
		case ' ', '\t', '\n', '\r':
		default:
			return c, true
		}
	}
	return 0, false
}

// str reads the string literal at sc.i and returns its value.
func (sc *jsonScanner) str() (string, bool) {
	start := sc.i
	escaped, ok := sc.skipString()
	if !ok {
		return "", false
	}
	if !escaped {
		return sc.s[start+1 : sc.i-1], true
	}
	var v string
	if json.Unmarshal(sc.b[start:sc.i], &v) != nil {
		return "", false
	}
	return v, true
}

// skipString moves past the string literal at sc.i, checking its escapes
// and that it holds no control character (RFC 8259 §7).
func (sc *jsonScanner) skipString() (escaped, ok bool) {
	b := sc.b
	for i := sc.i + 1; i < len(b); i++ {
		i = plainRun(b, i)
		if i >= len(b) {
			break
		}
		switch c := b[i]; {
		case c == '"':
			sc.i = i + 1
			return escaped, true
		case c < 0x20:
			return false, false
		case c == '\\':
			escaped = true
			i++
			if i >= len(b) {
				return false, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) || !isHex(b[i+1]) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) {
					return false, false
				}
				i += 4
			default:
				return false, false
			}
		}
	}
	return false, false
}

// plainRun returns the index of the first byte of b from i on that ends
// or escapes a string, or is a control character ('"', '\\' or below
// 0x20), reading eight bytes at a time; len(b) rounded down to a word
// boundary from i when the words hold none (the caller's loop reads the
// rest byte by byte). Credentials and audiences are tens of bytes of such
// plain bytes, read once per member.
func plainRun(b []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		// y - ones sets the high bit of a byte of y that is 0 (and maybe
		// of bytes above it, which borrow), &^ y keeps only bytes that
		// had no high bit: the lowest byte flagged is the first match.
		q, bs := w^(ones*'"'), w^(ones*'\\')
		m := ((q-ones)&^q | (bs-ones)&^bs | (w-ones*0x20)&^w) & highs
		if m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	return i
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// value moves past the JSON value at sc.i and reports whether it is one.
// A number or literal ends where its grammar ends, as encoding/json's
// scanner ends it; what follows is the caller's to judge.
func (sc *jsonScanner) value() bool {
	if sc.i >= len(sc.b) {
		return false
	}
	switch c := sc.b[sc.i]; {
	case c == '"':
		_, ok := sc.skipString()
		return ok
	case c == '{' || c == '[':
		return sc.composite()
	case c == 't':
		return sc.literal("true")
	case c == 'f':
		return sc.literal("false")
	case c == 'n':
		return sc.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return sc.number()
	}
	return false
}

// composite moves past the object or array at sc.i: to its matching
// bracket, strings skipped, and checks the whole of it with json.Valid.
func (sc *jsonScanner) composite() bool {
	start, depth := sc.i, 0
	for sc.i < len(sc.b) {
		switch sc.b[sc.i] {
		case '"':
			if _, ok := sc.skipString(); !ok {
				return false
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
		sc.i++
		if depth == 0 {
			return json.Valid(sc.b[start:sc.i])
		}
	}
	return false
}

func (sc *jsonScanner) literal(word string) bool {
	if len(sc.b)-sc.i < len(word) || string(sc.b[sc.i:sc.i+len(word)]) != word {
		return false
	}
	sc.i += len(word)
	return true
}

// number moves past -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (sc *jsonScanner) number() bool {
	if sc.peekIs('-') {
		sc.i++
	}
	switch {
	case sc.peekIs('0'):
		sc.i++
	case sc.digits() == 0:
		return false
	}
	if sc.peekIs('.') {
		sc.i++
		if sc.digits() == 0 {
			return false
		}
	}
	if sc.peekIs('e') || sc.peekIs('E') {
		sc.i++
		if sc.peekIs('+') || sc.peekIs('-') {
			sc.i++
		}
		if sc.digits() == 0 {
			return false
		}
	}
	return true
}

func (sc *jsonScanner) peekIs(c byte) bool { return sc.i < len(sc.b) && sc.b[sc.i] == c }

func (sc *jsonScanner) digits() int {
	n := 0
	for sc.i < len(sc.b) && '0' <= sc.b[sc.i] && sc.b[sc.i] <= '9' {
		sc.i++
		n++
	}
	return n
}
