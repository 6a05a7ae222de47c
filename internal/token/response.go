package token

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/mintauth/mint/internal/verbatim"
)

// AppendJSON appends r as encoding/json's Encoder writes it with HTML
// escaping off (newline included), without reflection: it is the body of
// every token answer.
func (r *Response) AppendJSON(b []byte) []byte {
	b = append(b, `{"access_token":`...)
	if r.signed {
		b = append(b, '"')
		b = append(b, r.AccessToken...)
		b = append(b, '"')
	} else {
		b = appendJSONString(b, r.AccessToken)
	}
	b = append(b, `,"token_type":`...)
	b = appendJSONString(b, r.TokenType)
	b = append(b, `,"expires_in":`...)
	b = strconv.AppendInt(b, r.ExpiresIn, 10)
	switch {
	case r.Scope != "":
		b = append(b, `,"scope":`...)
		b = appendJSONString(b, r.Scope)
	case joinedLen(r.scopes) > 0:
		b = append(b, `,"scope":`...)
		b = appendJoined(b, r.scopes, false)
	}
	return append(b, "}\n"...)
}

// appendJSONString appends s quoted. Tokens and scopes are printable ASCII
// with nothing to escape; anything else goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	if !verbatim.JSON(s) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s) // a string always encodes
		return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// The header values of every token answer, the same as
// oauth.WriteJSONBody's, built once rather than one slice per header per
// token. Each has length and capacity 1, so that a later Header().Add
// copies rather than writes into them; nothing in mint assigns to an
// element of a header's values.
var (
	cacheControlNoStore = []string{"no-store"}
	pragmaNoCache       = []string{"no-cache"}
	contentTypeJSON     = []string{"application/json"}
)

// writeAnswer writes body, a token answer in JSON, with status 200 and
// oauth.WriteJSONBody's headers.
func writeAnswer(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h["Cache-Control"] = cacheControlNoStore
	h["Pragma"] = pragmaNoCache
	h["Content-Type"] = contentTypeJSON
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body) // the client went away; nothing left to tell it
}
