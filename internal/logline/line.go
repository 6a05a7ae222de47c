package logline

import (
	"strings"
	"time"

	"github.com/mintauth/mint/internal/verbatim"
)

// appendLine appends the token-issued line as slog's JSON or text handler
// writes it, for values plain has passed.
func (h *Handler) appendLine(b []byte, t time.Time, msg, clientID, audience string, scopes []string, jti string) []byte {
	if h.json {
		b = append(b, `{"time":"`...)
		b = t.AppendFormat(b, time.RFC3339Nano)
		b = append(b, `","level":"INFO","msg":"`...)
		b = append(b, msg...)
		b = append(b, `","client_id":"`...)
		b = append(b, clientID...)
		b = append(b, `","audience":"`...)
		b = append(b, audience...)
		b = append(b, `","scopes":`...)
		b = appendJSONList(b, scopes)
		b = append(b, `,"jti":"`...)
		b = append(b, jti...)
		return append(b, "\"}\n"...)
	}
	b = append(b, "time="...)
	b = appendMillis(b, t)
	b = append(b, " level=INFO msg="...)
	b = appendText(b, msg)
	b = append(b, " client_id="...)
	b = append(b, clientID...)
	b = append(b, " audience="...)
	b = append(b, audience...)
	b = append(b, " scopes="...)
	b = appendTextList(b, scopes)
	b = append(b, " jti="...)
	b = append(b, jti...)
	return append(b, '\n')
}

// appendMillis appends t as slog's text handler writes a record's time:
// RFC 3339 with exactly three digits of a second, truncated. (Its JSON
// handler writes time.RFC3339Nano.)
func appendMillis(b []byte, t time.Time) []byte {
	return t.AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
}

// appendJSONList appends list as encoding/json encodes a []string: null
// for nil.
func appendJSONList(b []byte, list []string) []byte {
	if list == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, s...)
		b = append(b, '"')
	}
	return append(b, ']')
}

// appendTextList appends list as the text handler writes a []string:
// fmt's "[a b]", quoted once it holds a space.
func appendTextList(b []byte, list []string) []byte {
	quoted := len(list) > 1
	if quoted {
		b = append(b, '"')
	}
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, s...)
	}
	b = append(b, ']')
	if quoted {
		b = append(b, '"')
	}
	return b
}

// appendText appends a plain value as the text handler writes it: quoted
// when it holds a space (plain values hold nothing else to escape).
func appendText(b []byte, s string) []byte {
	if !strings.Contains(s, " ") {
		return append(b, s...)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// plain reports whether s is written the same, unescaped, by both of
// slog's handlers (quoted in text when it holds a space, if spaces are
// allowed): non-empty printable ASCII without '"', '\\' or '='.
func plain(s string, spaces bool) bool { return verbatim.Log(s, spaces) }
