package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// maxPeek is how much of a 401 body is read to learn why it was sent.
const maxPeek = 8 << 10

// tokenRejected says whether a 401 means that the token itself was refused
// as expired or invalid, so that a new token could succeed. Any other 401
// (no token sent, wrong kind of credentials) would only fail again. It
// knows two ways of saying so: RFC 6750 §3.1's
//
//	WWW-Authenticate: Bearer error="invalid_token"
//
// and a JSON body such as the seed API's
//
//	{"statusCode": 401, "message": "Token expired.", …}
//
// It may read the start of the body; resp keeps its whole body.
func tokenRejected(resp *http.Response) bool {
	for _, v := range resp.Header.Values("WWW-Authenticate") {
		if bearerError(v) == "invalid_token" || challengeError(v, schemeDPoP) == "invalid_token" {
			return true
		}
	}
	return bodyRejectsToken(peekBody(resp, maxPeek))
}

// rejectionBody holds the members of a 401 body that tell its cause.
type rejectionBody struct {
	StatusCode int    `json:"statusCode"`
	Message    string `json:"message"`
	Error      string `json:"error"`
}

func bodyRejectsToken(b []byte) bool {
	var r rejectionBody
	err := json.Unmarshal(b, &r)
	var typeErr *json.UnmarshalTypeError
	if err != nil && !errors.As(err, &typeErr) {
		return false // not JSON; a member of an odd type is fine
	}
	if r.Error == "invalid_token" {
		return true
	}
	if r.StatusCode != 0 && r.StatusCode != http.StatusUnauthorized {
		return false
	}
	m := strings.ToLower(r.Message)
	return strings.Contains(m, "token") &&
		(strings.Contains(m, "expired") || strings.Contains(m, "invalid"))
}

// peekBody returns up to n bytes from the start of resp's body and puts
// them back in front of the rest, so the caller still reads it all.
func peekBody(resp *http.Response, n int64) []byte {
	head, _ := io.ReadAll(io.LimitReader(resp.Body, n))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	return head
}

// bearerError returns the error parameter of the Bearer challenge in a
// WWW-Authenticate value (RFC 9110 §11.6.1, RFC 6750 §3), or "". A value
// may hold several challenges, each a scheme followed by its parameters.
func bearerError(v string) string { return challengeError(v, "Bearer") }

// challengeError returns the error parameter of the challenge of scheme
// in a WWW-Authenticate value, or "".
func challengeError(v, scheme string) string {
	inBearer := false
	for v != "" {
		v = strings.TrimLeft(v, " \t,")
		name := v[:tokenEnd(v)]
		if name == "" {
			if v != "" {
				v = v[1:] // not a token; skip it
			}
			continue
		}
		v = strings.TrimLeft(v[len(name):], " \t")
		if !strings.HasPrefix(v, "=") {
			inBearer = strings.EqualFold(name, scheme)
			continue
		}
		var val string
		val, v = paramValue(v[1:])
		if inBearer && strings.EqualFold(name, "error") {
			return val
		}
	}
	return ""
}

// paramValue reads a token or quoted-string from the start of s and
// returns it unquoted, with the rest of s.
func paramValue(s string) (val, rest string) {
	s = strings.TrimLeft(s, " \t")
	if !strings.HasPrefix(s, `"`) {
		n := tokenEnd(s)
		return s[:n], s[n:]
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return b.String(), s[i+1:]
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), "" // unterminated; take what there is
}

// tokenEnd is the length of the RFC 9110 token at the start of s.
func tokenEnd(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return i
		}
	}
	return len(s)
}
