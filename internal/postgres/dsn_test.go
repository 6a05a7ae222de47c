package postgres

import "testing"

func TestIsDSN(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"postgres://u@h1:5432,h2:5433/mint?target_session_attrs=read-write", true},
		{"postgresql://localhost/mint", true},
		{"host=db1,db2 port=5432,5433 dbname=mint target_session_attrs=read-write", true},
		{"dbname=mint host=/run/postgresql", true},
		{"user = mint host=db", true},
		{"mint.db", false},
		{"/var/lib/mint/mint.db", false},
		{"/data/host=1/mint.db", false},
		{"sqlite:host=x.db", false},
		{"", false},
	} {
		if got := IsDSN(tc.in); got != tc.want {
			t.Errorf("IsDSN(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
