package token

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/mintauth/mint/internal/verbatim"
)

// AppendJSON appends c as json.Marshal writes it (HTML escaping on, field
// order as declared), without reflection: it is the payload of every
// access token, and the same bytes as before keep tokens comparable.
func (c *claims) AppendJSON(b []byte) []byte {
	b = append(b, `{"iss":`...)
	b = appendJSONStringHTML(b, c.Issuer)
	b = append(b, `,"sub":`...)
	if c.Subject != "" {
		b = appendJSONStringHTML(b, c.Subject)
	} else {
		b = appendJSONStringHTML(b, c.ClientID)
		b = append(b[:len(b)-1], `@clients"`...) // the ID's closing quote, moved
	}
	b = append(b, `,"aud":`...)
	b = appendJSONStringHTML(b, c.Audience)
	b = append(b, `,"iat":`...)
	b = strconv.AppendInt(b, c.IssuedAt, 10)
	b = append(b, `,"exp":`...)
	b = strconv.AppendInt(b, c.Expiry, 10)
	b = append(b, `,"jti":`...)
	b = appendJSONStringHTML(b, c.ID)
	b = append(b, `,"client_id":`...)
	b = appendJSONStringHTML(b, c.ClientID)
	b = append(b, `,"azp":`...)
	b = appendJSONStringHTML(b, c.AZP)
	b = append(b, `,"gty":`...)
	b = appendJSONStringHTML(b, c.GrantType)
	switch {
	case c.Scope != "":
		b = append(b, `,"scope":`...)
		b = appendJSONStringHTML(b, c.Scope)
	case joinedLen(c.Scopes) > 0:
		b = append(b, `,"scope":`...)
		b = appendJoined(b, c.Scopes, true)
	}
	switch {
	case c.JKT != "":
		b = append(b, `,"cnf":{"jkt":`...)
		b = appendJSONStringHTML(b, c.JKT)
		b = append(b, '}')
	case c.X5T != "":
		b = append(b, `,"cnf":{"x5t#S256":`...)
		b = appendJSONStringHTML(b, c.X5T)
		b = append(b, '}')
	}
	if len(c.Extra) > 0 {
		b = append(b, ',')
		b = append(b, c.Extra...)
	}
	return append(b, '}')
}

// joinedLen is len(strings.Join(list, " ")).
func joinedLen(list []string) int {
	if len(list) == 0 {
		return 0
	}
	n := len(list) - 1
	for _, s := range list {
		n += len(s)
	}
	return n
}

// appendJoined appends strings.Join(list, " ") quoted as json.Marshal
// quotes it (html) or as encoding/json's Encoder with HTML escaping off,
// without joining when no element needs escaping (then neither does the
// whole: a space needs none). Direct calls, not function values: b would
// escape through one, and sign's stack buffer with it.
func appendJoined(b []byte, list []string, html bool) []byte {
	for _, s := range list {
		switch {
		case html && !verbatim.JSONHTML(s):
			return appendJSONStringHTML(b, strings.Join(list, " "))
		case !html && !verbatim.JSON(s):
			return appendJSONString(b, strings.Join(list, " "))
		}
	}
	b = append(b, '"')
	for i, s := range list {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, s...)
	}
	return append(b, '"')
}

// appendJSONStringHTML appends s quoted as json.Marshal quotes it. Issuers,
// client IDs, audiences and scopes are printable ASCII with nothing to
// escape but for the rare "&" of a URL's query; anything that needs
// escaping (HTML's <, >, &, control bytes, non-ASCII that encoding/json may
// rewrite) goes through encoding/json.
func appendJSONStringHTML(b []byte, s string) []byte {
	if !verbatim.JSONHTML(s) {
		quoted, _ := json.Marshal(s) // a string always encodes
		return append(b, quoted...)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
