package logline

import (
	"strings"
	"sync/atomic"
	"time"

	"github.com/mintauth/mint/internal/verbatim"
)

// appendLine appends the token-issued line as slog's JSON or text handler
// writes it, for values plain has passed.
func (h *Handler) appendLine(b []byte, t time.Time, msg, clientID, audience string, scopes []string, jti string) []byte {
	if h.json {
		b = append(b, `{"time":"`...)
		b = appendNano(b, t)
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
	s := stampOf(t)
	b = append(b, s.date[:]...)
	ms := t.Nanosecond() / 1e6
	b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	return append(b, s.zone...)
}

// appendNano appends t as time.RFC3339Nano writes it: the fraction of a
// second without its trailing zeros, none at all when it is zero.
func appendNano(b []byte, t time.Time) []byte {
	s := stampOf(t)
	b = append(b, s.date[:]...)
	if ns := t.Nanosecond(); ns != 0 {
		var frac [10]byte
		frac[0] = '.'
		for i := 9; i > 0; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := len(frac)
		for frac[n-1] == '0' {
			n--
		}
		b = append(b, frac[:n]...)
	}
	return append(b, s.zone...)
}

// stamp is what a line's time writes the same for a whole second: the
// date and clock, and the zone. Formatting them with time.AppendFormat
// for every token was most of the issuance line's cost; they are
// formatted once a second instead (a line's second, in its location).
type stamp struct {
	sec  int64
	loc  *time.Location
	date [len("2006-01-02T15:04:05")]byte
	zone []byte // "Z" or "±hh:mm"
}

var stamps atomic.Pointer[stamp]

// stampOf is t's stamp, the last one made when t is in its second and
// location (a location's offset is the same throughout a second).
func stampOf(t time.Time) *stamp {
	sec, loc := t.Unix(), t.Location()
	if s := stamps.Load(); s != nil && s.sec == sec && s.loc == loc {
		return s
	}
	s := &stamp{sec: sec, loc: loc, zone: t.AppendFormat(nil, "Z07:00")}
	t.AppendFormat(s.date[:0], "2006-01-02T15:04:05")
	stamps.Store(s)
	return s
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
