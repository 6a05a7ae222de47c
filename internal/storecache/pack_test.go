package storecache

import (
	"reflect"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// Secrets read back from a slab equal the store's, nil and empty stay
// apart, and an append to a digest (which callers must not do, but might)
// cannot write over the next secret's ID.
func TestSecretsThroughSlab(t *testing.T) {
	t0 := time.UnixMilli(1_780_000_000_000).UTC()
	for _, tc := range []struct {
		name    string
		secrets []mint.Secret
	}{
		{"none", []mint.Secret{}},
		{"nil", nil},
		{"a time in a location (kept whole)", []mint.Secret{{ID: "sec_1", ClientID: "client-1", Digest: []byte("d"), CreatedAt: t0.In(time.FixedZone("X", 3600))}}},
		{"one", []mint.Secret{{ID: "sec_1", ClientID: "client-1", Digest: []byte("0123456789abcdef0123456789abcdef"), CreatedAt: t0}}},
		{"two, rotating", []mint.Secret{
			{ID: "sec_1", ClientID: "client-1", Digest: []byte("old-digest"), CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)},
			{ID: "sec_2", ClientID: "client-1", Digest: []byte("new-digest"), CreatedAt: t0, LastUsedAt: t0}}},
		{"empty and nil digests", []mint.Secret{{ID: "a", ClientID: "client-1", Digest: []byte{}}, {ID: "b", ClientID: "client-1"}}},
		{"a row of another client (a store's bug)", []mint.Secret{{ID: "x", ClientID: "client-2", Digest: []byte("d")}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []mint.Secret
			if tc.secrets != nil {
				want = make([]mint.Secret, len(tc.secrets))
			}
			for i, s := range tc.secrets {
				s.Digest = append([]byte(nil), s.Digest...)
				if tc.secrets[i].Digest != nil && len(tc.secrets[i].Digest) == 0 {
					s.Digest = []byte{}
				}
				want[i] = s
			}
			got, _ := throughSlab(t, secretsCodec, "client-1", tc.secrets)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("packed\n %#v\nwant\n %#v", got, want)
			}
			for i := range got {
				if len(got[i].Digest) > 0 {
					_ = append(got[i].Digest, 'X', 'X', 'X', 'X', 'X', 'X')
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("an append to a digest changed the answer:\n %#v", got)
			}
		})
	}
}
