package dpop

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestMemoryForget(t *testing.T) {
	now := testNow
	m := &Memory{Window: time.Minute, Max: 10, Now: func() time.Time { return now }}
	ctx := context.Background()
	for _, id := range []string{"a", "b"} {
		if err := m.Use(ctx, "k", id, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(time.Minute) // "a" and "b" are in the older generation now
	if err := m.Use(ctx, "k", "c", time.Time{}); err != nil {
		t.Fatal(err)
	}
	m.Forget("k", "a")
	m.Forget("k", "c")
	m.Forget("k", "never used")
	for _, id := range []string{"a", "c"} {
		if err := m.Use(ctx, "k", id, time.Time{}); err != nil {
			t.Errorf("%s after Forget: %v, want it taken again", id, err)
		}
	}
	if err := m.Use(ctx, "k", "b", time.Time{}); !errors.Is(err, ErrReplay) {
		t.Errorf("b, not forgotten: %v, want ErrReplay", err)
	}
}
