package dpop

import (
	"errors"
	"net/url"
	"strings"
)

var errURL = errors.New("dpop: htu is not an absolute http(s) URL")

// NormalizeURL is u as RFC 9449 §4.3 compares htu with the request: no
// query or fragment, and normalized per RFC 3986 §6.2.2 and §6.2.3: scheme
// and host in lower case, the scheme's default port dropped, an empty path
// as "/", percent-encoded unreserved characters decoded and other escapes
// in upper case. Dot segments are left alone: a client and a server that
// both send the path they use agree without them, and resolving them
// would let one proof match two paths a router may treat apart.
func NormalizeURL(u string) (string, error) {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	p, err := url.Parse(u)
	if err != nil || p.Opaque != "" || p.User != nil || p.Hostname() == "" {
		return "", errURL
	}
	scheme := strings.ToLower(p.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", errURL
	}
	host := strings.TrimSuffix(strings.ToLower(p.Host), ":") // an empty port is the default
	host = strings.TrimSuffix(host, map[string]string{"http": ":80", "https": ":443"}[scheme])
	path, err := normalizePath(p.EscapedPath())
	if err != nil {
		return "", errURL
	}
	return scheme + "://" + host + path, nil
}

// normalizePath decodes escaped unreserved characters (RFC 3986 §2.3) and
// upper-cases the hex of every other escape.
func normalizePath(path string) (string, error) {
	if path == "" {
		return "/", nil
	}
	if !strings.Contains(path, "%") {
		return path, nil
	}
	var b strings.Builder
	for i := 0; i < len(path); i++ {
		if path[i] != '%' {
			b.WriteByte(path[i])
			continue
		}
		if i+2 >= len(path) || !isHex(path[i+1]) || !isHex(path[i+2]) {
			return "", errURL
		}
		c := unhex(path[i+1])<<4 | unhex(path[i+2])
		if isUnreserved(c) {
			b.WriteByte(c)
		} else {
			b.WriteString(strings.ToUpper(path[i : i+3]))
		}
		i += 2
	}
	return b.String(), nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
