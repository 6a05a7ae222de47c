package bench

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// claimsTemplate is a token's payload, JSON, with the values of "iat",
// "exp" and "jti" cut out: the signing baseline fills them anew for every
// answer, as any token server must (a token's own ID, its own times), and
// keeps the rest (issuer, subject, audience, scopes) as mint wrote it.
type claimsTemplate struct {
	parts    [4][]byte // the JSON around the three values, in payload order
	fields   [3]string // which claim goes between parts[i] and parts[i+1]
	lifetime int64     // exp − iat, seconds
	jtiBytes int       // random bytes of a "jti" as long as mint's
}

// newClaimsTemplate cuts payload's "iat", "exp" and "jti" out. It
// expects mint's payload: a flat JSON object whose iat and exp are
// integers and whose jti is base64url.
func newClaimsTemplate(payload []byte) (*claimsTemplate, error) {
	type value struct {
		name       string
		start, end int
	}
	var values []value
	for _, name := range []string{"iat", "exp", "jti"} {
		key := []byte(`"` + name + `":`)
		i := bytes.Index(payload, key)
		if i < 0 || bytes.Index(payload[i+1:], key) >= 0 {
			return nil, fmt.Errorf("signing baseline: the token's payload has no single %q claim", name)
		}
		start := i + len(key)
		end := start
		for end < len(payload) && payload[end] != ',' && payload[end] != '}' {
			end++
		}
		values = append(values, value{name, start, end})
	}
	iat, err1 := strconv.ParseInt(string(payload[values[0].start:values[0].end]), 10, 64)
	exp, err2 := strconv.ParseInt(string(payload[values[1].start:values[1].end]), 10, 64)
	jti, err3 := strconv.Unquote(string(payload[values[2].start:values[2].end]))
	if err1 != nil || err2 != nil || err3 != nil || len(jti) > 64 {
		return nil, fmt.Errorf("signing baseline: the token's iat, exp or jti is not what mint writes")
	}
	slices.SortFunc(values, func(a, b value) int { return a.start - b.start })
	t := &claimsTemplate{lifetime: exp - iat, jtiBytes: base64.RawURLEncoding.DecodedLen(len(jti))}
	from := 0
	for i, v := range values {
		t.parts[i] = bytes.Clone(payload[from:v.start])
		t.fields[i] = v.name
		from = v.end
	}
	t.parts[3] = bytes.Clone(payload[from:])
	return t, nil
}

// appendFresh appends the payload of a token issued at now: iat now, exp
// now + the lifetime, a new random jti.
func (t *claimsTemplate) appendFresh(b []byte, now time.Time) []byte {
	iat := now.Unix()
	for i, field := range t.fields {
		b = append(b, t.parts[i]...)
		switch field {
		case "iat":
			b = strconv.AppendInt(b, iat, 10)
		case "exp":
			b = strconv.AppendInt(b, iat+t.lifetime, 10)
		case "jti":
			var id [64]byte
			_, _ = rand.Read(id[:t.jtiBytes]) // never fails (crypto/rand)
			b = append(b, '"')
			b = base64.RawURLEncoding.AppendEncode(b, id[:t.jtiBytes])
			b = append(b, '"')
		}
	}
	return append(b, t.parts[3]...)
}
