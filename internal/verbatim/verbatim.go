// Package verbatim says whether a string can be written as it is, without
// escaping, between the quotes of a JSON string or as a value of slog's
// text and JSON handlers. The token endpoint asks it of every value it
// writes — the token in its answer, the claims, the issuance line — so it
// reads eight bytes at a time: a byte-by-byte loop over a 400-byte token
// cost a few hundred nanoseconds per answer.
//
// Each function gives the answer of a byte-by-byte scan (the tests hold
// them to it); a string that needs escaping is the caller's to write the
// general way.
package verbatim

import (
	"encoding/binary"
	"unsafe"
)

// JSON reports whether s is printable ASCII without '"' or '\\': what
// encoding/json writes unchanged when it does not escape HTML.
func JSON(s string) bool {
	b := bytesOf(s)
	if len(b) < 8 {
		return all(b, jsonByte)
	}
	for i := 0; i+8 <= len(b); i += 8 {
		if !jsonWord(binary.LittleEndian.Uint64(b[i:])) {
			return false
		}
	}
	return jsonWord(binary.LittleEndian.Uint64(b[len(b)-8:]))
}

// JSONHTML reports whether s is printable ASCII without '"', '\\', '<',
// '>' or '&': what json.Marshal (HTML escaping on) writes unchanged.
func JSONHTML(s string) bool {
	b := bytesOf(s)
	if len(b) < 8 {
		return all(b, htmlByte)
	}
	for i := 0; i+8 <= len(b); i += 8 {
		if !htmlWord(binary.LittleEndian.Uint64(b[i:])) {
			return false
		}
	}
	return htmlWord(binary.LittleEndian.Uint64(b[len(b)-8:]))
}

// Log reports whether s is non-empty printable ASCII without '"', '\\' or
// '=' and, unless spaces, without ' ': what slog's text and JSON handlers
// both write unquoted and unescaped (the text handler quotes a value with
// a space, which its caller adds).
func Log(s string, spaces bool) bool {
	b := bytesOf(s)
	if len(b) < 8 {
		if spaces {
			return len(b) > 0 && all(b, logSpaceByte)
		}
		return len(b) > 0 && all(b, logByte)
	}
	for i := 0; i+8 <= len(b); i += 8 {
		if !logWord(binary.LittleEndian.Uint64(b[i:]), spaces) {
			return false
		}
	}
	return logWord(binary.LittleEndian.Uint64(b[len(b)-8:]), spaces)
}

// The word tests read eight bytes at a time (the last word of a string
// overlaps the one before it). Within a word none of whose bytes has its
// high bit set, w - ones sets a high bit exactly where a byte of w is 0
// (nothing borrows from a byte that is not), w - ones*n where a byte is
// below n, and w + ones where a byte is 0x7f; w ^ ones*c is 0 where a byte
// is c. Or-ing w itself in refuses a byte with its high bit set
// (non-ASCII). The byte tests say the same of one byte, for strings
// shorter than a word; the tests hold the two to each other.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// is is the test for byte c, in its high bit.
func is(w uint64, c byte) uint64 { return (w ^ ones*uint64(c)) - ones }

func jsonWord(w uint64) bool {
	return (w|(w-ones*0x20)|(w+ones)|is(w, '"')|is(w, '\\'))&highs == 0
}

func htmlWord(w uint64) bool {
	return (w|(w-ones*0x20)|(w+ones)|is(w, '"')|is(w, '\\')|is(w, '<')|is(w, '>')|is(w, '&'))&highs == 0
}

func logWord(w uint64, spaces bool) bool {
	bad := w | (w - ones*0x20) | (w + ones) | is(w, '"') | is(w, '\\') | is(w, '=')
	if !spaces {
		bad |= is(w, ' ')
	}
	return bad&highs == 0
}

func jsonByte(c byte) bool { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\' }

func htmlByte(c byte) bool { return jsonByte(c) && c != '<' && c != '>' && c != '&' }

func logSpaceByte(c byte) bool { return jsonByte(c) && c != '=' }

func logByte(c byte) bool { return logSpaceByte(c) && c != ' ' }

func all(b []byte, ok func(byte) bool) bool {
	for _, c := range b {
		if !ok(c) {
			return false
		}
	}
	return true
}

// bytesOf is s's bytes, read only.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
