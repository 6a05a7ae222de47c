package storecache

import (
	"reflect"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// What the cache gives back is the store's value, bit for bit, whatever
// its times: those an instant holds exactly (the stores' UTC
// milliseconds) and those it cannot (kept whole).
func TestCompactGivesBackTheStoresValue(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		paris = time.FixedZone("CET", 3600)
	}
	ms := time.UnixMilli(1_780_000_000_123).UTC()
	hour := int64(5)
	cases := []struct {
		name  string
		t     time.Time
		exact bool // an instant holds it
	}{
		{"zero", time.Time{}, true},
		{"UTC milliseconds (the stores')", ms, true},
		{"UTC nanoseconds", time.Unix(1_780_000_000, 123_456_789).UTC(), true},
		{"the Unix epoch", time.Unix(0, 0).UTC(), true},
		{"before 1970", time.Date(1969, 12, 31, 23, 59, 59, 1, time.UTC), true},
		{"another location", ms.In(paris), false},
		{"a fixed zone named UTC", ms.In(time.FixedZone("UTC", 0)), false},
		{"Local", ms.Local(), time.Local == time.UTC},
		{"a monotonic reading", time.Now(), false},
		{"year 9999", time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), false},
		{"year 1", time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), false},
		{"the zero instant in a location", time.Time{}.In(paris), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := instantOf(tc.t); ok != tc.exact {
				t.Errorf("instantOf(%v) exact = %v, want %v", tc.t, ok, tc.exact)
			}
			c := mint.Client{ID: "c1", Name: "n", JWKS: []byte(`{"keys":[]}`), IntrospectAll: true,
				TokensRevokedBefore: tc.t, TokensPerHour: &hour, CreatedAt: ms, UpdatedAt: tc.t}
			got, whole := throughSlab(t, clientCodec, c.ID, c)
			if whole != !tc.exact {
				t.Errorf("client kept whole = %v, want %v", whole, !tc.exact)
			}
			if !reflect.DeepEqual(got, c) {
				t.Errorf("client back:\n got %#v\nwant %#v", got, c)
			}
			g := mint.Grant{ID: "g1", ClientID: "c1", Audience: "https://a", Scopes: []string{"read"}, CreatedAt: tc.t, UpdatedAt: ms}
			gotG, whole := throughSlab(t, grantCodec(new(interner)), pairKey(g.ClientID, g.Audience), g)
			if whole != !tc.exact {
				t.Errorf("grant kept whole = %v, want %v", whole, !tc.exact)
			}
			if got := gotG; !reflect.DeepEqual(got, g) {
				t.Errorf("grant back:\n got %#v\nwant %#v", got, g)
			}
		})
	}
}

// throughSlab keeps v under key in a table of codec cd, as the cache
// does, and returns what a hit reads back, and whether v was kept whole.
func throughSlab[V any](tb testing.TB, cd *codec[V], key string, v V) (V, bool) {
	tb.Helper()
	tab := newTable[V]('x', "x", "x", 10, nil)
	tab.codec = cd
	sh := tab.shardOf(key)
	tab.put(sh, key, v, 0, 1, sh.gen.Load())
	got, _, ok := tab.get(sh, key, 0)
	if !ok {
		tb.Fatalf("%q not kept", key)
	}
	return got, len(sh.wholes)-len(sh.free) == 1
}

// Grants of one scope list share it; lists beyond the bound are kept
// unshared, and an empty list stays what it was (nil or empty).
func TestInternerSharesAndIsBounded(t *testing.T) {
	var in interner
	a := in.scopeList([]string{"read", "write"})
	b := in.scopeList([]string{string([]byte("read")), string([]byte("write"))})
	if &a[0] != &b[0] {
		t.Error("two equal scope lists are not shared")
	}
	if c := in.scopeList([]string{"read"}); len(c) != 1 || &c[0] == &a[0] {
		t.Errorf("a different list %v shares the first", c)
	}
	if got := in.scopeList(nil); got != nil {
		t.Errorf("nil became %#v", got)
	}
	if got := in.scopeList([]string{}); got == nil || len(got) != 0 {
		t.Errorf("empty became %#v", got)
	}
	// Lists that join to the same key are not confused.
	x := in.scopeList([]string{"a\x00b"})
	y := in.scopeList([]string{"a", "b"})
	if len(x) != 1 || len(y) != 2 {
		t.Errorf("colliding keys confused: %q, %q", x, y)
	}
	for i := range 2 * maxInterned {
		in.scopeList([]string{string(rune('a' + i%26)), time.Duration(i).String()})
	}
	if len(in.scopes) > maxInterned || in.n > maxInterned {
		t.Errorf("interner holds %d lists (%d keys); bound %d", in.n, len(in.scopes), maxInterned)
	}
}

// TestCompactKeepsEveryField: a client or grant with any one field set
// (every field of the struct, found by reflection, so a field added later
// is covered) comes back from the cache as it went in. A field the compact
// form drops would be lost on every cached read.
func TestCompactKeepsEveryField(t *testing.T) {
	check := func(t *testing.T, typ reflect.Type, roundTrip func(v reflect.Value) any) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			t.Run(typ.Name()+"."+f.Name, func(t *testing.T) {
				v := reflect.New(typ).Elem()
				setNonZero(t, v.Field(i))
				if got := roundTrip(v); !reflect.DeepEqual(got, v.Interface()) {
					t.Errorf("back from the cache:\n got %#v\nwant %#v", got, v.Interface())
				}
			})
		}
	}
	check(t, reflect.TypeFor[mint.Client](), func(v reflect.Value) any {
		c := v.Interface().(mint.Client)
		got, _ := throughSlab(t, clientCodec, c.ID, c)
		return got
	})
	check(t, reflect.TypeFor[mint.Grant](), func(v reflect.Value) any {
		g := v.Interface().(mint.Grant)
		got, _ := throughSlab(t, grantCodec(new(interner)), pairKey(g.ClientID, g.Audience), g)
		return got
	})
	check(t, reflect.TypeFor[mint.Grant](), func(v reflect.Value) any {
		g := v.Interface().(mint.Grant)
		got, _ := throughSlab(t, grantsCodec, g.ClientID, []mint.Grant{g})
		return got[0]
	})
	check(t, reflect.TypeFor[mint.Secret](), func(v reflect.Value) any {
		s := v.Interface().(mint.Secret)
		got, _ := throughSlab(t, secretsCodec, s.ClientID, []mint.Secret{s})
		return got[0]
	})
}

// setNonZero gives v a value other than its zero value.
func setNonZero(t *testing.T, v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint8:
		v.SetUint(7)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		setNonZero(t, v.Index(0))
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		setNonZero(t, k)
		setNonZero(t, e)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		setNonZero(t, v.Elem())
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.UnixMilli(1_780_000_000_123).UTC()))
			return
		}
		setNonZero(t, v.Field(0))
	default:
		t.Fatalf("setNonZero: no value for a %s", v.Type())
	}
}
