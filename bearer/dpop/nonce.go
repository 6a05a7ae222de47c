package dpop

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// DefaultNoncePeriod is how long a nonce is handed out; it is accepted for
// up to twice that.
const DefaultNoncePeriod = 5 * time.Minute

// Nonces issues and checks server nonces (RFC 9449 §8, §9) without
// remembering them: a nonce is the number of the current period and an
// HMAC of it, so every replica holding the same Key issues the same nonce
// and accepts the others'. A nonce is accepted during its period and the
// next. It is safe for concurrent use once its fields are set.
type Nonces struct {
	// Key is the HMAC key, at least 32 random bytes, the same on every
	// replica.
	Key []byte
	// Period is how long one nonce is issued; zero means
	// DefaultNoncePeriod.
	Period time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// nonceLength is the length of a nonce in bytes before base64url: an
// 8-byte period number and a 16-byte MAC.
const nonceLength = 8 + 16

// Issue returns the nonce of the current period.
func (n *Nonces) Issue() string {
	return n.of(n.period())
}

// Valid reports whether nonce is the current period's or the last one's.
func (n *Nonces) Valid(nonce string) bool {
	if base64.RawURLEncoding.DecodedLen(len(nonce)) != nonceLength {
		return false
	}
	now := n.period()
	return equal(nonce, n.of(now)) || equal(nonce, n.of(now-1))
}

func (n *Nonces) of(period uint64) string {
	var b [8 + sha256.Size]byte
	binary.BigEndian.PutUint64(b[:8], period)
	mac := hmac.New(sha256.New, n.Key)
	mac.Write(b[:8])
	mac.Sum(b[8:8])
	return base64.RawURLEncoding.EncodeToString(b[:nonceLength])
}

func (n *Nonces) period() uint64 {
	p := n.Period
	if p <= 0 {
		p = DefaultNoncePeriod
	}
	now := time.Now
	if n.Now != nil {
		now = n.Now
	}
	return uint64(now().UnixNano() / int64(p))
}
