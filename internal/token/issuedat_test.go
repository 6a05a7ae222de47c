package token

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestIssuedAtNeverBeforeRevocation: a token issued after its client's
// tokens were revoked (a re-created client ID, rotate-secret with
// revoke_tokens) is live, even in the same second, and its iat is never
// more than a second ahead of the time it was issued at. Without this, iat's
// whole seconds put a token issued in the rest of that second before the
// revocation, dead on arrival.
func TestIssuedAtNeverBeforeRevocation(t *testing.T) {
	base := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(13, 7))
	for range 20000 {
		revoked := base.Add(time.Duration(rng.Int64N(int64(3 * time.Second))))
		if rng.IntN(4) == 0 {
			revoked = revoked.Truncate(time.Second) // whole seconds too
		}
		now := revoked.Add(time.Duration(rng.Int64N(int64(2 * time.Second))))
		iat := time.Unix(issuedAt(now, revoked), 0)
		if iat.Before(revoked) {
			t.Fatalf("revoked at %v, issued at %v: iat %v is before the revocation", revoked, now, iat)
		}
		if iat.Sub(now) > time.Second {
			t.Fatalf("issued at %v: iat %v is more than a second ahead", now, iat)
		}
		if !time.Unix(now.Unix(), 0).Before(revoked) && iat.Unix() != now.Unix() {
			t.Fatalf("issued at %v, revoked at %v: iat %v moved though the plain one was live", now, revoked, iat)
		}
	}
}

// TestIssuedAtIgnoresFarRevocation: a revocation more than a second ahead
// (a fast clock elsewhere) does not push iat into the future, and a client
// without a revocation gets the plain time.
func TestIssuedAtIgnoresFarRevocation(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 400_000_000, time.UTC)
	for _, revoked := range []time.Time{{}, now.Add(-time.Hour), now.Add(5 * time.Second)} {
		if got := issuedAt(now, revoked); got != now.Unix() {
			t.Errorf("revoked at %v: iat = %d, want %d", revoked, got, now.Unix())
		}
	}
}
