package oauthparams

import (
	"strings"
	"sync"
)

// bodies holds the buffers request bodies are read into: a token request
// is a few hundred bytes, read, decoded into copies and dropped, and one
// buffer per request was two allocations (io.ReadAll's, and the string
// the JSON decoder cut names from).
var bodies = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// maxPooledBody keeps a buffer grown by a large body out of the pool.
const maxPooledBody = 8 << 10

// putBody clears the body just read (it held a client secret) and returns
// its buffer to the pool.
func putBody(bp *[]byte) {
	clear((*bp)[:cap(*bp)])
	if cap(*bp) > maxPooledBody {
		return
	}
	*bp = (*bp)[:0]
	bodies.Put(bp)
}

// intern returns the constant of a well-known OAuth parameter name, or a
// copy of name: a name read from a body shares the body's buffer, and
// names are kept (map keys, error fields).
func intern(name string) string {
	switch name {
	case "grant_type":
		return "grant_type"
	case "audience":
		return "audience"
	case "resource":
		return "resource"
	case "scope":
		return "scope"
	case "client_id":
		return "client_id"
	case "client_secret":
		return "client_secret"
	case "client_assertion_type":
		return "client_assertion_type"
	case "client_assertion":
		return "client_assertion"
	case "token":
		return "token"
	case "token_type_hint":
		return "token_type_hint"
	}
	return strings.Clone(name)
}

// internValue returns the constant of a value every client sends the same
// (a grant type, the assertion type), or a copy of value.
func internValue(value string) string {
	switch value {
	case "client_credentials":
		return "client_credentials"
	case "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
		return "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	}
	return strings.Clone(value)
}
