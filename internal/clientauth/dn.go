package clientauth

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"slices"
	"strings"
	"unicode/utf8"
)

// A distinguished name as mint compares them (RFC 8705 §2.1.2): its RDNs
// in certificate order (the reverse of the RFC 4514 string), each a set
// of attribute type OIDs and values, sorted so that a multi-valued RDN
// compares as a set.
type dn [][]dnAttr

type dnAttr struct{ oid, value string }

// maxDNBytes bounds a registered subject DN: real ones are well under.
const maxDNBytes = 1024

// dnTypes are the RFC 4514 §3 short names (and the two more RFC 8705
// registrations and common CAs use), by their OIDs.
var dnTypes = map[string]string{
	"CN": "2.5.4.3", "L": "2.5.4.7", "ST": "2.5.4.8", "O": "2.5.4.10", "OU": "2.5.4.11",
	"C": "2.5.4.6", "STREET": "2.5.4.9", "DC": "0.9.2342.19200300.100.1.25", "UID": "0.9.2342.19200300.100.1.1",
	"SERIALNUMBER": "2.5.4.5", "EMAILADDRESS": "1.2.840.113549.1.9.1",
}

var errDN = errors.New("not an RFC 4514 distinguished name (TYPE=value pairs separated by commas, e.g. CN=client,O=Example,C=DE)")

// ParseDN parses a subject DN in the RFC 4514 string form a client
// registers as tls_client_auth_subject_dn. Values in the #hex (BER) form
// are refused: mint compares strings.
func ParseDN(s string) (dn, error) {
	if s == "" || len(s) > maxDNBytes || !utf8.ValidString(s) {
		return nil, errDN
	}
	var out dn
	var rdn []dnAttr
	for s != "" {
		typ, rest, ok := strings.Cut(s, "=")
		if !ok {
			return nil, errDN
		}
		oid, ok := dnType(strings.TrimSpace(typ))
		if !ok {
			return nil, errDN
		}
		value, sep, rest, err := dnValue(rest)
		if err != nil {
			return nil, err
		}
		rdn = append(rdn, dnAttr{oid, foldDNValue(value)})
		if sep != '+' {
			out = append(out, sortRDN(rdn))
			rdn = nil
		}
		if sep != 0 && rest == "" {
			return nil, errDN // a trailing separator
		}
		s = rest
	}
	slices.Reverse(out) // RFC 4514 §2.1: the string lists the last RDN first
	return out, nil
}

// dnType returns the OID of an attribute type: a short name or a dotted
// OID (RFC 4514 §3).
func dnType(t string) (string, bool) {
	if oid, ok := dnTypes[strings.ToUpper(t)]; ok {
		return oid, true
	}
	if t == "" || t[0] < '0' || t[0] > '9' {
		return "", false
	}
	for _, part := range strings.Split(t, ".") {
		if part == "" || strings.Trim(part, "0123456789") != "" {
			return "", false
		}
	}
	return t, true
}

// dnValue reads one escaped attribute value (RFC 4514 §2.4) up to an
// unescaped ',' or '+', and returns it with the separator (0 at the end)
// and what follows.
func dnValue(s string) (value string, sep byte, rest string, err error) {
	if strings.HasPrefix(strings.TrimLeft(s, " "), "#") {
		return "", 0, "", errors.New("a #hex (BER) attribute value is not supported: write the value as a string")
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case ',', '+':
			return b.String(), c, s[i+1:], nil
		case '\\':
			if i+1 >= len(s) {
				return "", 0, "", errDN
			}
			if h, ok := hexByte(s[i+1:]); ok {
				b.WriteByte(h)
				i += 2
				continue
			}
			if !strings.ContainsRune(`"+,;<>\ #=`, rune(s[i+1])) {
				return "", 0, "", errDN
			}
			b.WriteByte(s[i+1])
			i++
		case '"', ';', '<', '>':
			return "", 0, "", errDN // must be escaped
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), 0, "", nil
}

func hexByte(s string) (byte, bool) {
	if len(s) < 2 {
		return 0, false
	}
	hi, ok1 := unhex(s[0])
	lo, ok2 := unhex(s[1])
	return hi<<4 | lo, ok1 && ok2
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// foldDNValue approximates the caseIgnoreMatch rule of X.520 (RFC 4518
// §2): case is ignored, leading and trailing spaces dropped and inner
// runs of spaces count as one.
func foldDNValue(v string) string {
	return strings.ToLower(strings.Join(strings.Fields(v), " "))
}

func sortRDN(rdn []dnAttr) []dnAttr {
	slices.SortFunc(rdn, func(a, b dnAttr) int {
		return strings.Compare(a.oid+"\x00"+a.value, b.oid+"\x00"+b.value)
	})
	return rdn
}

// subjectDN reads a certificate's raw subject. Attribute values that are
// not strings make it fail: they match no registered DN.
func subjectDN(raw []byte) (dn, bool) {
	var seq pkix.RDNSequence
	if rest, err := asn1.Unmarshal(raw, &seq); err != nil || len(rest) != 0 {
		return nil, false
	}
	out := make(dn, 0, len(seq))
	for _, set := range seq {
		rdn := make([]dnAttr, 0, len(set))
		for _, atv := range set {
			v, ok := atv.Value.(string)
			if !ok {
				return nil, false
			}
			rdn = append(rdn, dnAttr{atv.Type.String(), foldDNValue(v)})
		}
		out = append(out, sortRDN(rdn))
	}
	return out, true
}

// equal reports whether d and o name the same subject.
func (d dn) equal(o dn) bool {
	return slices.EqualFunc(d, o, func(a, b []dnAttr) bool { return slices.Equal(a, b) })
}
