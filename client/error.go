package client

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/mintauth/mint/internal/redirect"
)

// ErrRedirect is wrapped by the error of a token request whose endpoint
// answered with a redirect. Token requests never follow redirects, so the
// client's secret never reaches a second host; the error names the
// redirect's target origin, and is not retried.
var ErrRedirect = redirect.ErrRefused

// maxErrorBody is how much of a failed response's body an Error keeps.
const maxErrorBody = 1 << 10

// Error is a failed answer from the token endpoint: any status other than
// 200, or a 200 that carries an "error" member. Code, Description and URI
// are the RFC 6749 §5.2 fields; they are empty when the body was not an
// OAuth error object (a proxy's HTML page, say), in which case Body tells
// what happened.
type Error struct {
	// Code is the RFC 6749 §5.2 "error" code, e.g. "invalid_client".
	Code string
	// Description is the server's "error_description", for a developer.
	Description string
	// URI is the server's "error_uri".
	URI string
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Header holds the answer's headers, such as Retry-After.
	Header http.Header
	// Body is the start of the answer's body, at most 1 KiB of it.
	Body []byte
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "client: token endpoint answered %d", e.StatusCode)
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteString(" " + t)
	}
	switch {
	case e.Code != "":
		b.WriteString(": " + e.Code)
		if e.Description != "" {
			b.WriteString(": " + e.Description)
		}
	case len(e.Body) > 0:
		b.WriteString(": " + snippet(e.Body, 200))
	}
	return b.String()
}

// snippet is the start of body on one line, so that a proxy's HTML page
// still says something useful in a log line.
func snippet(body []byte, max int) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) <= max {
		return s
	}
	s = s[:max]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}

// truncate copies at most maxErrorBody bytes of body.
func truncate(body []byte) []byte {
	if len(body) > maxErrorBody {
		body = body[:maxErrorBody]
	}
	return append([]byte(nil), body...)
}
