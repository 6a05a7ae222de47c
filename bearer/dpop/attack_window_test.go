package dpop

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestMemoryWithoutWindowStillRefusesReplays: a Memory built by hand with
// only Max (no Window) must not forget a proof before it stops being
// acceptable (the attack round found one that forgot it at once).
func TestMemoryWithoutWindowStillRefusesReplays(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	m := &Memory{Max: 16, Now: func() time.Time { return now }}
	until := now.Add(DefaultMaxAge + 2*DefaultLeeway)
	if err := m.Use(context.Background(), "jkt", "jti-1", until); err != nil {
		t.Fatal(err)
	}
	for _, later := range []time.Duration{0, time.Second, DefaultMaxAge, DefaultMaxAge + DefaultLeeway} {
		now = now.Add(later)
		if err := m.Use(context.Background(), "jkt", "jti-1", until); !errors.Is(err, ErrReplay) {
			t.Fatalf("replayed %v later: %v, want ErrReplay", later, err)
		}
		now = now.Add(-later)
	}
}
