package mint

import (
	"slices"
	"testing"
)

func TestUnionScopes(t *testing.T) {
	a := []string{"read", "write"}
	got := UnionScopes(a, []string{"write", "admin", "read", "admin"})
	if want := []string{"read", "write", "admin"}; !slices.Equal(got, want) {
		t.Errorf("UnionScopes = %q, want %q", got, want)
	}
	if !slices.Equal(a, []string{"read", "write"}) {
		t.Errorf("UnionScopes changed its argument: %q", a)
	}
	if got := UnionScopes(nil, nil); len(got) != 0 {
		t.Errorf("UnionScopes(nil, nil) = %q", got)
	}
}

func TestHasAllScopes(t *testing.T) {
	for _, tc := range []struct {
		have, want []string
		ok         bool
	}{
		{[]string{"a", "b"}, []string{"b"}, true},
		{[]string{"a", "b"}, nil, true},
		{nil, nil, true},
		{[]string{"a"}, []string{"a", "b"}, false},
		{nil, []string{"a"}, false},
	} {
		if got := HasAllScopes(tc.have, tc.want); got != tc.ok {
			t.Errorf("HasAllScopes(%q, %q) = %v, want %v", tc.have, tc.want, got, tc.ok)
		}
	}
}
