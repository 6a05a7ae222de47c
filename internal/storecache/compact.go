package storecache

import (
	"math"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// The cache keeps clients and grants in a compact form: a time.Time is 24
// bytes (with a location pointer the collector must scan), and a client
// has three, a grant two. Kept as an instant (8 bytes, no pointer), a
// client's entry goes from 176 to 128 bytes and a grant's from 144 to 112
// (size classes), ~80 bytes per client of the token path, 8 MB at 100k
// (docs/scale-cache.md). A hit rebuilds the mint value on the stack:
// no allocation, and the very time.Time the store gave, bit for bit.
//
// A row whose times an instant cannot give back exactly (a location other
// than UTC, a monotonic reading, a year outside 1678–2262) is kept whole
// behind a pointer instead; the stores give UTC times to the millisecond.

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

// compactClient is a mint.Client as the cache keeps it; whole is set
// (and nothing else) for a client kept whole.
type compactClient struct {
	whole         *mint.Client
	id, name      string
	jwks          []byte
	perHour       *int64
	perDay        *int64
	times         [3]instant // TokensRevokedBefore, CreatedAt, UpdatedAt
	introspectAll bool
}

func compactClientOf(c mint.Client) compactClient {
	k := compactClient{id: c.ID, name: c.Name, jwks: c.JWKS, perHour: c.TokensPerHour, perDay: c.TokensPerDay,
		introspectAll: c.IntrospectAll}
	if !instants(k.times[:], c.TokensRevokedBefore, c.CreatedAt, c.UpdatedAt) || rarelySet(c) {
		whole := c // declared here: only a client kept whole is copied to the heap
		return compactClient{whole: &whole}
	}
	return k
}

// rarelySet says whether c has one of the fields most clients leave
// unset (a binding, certificate authentication, metadata, a policy): such
// a client is kept whole rather than making every compact entry larger.
// TestCompactKeepsEveryField fails for a field added to mint.Client that
// neither the compact form nor this function knows.
func rarelySet(c mint.Client) bool {
	return c.TokenBinding != "" || c.TLSAuth != (mint.TLSAuth{}) || c.Metadata != nil || c.Policy != ""
}

func (k *compactClient) client() mint.Client {
	if k.whole != nil {
		return *k.whole
	}
	return mint.Client{ID: k.id, Name: k.name, JWKS: k.jwks, IntrospectAll: k.introspectAll,
		TokensRevokedBefore: k.times[0].time(), TokensPerHour: k.perHour, TokensPerDay: k.perDay,
		CreatedAt: k.times[1].time(), UpdatedAt: k.times[2].time()}
}

// compactGrant is a mint.Grant as the cache keeps it, as compactClient.
type compactGrant struct {
	whole                  *mint.Grant
	id, clientID, audience string
	scopes                 []string
	times                  [2]instant // CreatedAt, UpdatedAt
}

func compactGrantOf(g mint.Grant) compactGrant {
	k := compactGrant{id: g.ID, clientID: g.ClientID, audience: g.Audience, scopes: g.Scopes}
	if !instants(k.times[:], g.CreatedAt, g.UpdatedAt) {
		whole := g
		return compactGrant{whole: &whole}
	}
	return k
}

func (k *compactGrant) grant() mint.Grant {
	if k.whole != nil {
		return *k.whole
	}
	return mint.Grant{ID: k.id, ClientID: k.clientID, Audience: k.audience, Scopes: k.scopes,
		CreatedAt: k.times[0].time(), UpdatedAt: k.times[1].time()}
}

// clientOf and grantOf give the mint value of what a cached read returned.
func clientOf(k compactClient, err error) (mint.Client, error) {
	if err != nil {
		return mint.Client{}, err
	}
	return k.client(), nil
}

func grantOf(k compactGrant, err error) (mint.Grant, error) {
	if err != nil {
		return mint.Grant{}, err
	}
	return k.grant(), nil
}
