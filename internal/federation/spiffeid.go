package federation

import (
	"errors"
	"strings"
)

// SPIFFE IDs (SPIFFE-ID §2), parsed strictly: a JWT-SVID's sub is what a
// SPIFFE rule matches on, so two spellings of one workload must never
// both parse. The grammar is
//
//	spiffe://<trust domain>[/<segment>]...
//
// where the scheme is exactly "spiffe" in lower case, the trust domain is
// 1 to 255 bytes of [a-z0-9.-_], each path segment is 1 or more bytes of
// [A-Za-z0-9.-_] and neither "." nor "..", and the whole ID is at most
// 2048 bytes. So there is no user, port, query, fragment, percent-encoding,
// upper-case trust domain, empty segment or trailing slash.

// SPIFFEScheme starts every SPIFFE ID.
const SPIFFEScheme = "spiffe://"

// Bounds of SPIFFE-ID §2.3 and §2.4.
const (
	maxTrustDomain = 255
	maxSPIFFEID    = 2048
)

// SPIFFEID is a parsed SPIFFE ID.
type SPIFFEID struct {
	TrustDomain string
	// Path is empty for a trust domain's own ID, else "/seg/seg…".
	Path string
}

// String is the ID's one spelling.
func (id SPIFFEID) String() string { return SPIFFEScheme + id.TrustDomain + id.Path }

// TrustDomainID is "spiffe://" and the trust domain: the issuer of a
// SPIFFE trust rule.
func (id SPIFFEID) TrustDomainID() string { return SPIFFEScheme + id.TrustDomain }

// ParseSPIFFEID parses s strictly (see above).
func ParseSPIFFEID(s string) (SPIFFEID, error) {
	if len(s) > maxSPIFFEID {
		return SPIFFEID{}, errors.New("a SPIFFE ID is at most 2048 bytes")
	}
	rest, ok := strings.CutPrefix(s, SPIFFEScheme)
	if !ok {
		return SPIFFEID{}, errors.New(`a SPIFFE ID starts with "spiffe://"`)
	}
	td, path := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		td, path = rest[:i], rest[i:]
	}
	if err := checkTrustDomain(td); err != nil {
		return SPIFFEID{}, err
	}
	if err := checkPath(path); err != nil {
		return SPIFFEID{}, err
	}
	return SPIFFEID{TrustDomain: td, Path: path}, nil
}

// ParseTrustDomainID parses a trust domain's own ID, "spiffe://" and
// the trust domain, without a path.
func ParseTrustDomainID(s string) (SPIFFEID, error) {
	id, err := ParseSPIFFEID(s)
	if err == nil && id.Path != "" {
		err = errors.New("a trust domain ID has no path")
	}
	return id, err
}

// IsSPIFFE reports whether s names a SPIFFE trust domain rather than an
// OIDC issuer: what marks a trust rule as a SPIFFE rule.
func IsSPIFFE(issuer string) bool { return strings.HasPrefix(issuer, SPIFFEScheme) }

func checkTrustDomain(td string) error {
	switch {
	case td == "":
		return errors.New("a SPIFFE ID needs a trust domain")
	case len(td) > maxTrustDomain:
		return errors.New("a trust domain is at most 255 bytes")
	}
	for i := 0; i < len(td); i++ {
		if !tdChar(td[i]) {
			return errors.New("a trust domain holds only a-z, 0-9, '.', '-' and '_'")
		}
	}
	return nil
}

func checkPath(path string) error {
	if path == "" {
		return nil
	}
	for seg := range strings.SplitSeq(path[1:], "/") {
		switch seg {
		case "":
			return errors.New("a SPIFFE ID path has no empty segment nor trailing '/'")
		case ".", "..":
			return errors.New("a SPIFFE ID path has no '.' or '..' segment")
		}
		for i := 0; i < len(seg); i++ {
			if !pathChar(seg[i]) {
				return errors.New("a SPIFFE ID path holds only A-Z, a-z, 0-9, '.', '-', '_' and '/' (no percent-encoding)")
			}
		}
	}
	return nil
}

func tdChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_'
}

func pathChar(c byte) bool {
	return tdChar(c) || c >= 'A' && c <= 'Z'
}
