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

// A client's grants read back from a slab equal the store's: nil and
// empty lists and scope lists stay apart, a row naming another client
// keeps its own ID, and a time in a location is kept whole.
func TestGrantsThroughSlab(t *testing.T) {
	t0 := time.UnixMilli(1_780_000_000_000).UTC()
	for _, tc := range []struct {
		name   string
		grants []mint.Grant
		whole  bool
	}{
		{"nil", nil, false},
		{"none", []mint.Grant{}, false},
		{"two", []mint.Grant{
			{ID: "g1", ClientID: "client-1", Audience: "https://a", Scopes: []string{"read", "write"}, CreatedAt: t0, UpdatedAt: t0},
			{ID: "g2", ClientID: "client-1", Audience: "https://b", Scopes: []string{""}, CreatedAt: t0}}, false},
		{"nil and empty scopes", []mint.Grant{{ID: "g1", ClientID: "client-1"}, {ID: "g2", ClientID: "client-1", Scopes: []string{}}}, false},
		{"a row of another client", []mint.Grant{{ID: "g1", ClientID: "client-2", Audience: "https://a"}}, false},
		{"a time in a location", []mint.Grant{{ID: "g1", ClientID: "client-1", CreatedAt: t0.In(time.FixedZone("X", 3600))}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, whole := throughSlab(t, grantsCodec, "client-1", tc.grants)
			if whole != tc.whole {
				t.Errorf("kept whole = %v, want %v", whole, tc.whole)
			}
			if !reflect.DeepEqual(got, tc.grants) {
				t.Errorf("back from the slab\n %#v\nwant\n %#v", got, tc.grants)
			}
		})
	}
}
