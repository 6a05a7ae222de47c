package storecache

import (
	"math"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// The cache keeps times as instants: a time.Time is 24 bytes with a
// location pointer, which a slab cannot hold (slab.go); an instant is 8
// bytes of Unix nanoseconds. A hit rebuilds the time.Time on the stack:
// no allocation, and the very time.Time the store gave, bit for bit.
//
// A row whose times an instant cannot give back exactly (a location other
// than UTC, a monotonic reading, a year outside 1678–2262) is kept whole
// instead (shard.wholes); the stores give UTC times to the millisecond.

// instant is a time.Time as nanoseconds since 1970 UTC; noInstant is the
// zero time.
type instant int64

const noInstant instant = math.MinInt64

func (i instant) time() time.Time {
	if i == noInstant {
		return time.Time{}
	}
	return time.Unix(0, int64(i)).UTC()
}

// instantOf returns t as an instant, and whether it gives t back exactly.
func instantOf(t time.Time) (instant, bool) {
	if t.IsZero() {
		return noInstant, t == time.Time{}
	}
	i := instant(t.UnixNano())
	return i, i != noInstant && i.time() == t
}

// instants converts ts, reporting whether every one converts exactly.
func instants(dst []instant, ts ...time.Time) bool {
	for k, t := range ts {
		i, ok := instantOf(t)
		if !ok {
			return false
		}
		dst[k] = i
	}
	return true
}

// rarelySet says whether c has one of the fields most clients leave
// unset (a binding, certificate authentication, metadata, a policy): such
// a client is kept whole rather than making every compact entry larger.
// TestCompactKeepsEveryField fails for a field added to mint.Client that
// neither the client codec (codec.go) nor this function knows.
func rarelySet(c mint.Client) bool {
	return c.TokenBinding != "" || c.TLSAuth != (mint.TLSAuth{}) || c.Metadata != nil || c.Policy != ""
}
