package tokenstate_test

import (
	"context"
	"testing"
	"time"
)

// TestSecretLastUse: a secret's use reaches the store at the recorder's
// flush, not before.
func TestSecretLastUse(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		h := newHarness(t, backend)
		c := h.newClient(nil, "", false)
		ctx := context.Background()
		h.now = h.now.Add(time.Minute)
		h.issue(c)
		if s, _ := h.store.ListSecrets(ctx, c.id); !s[0].LastUsedAt.IsZero() {
			t.Fatalf("written before the flush: %v", s[0].LastUsedAt)
		}
		h.must(h.uses.Flush(ctx))
		s, err := h.store.ListSecrets(ctx, c.id)
		if err != nil || !s[0].LastUsedAt.Equal(h.now) {
			t.Fatalf("last use %v (%v), want %v", s[0].LastUsedAt, err, h.now)
		}
	})
}
