package storecache

import (
	"reflect"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// FuzzCodecsGiveBackWhatTheyKeep: whatever the strings, digests, scope
// lists and times of a row, what a hit reads back from the slab (or from
// the value kept whole) is the row, bit for bit, for every per-client
// kind.
func FuzzCodecsGiveBackWhatTheyKeep(f *testing.F) {
	f.Add("client-1", "name", []byte("digest"), "read", "write", int64(1_780_000_000_123_000_000), uint8(0))
	f.Add("", "", []byte{}, "", "", int64(0), uint8(0xff))
	f.Add("c", "n\x00", []byte(nil), "a\x00b", "", int64(-1), uint8(0x5a))
	f.Fuzz(func(t *testing.T, id, name string, digest []byte, s1, s2 string, nanos int64, flags uint8) {
		at := time.Unix(0, nanos).UTC()
		if flags&1 != 0 {
			at = time.Time{}
		}
		if flags&2 != 0 {
			at = at.In(time.FixedZone("X", 3600)) // kept whole
		}
		var scopes []string
		switch flags >> 2 & 3 {
		case 1:
			scopes = []string{}
		case 2:
			scopes = []string{s1}
		case 3:
			scopes = []string{s1, s2}
		}
		limit := nanos
		c := mint.Client{ID: id, Name: name, JWKS: digest, IntrospectAll: flags&16 != 0, TokensRevokedBefore: at,
			CreatedAt: at, UpdatedAt: at}
		if flags&32 != 0 {
			c.TokensPerHour = &limit
		}
		if flags&64 != 0 {
			c.TokensPerDay = &limit
		}
		if got, _ := throughSlab(t, clientCodec, id, c); !reflect.DeepEqual(got, c) {
			t.Errorf("client\n %#v\nwant\n %#v", got, c)
		}
		ss := []mint.Secret{{ID: name, ClientID: id, Digest: digest, CreatedAt: at, ExpiresAt: at}, {ID: s1, ClientID: s2, LastUsedAt: at}}
		if got, _ := throughSlab(t, secretsCodec, id, ss); !reflect.DeepEqual(got, ss) {
			t.Errorf("secrets\n %#v\nwant\n %#v", got, ss)
		}
		g := mint.Grant{ID: name, ClientID: id, Audience: s1, Scopes: scopes, CreatedAt: at, UpdatedAt: at}
		if got, _ := throughSlab(t, grantCodec(new(interner)), pairKey(id, s1), g); !reflect.DeepEqual(got, g) {
			t.Errorf("grant\n %#v\nwant\n %#v", got, g)
		}
		gs := []mint.Grant{g, {ID: s2, ClientID: s1, Scopes: scopes}}
		if got, _ := throughSlab(t, grantsCodec, id, gs); !reflect.DeepEqual(got, gs) {
			t.Errorf("grants\n %#v\nwant\n %#v", got, gs)
		}
	})
}
