package keyplan

import (
	"errors"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

func TestMake(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	key := func(id string, state mint.KeyState) mint.SigningKey {
		return mint.SigningKey{ID: id, Algorithm: mint.AlgRS256, State: state, CreatedAt: t0, PrivateKey: []byte(id)}
	}
	old := []mint.SigningKey{key("a", mint.KeyActive), key("n", mint.KeyNext), key("r", mint.KeyRetired)}
	tests := []struct {
		name    string
		result  []mint.SigningKey
		want    string // writes in order, "+id" insert, "~id" rewrite; then "-id" deletes first
		wantErr error
	}{
		{"unchanged is empty", old, "", nil},
		{"times equal to the millisecond are unchanged",
			[]mint.SigningKey{func() mint.SigningKey { k := old[0]; k.CreatedAt = t0.Add(300 * time.Microsecond); return k }(), old[1], old[2]}, "", nil},
		{"promotion demotes first", []mint.SigningKey{key("a", mint.KeyRetired), key("n", mint.KeyActive), old[2]}, "~a ~n", nil},
		{"removed and inserted", []mint.SigningKey{old[0], old[1], key("z", mint.KeyNext)}, "-r +z", nil},
		{"two active", []mint.SigningKey{old[0], key("n", mint.KeyActive)}, "", mint.ErrConflict},
		{"one ID twice", []mint.SigningKey{old[0], old[0]}, "", mint.ErrConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Make(old, tt.result)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got := describe(p); err == nil && got != tt.want {
				t.Errorf("plan %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := Make(old, []mint.SigningKey{key("x", "bogus")}); err == nil || errors.Is(err, mint.ErrConflict) {
		t.Errorf("unknown state: err = %v, want a plain error", err)
	}
}

func describe(p Plan) string {
	s := ""
	add := func(x string) {
		if s != "" {
			s += " "
		}
		s += x
	}
	for _, id := range p.Deletes {
		add("-" + id)
	}
	for _, w := range p.Writes {
		if w.Insert {
			add("+" + w.Key.ID)
		} else {
			add("~" + w.Key.ID)
		}
	}
	return s
}
