package gateway

import (
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"
)

// errPath is a request path the gateway will not judge: one that servers
// disagree about, so that the upstream could route it differently from
// the rules.
var errPath = errors.New("ambiguous request path")

// canonicalPath returns the one path both the rules and the upstream see,
// decoded, for the escaped request path raw; the upstream is sent its
// canonical escaping (url.URL.EscapedPath of the result), never the
// caller's. A path is refused (errPath) when some server could read it as
// another path: one that is not absolute; a raw byte that is not printable
// ASCII, or a raw "#" (a fragment to some parsers); a malformed %-escape; a decoded control byte, "%" (double
// encoding), "/" or "\" from an escape (a separator to one server, not to
// another), "\" or ";" in any form (Windows and IIS treat "\" as "/",
// Tomcat and Spring cut "/admin;x/" to "/admin/"); decoded bytes that are
// not UTF-8 (overlong forms of "." or "/"); characters that Unicode
// compatibility mapping turns into one of those; and any segment that is
// empty ("//", merged by nginx), a dot segment ("." or "..", whether raw or
// escaped) or ends in "." or " " (trimmed by Windows).
func canonicalPath(raw string) (string, error) {
	if !strings.HasPrefix(raw, "/") {
		return "", errPath
	}
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '%':
			if i+2 >= len(raw) || !isHex(raw[i+1]) || !isHex(raw[i+2]) {
				return "", errPath
			}
			d := unhex(raw[i+1])<<4 | unhex(raw[i+2])
			if d < 0x20 || d == 0x7f || d == '%' || d == '/' || d == '\\' || d == ';' {
				return "", errPath
			}
			b.WriteByte(d)
			i += 2
		case c <= 0x20 || c >= 0x7f || c == '\\' || c == ';' || c == '#':
			return "", errPath
		default:
			b.WriteByte(c)
		}
	}
	p := b.String()
	if !utf8.ValidString(p) || strings.ContainsFunc(p, isConfusable) {
		return "", errPath
	}
	segments := strings.Split(p[1:], "/")
	for i, s := range segments {
		last := i == len(segments)-1
		if s == "" && !last || strings.HasSuffix(s, ".") || strings.HasSuffix(s, " ") {
			return "", errPath
		}
	}
	return p, nil
}

// isConfusable reports whether r is not ASCII but becomes one of the
// characters canonicalPath refuses or splits on ("." "/" "\" ";" "%")
// under Unicode compatibility normalisation (NFKC), which some frameworks
// apply to paths; or is a C1 control.
func isConfusable(r rune) bool {
	switch r {
	case '\uff0e', '\ufe52', '\u2024', '\u2025', '\u2026', // full stops and leaders
		'\uff0f', '\u2215', '\u2044', // solidus forms
		'\uff3c', '\ufe68', '\u29f5', '\u29f9', // reverse solidus forms
		'\uff1b', '\ufe54', '\u037e', // semicolons (U+037E is "?" in Greek but NFC-maps to ";")
		'\uff05', '\ufe6a': // percent signs
		return true
	}
	return r >= 0x80 && r <= 0x9f
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// escapedPath is the path of r's request target as the caller wrote it,
// still escaped, in origin form ("/a/b?q") or absolute form
// ("http://host/a/b?q"); "" for any other target, such as "*".
func escapedPath(r *http.Request) string {
	target := r.RequestURI
	if target == "" { // a request made in-process, not read from a connection
		return r.URL.EscapedPath()
	}
	if !strings.HasPrefix(target, "/") {
		_, rest, ok := strings.Cut(target, "://")
		if !ok {
			return ""
		}
		i := strings.IndexAny(rest, "/?#")
		if i < 0 || rest[i] != '/' {
			return ""
		}
		target = rest[i:]
	}
	path, _, _ := strings.Cut(target, "?")
	return path
}
