package storecache

import (
	"encoding/binary"
	"time"
	"unsafe"

	"github.com/mintauth/mint/internal/mint"
)

// A codec writes one kind's answers into slab records and reads them back
// (slab.go). decode must not allocate: it runs on every hit, and what it
// returns are views of the record. encode must copy every byte it keeps
// into dst, never keep a view of v: compaction decodes a record of an old
// slab and encodes it into a new one, and a view of the old one would
// keep it alive or, hidden from the collector in a slab, outlive it.
//
// A pointer encode writes into dst (in a struct it writes with putRaw)
// must point into dst, into the record's key, or be nil: a slab is not
// scanned, so a pointer there to another object would not keep that
// object alive.
type codec[V any] struct {
	// size returns how many bytes encode writes for key and v, or -1 for
	// an answer the codec does not take: it is kept whole.
	size func(key string, v V) int
	// encode writes v into dst (8-byte aligned, at least size bytes) and
	// may take views of key, the record's own copy of the key.
	encode func(dst []byte, key string, v V)
	decode func(key string, src []byte) V
}

// exactTimes reports whether an instant gives back each of ts exactly
// (compact.go): only such times are written into a slab, since a
// time.Time with a location holds a pointer to it.
func exactTimes(ts ...time.Time) bool {
	for _, t := range ts {
		if _, ok := instantOf(t); !ok {
			return false
		}
	}
	return true
}

func putInstant(dst []byte, t time.Time) {
	i, _ := instantOf(t)
	binary.LittleEndian.PutUint64(dst, uint64(i))
}

func getInstant(src []byte) time.Time {
	return instant(binary.LittleEndian.Uint64(src)).time()
}

// slabBytes copies b into p's buffer, keeping nil and empty apart: an
// empty non-nil slice points into the record (its first byte, which a
// codec's header always is), never at the store's memory.
func slabBytes(p *packer, rec []byte, b []byte) []byte {
	if b == nil {
		return nil
	}
	if len(b) == 0 {
		return rec[0:0:0]
	}
	return p.bytes(b)
}

// Secrets: a count and nil mark, the []mint.Secret a hit returns (Go
// structs, written with putRaw, whose strings and digests are views of
// the record), then the bytes of those views. A client's ID is the
// record's key, which every secret's ClientID views. A hit returns the
// array in the slab, as it returned the cached slice before: callers must
// not change it (Store's doc), and here a pointer written into it would
// be hidden from the collector.

const secretSize = int(unsafe.Sizeof(mint.Secret{}))

const secretsHeader = 8 // count (uint32), nil mark (byte), padding

func secretsSize(key string, ss []mint.Secret) int {
	n := secretsHeader + len(ss)*secretSize
	for _, s := range ss {
		if !exactTimes(s.CreatedAt, s.ExpiresAt, s.LastUsedAt) {
			return -1
		}
		if s.ClientID != key {
			n += len(s.ClientID)
		}
		n += len(s.ID) + len(s.Digest)
	}
	return n
}

func encodeSecrets(dst []byte, key string, ss []mint.Secret) {
	binary.LittleEndian.PutUint32(dst, uint32(len(ss)))
	if ss == nil {
		dst[4] = 1
	}
	p := packer{buf: dst[:secretsHeader+len(ss)*secretSize]}
	for i, s := range ss {
		v := mint.Secret{ID: p.str(s.ID), ClientID: key, Digest: slabBytes(&p, dst, s.Digest)}
		if s.ClientID != key {
			v.ClientID = p.str(s.ClientID)
		}
		// Rebuilt from instants: UTC, no location pointer.
		v.CreatedAt, v.ExpiresAt, v.LastUsedAt = rebuilt(s.CreatedAt), rebuilt(s.ExpiresAt), rebuilt(s.LastUsedAt)
		putRaw(dst[secretsHeader+i*secretSize:], &v)
	}
}

func decodeSecrets(_ string, src []byte) []mint.Secret {
	if src[4] == 1 {
		return nil
	}
	n := int(binary.LittleEndian.Uint32(src))
	if n == 0 {
		return unsafe.Slice((*mint.Secret)(unsafe.Pointer(&src[0])), 0)
	}
	return unsafe.Slice((*mint.Secret)(unsafe.Pointer(&src[secretsHeader])), n)
}

var secretsCodec = &codec[[]mint.Secret]{size: secretsSize, encode: encodeSecrets, decode: decodeSecrets}

// A client's grants (ListGrants, on the token path of a request that
// names no audience): as its secrets, the []mint.Grant array in the
// record, then each grant's scope list (string headers viewing the
// record: an interned list is another object, which a pointer hidden in
// a slab would not keep alive), then the bytes of the views.

const grantSize = int(unsafe.Sizeof(mint.Grant{}))

func grantsSize(key string, gs []mint.Grant) int {
	n := secretsHeader + len(gs)*grantSize
	for _, g := range gs {
		if !exactTimes(g.CreatedAt, g.UpdatedAt) {
			return -1
		}
		if g.ClientID != key {
			n += len(g.ClientID)
		}
		n += len(g.ID) + len(g.Audience) + len(g.Scopes)*stringSize
		for _, s := range g.Scopes {
			n += len(s)
		}
	}
	return n
}

func encodeGrants(dst []byte, key string, gs []mint.Grant) {
	binary.LittleEndian.PutUint32(dst, uint32(len(gs)))
	if gs == nil {
		dst[4] = 1
	}
	lists := secretsHeader + len(gs)*grantSize // the scope lists' string headers
	off := lists
	for _, g := range gs {
		off += len(g.Scopes) * stringSize
	}
	p := packer{buf: dst[:off]}
	for i, g := range gs {
		v := mint.Grant{ID: p.str(g.ID), ClientID: key, Audience: p.str(g.Audience),
			CreatedAt: rebuilt(g.CreatedAt), UpdatedAt: rebuilt(g.UpdatedAt)}
		if g.ClientID != key {
			v.ClientID = p.str(g.ClientID)
		}
		switch {
		case g.Scopes == nil:
		case len(g.Scopes) == 0:
			v.Scopes = unsafe.Slice((*string)(unsafe.Pointer(&dst[0])), 0)
		default:
			for j, s := range g.Scopes {
				sv := p.str(s)
				putRaw(dst[lists+j*stringSize:], &sv)
			}
			v.Scopes = unsafe.Slice((*string)(unsafe.Pointer(&dst[lists])), len(g.Scopes))
			lists += len(g.Scopes) * stringSize
		}
		putRaw(dst[secretsHeader+i*grantSize:], &v)
	}
}

func decodeGrants(_ string, src []byte) []mint.Grant {
	if src[4] == 1 {
		return nil
	}
	n := int(binary.LittleEndian.Uint32(src))
	if n == 0 {
		return unsafe.Slice((*mint.Grant)(unsafe.Pointer(&src[0])), 0)
	}
	return unsafe.Slice((*mint.Grant)(unsafe.Pointer(&src[secretsHeader])), n)
}

var grantsCodec = &codec[[]mint.Grant]{size: grantsSize, encode: encodeGrants, decode: decodeGrants}

// rebuilt returns t as its instant gives it back (t itself, bit for bit,
// for a time exactTimes accepts).
func rebuilt(t time.Time) time.Time {
	i, _ := instantOf(t)
	return i.time()
}

// Clients: lengths, flags, three instants, the rate limits that are set,
// then the name and JWKS. The client's ID is the record's key. A client
// with a field most leave unset (rarelySet), or times an instant cannot
// give back, is kept whole.

const clientFixed = 40 // name and JWKS lengths, flags, three instants

const (
	clientIntrospectAll = 1 << iota
	clientPerHour
	clientPerDay
	clientJWKS // JWKS not nil
)

func clientSize(key string, c mint.Client) int {
	if c.ID != key || rarelySet(c) || !exactTimes(c.TokensRevokedBefore, c.CreatedAt, c.UpdatedAt) {
		return -1
	}
	n := clientFixed + len(c.Name) + len(c.JWKS)
	if c.TokensPerHour != nil {
		n += 8
	}
	if c.TokensPerDay != nil {
		n += 8
	}
	return n
}

func encodeClient(dst []byte, _ string, c mint.Client) {
	var flags uint64
	if c.IntrospectAll {
		flags |= clientIntrospectAll
	}
	if c.JWKS != nil {
		flags |= clientJWKS
	}
	binary.LittleEndian.PutUint32(dst, uint32(len(c.Name)))
	binary.LittleEndian.PutUint32(dst[4:], uint32(len(c.JWKS)))
	putInstant(dst[16:], c.TokensRevokedBefore)
	putInstant(dst[24:], c.CreatedAt)
	putInstant(dst[32:], c.UpdatedAt)
	off := clientFixed
	if c.TokensPerHour != nil {
		flags |= clientPerHour
		binary.NativeEndian.PutUint64(dst[off:], uint64(*c.TokensPerHour))
		off += 8
	}
	if c.TokensPerDay != nil {
		flags |= clientPerDay
		binary.NativeEndian.PutUint64(dst[off:], uint64(*c.TokensPerDay))
		off += 8
	}
	binary.LittleEndian.PutUint64(dst[8:], flags)
	off += copy(dst[off:], c.Name)
	copy(dst[off:], c.JWKS)
}

func decodeClient(key string, src []byte) mint.Client {
	nameLen := int(binary.LittleEndian.Uint32(src))
	jwksLen := int(binary.LittleEndian.Uint32(src[4:]))
	flags := binary.LittleEndian.Uint64(src[8:])
	c := mint.Client{ID: key, IntrospectAll: flags&clientIntrospectAll != 0,
		TokensRevokedBefore: getInstant(src[16:]), CreatedAt: getInstant(src[24:]), UpdatedAt: getInstant(src[32:])}
	off := clientFixed
	if flags&clientPerHour != 0 {
		// Aligned: records and clientFixed are multiples of 8. The
		// limits are written in the machine's order to be read in place.
		c.TokensPerHour = (*int64)(unsafe.Pointer(&src[off]))
		off += 8
	}
	if flags&clientPerDay != 0 {
		c.TokensPerDay = (*int64)(unsafe.Pointer(&src[off]))
		off += 8
	}
	if nameLen > 0 {
		c.Name = unsafe.String(&src[off], nameLen)
		off += nameLen
	}
	if flags&clientJWKS != 0 {
		c.JWKS = src[off : off+jwksLen : off+jwksLen]
	}
	return c
}

var clientCodec = &codec[mint.Client]{size: clientSize, encode: encodeClient, decode: decodeClient}

// Grants by audience: the key is pairKey(client ID, audience), which the
// grant's ClientID and Audience view. Then the ID's length, how the
// scopes are kept, two instants, and the ID's bytes. Scopes are most
// often a list the interner holds (an index into it); past its bound the
// list is written into the record as strings viewing the record.

const (
	// grantFixed: ID length, scopes' form, an interned list's index or an
	// inline list's length, padding, two instants.
	grantFixed = 32

	scopesNil      = 0
	scopesEmpty    = 1
	scopesInterned = 2
	scopesInline   = 3

	stringSize = int(unsafe.Sizeof(""))
)

func grantCodec(in *interner) *codec[mint.Grant] {
	return &codec[mint.Grant]{
		size: func(key string, g mint.Grant) int {
			client, audience := splitPair(key)
			if g.ClientID != client || g.Audience != audience || !exactTimes(g.CreatedAt, g.UpdatedAt) {
				return -1
			}
			n := grantFixed + len(g.ID)
			if _, ok := in.scopeIndex(g.Scopes); !ok && len(g.Scopes) > 0 {
				n += len(g.Scopes) * stringSize
				for _, s := range g.Scopes {
					n += len(s)
				}
			}
			return n
		},
		encode: func(dst []byte, _ string, g mint.Grant) {
			form, arg := uint32(scopesNil), 0
			idx, interned := in.scopeIndex(g.Scopes)
			switch {
			case g.Scopes == nil:
			case len(g.Scopes) == 0:
				form = scopesEmpty
			case interned:
				form, arg = scopesInterned, int(idx)
			default:
				form, arg = scopesInline, len(g.Scopes)
			}
			binary.LittleEndian.PutUint32(dst, uint32(len(g.ID)))
			binary.LittleEndian.PutUint32(dst[4:], form)
			binary.LittleEndian.PutUint32(dst[8:], uint32(arg))
			putInstant(dst[16:], g.CreatedAt)
			putInstant(dst[24:], g.UpdatedAt)
			off := grantFixed
			if form == scopesInline {
				off += arg * stringSize
			}
			p := packer{buf: dst[:off]}
			p.str(g.ID)
			if form == scopesInline {
				for i, s := range g.Scopes {
					v := p.str(s)
					putRaw(dst[grantFixed+i*stringSize:], &v)
				}
			}
		},
		decode: func(key string, src []byte) mint.Grant {
			client, audience := splitPair(key)
			g := mint.Grant{ClientID: client, Audience: audience, CreatedAt: getInstant(src[16:]), UpdatedAt: getInstant(src[24:])}
			idLen := int(binary.LittleEndian.Uint32(src))
			arg := int(binary.LittleEndian.Uint32(src[8:]))
			off := grantFixed
			switch binary.LittleEndian.Uint32(src[4:]) {
			case scopesEmpty:
				g.Scopes = unsafe.Slice((*string)(unsafe.Pointer(&src[0])), 0)
			case scopesInterned:
				g.Scopes = in.list(uint32(arg))
			case scopesInline:
				g.Scopes = unsafe.Slice((*string)(unsafe.Pointer(&src[grantFixed])), arg)
				off += arg * stringSize
			}
			if idLen > 0 {
				g.ID = unsafe.String(&src[off], idLen)
			}
			return g
		},
	}
}
