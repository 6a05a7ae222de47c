package clientauth

import (
	"encoding/base64"
	"encoding/json"
)

// maxPeekBytes bounds the payload peekIssuerSubject decodes: the token
// endpoint's body bound is 64 KiB.
const maxPeekBytes = 64 << 10

// decodeSegment decodes a base64url JWS segment (RFC 7515 §2) as JSON
// into v.
func decodeSegment(seg string, v any) bool {
	if len(seg) > maxPeekBytes {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(seg)
	return err == nil && json.Unmarshal(b, v) == nil
}
