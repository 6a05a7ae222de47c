package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

func newRevoked(n int, clientID string) mint.RevokedToken {
	return mint.RevokedToken{ID: fmt.Sprintf("jti_%d", n), ClientID: clientID, ExpiresAt: at(60 + n)}
}

// wantRevoked checks TokenRevoked for each id.
func wantRevoked(t *testing.T, ctx context.Context, s mint.Store, want bool, ids ...string) {
	t.Helper()
	for _, id := range ids {
		got, err := s.TokenRevoked(ctx, id)
		must(t, "TokenRevoked "+id, err)
		if got != want {
			t.Errorf("TokenRevoked(%q) = %v, want %v", id, got, want)
		}
	}
}

var revocationCases = []testCase{
	{"RevokeThenCheck", func(t *testing.T, ctx context.Context, s mint.Store) {
		wantRevoked(t, ctx, s, false, "jti_1")
		must(t, "RevokeToken", s.RevokeToken(ctx, newRevoked(1, "client_1")))
		wantRevoked(t, ctx, s, true, "jti_1")
		wantRevoked(t, ctx, s, false, "jti_2", "", "JTI_1")
	}},
	{"RevokeNeedsNoClient", func(t *testing.T, ctx context.Context, s mint.Store) {
		// The client may have been deleted since the token was issued.
		must(t, "RevokeToken", s.RevokeToken(ctx, newRevoked(1, "client_missing")))
		wantRevoked(t, ctx, s, true, "jti_1")
	}},
	{"RevokeTwice", func(t *testing.T, ctx context.Context, s mint.Store) {
		tok := newRevoked(1, "client_1")
		must(t, "RevokeToken", s.RevokeToken(ctx, tok))
		must(t, "RevokeToken again", s.RevokeToken(ctx, tok))
		wantRevoked(t, ctx, s, true, tok.ID)
	}},
	{"RacingRevokes", func(t *testing.T, ctx context.Context, s mint.Store) {
		tok := newRevoked(1, "client_1")
		errs := concurrently(10, func(int) error { return s.RevokeToken(ctx, tok) })
		must(t, "RevokeToken", errors.Join(errs...))
		wantRevoked(t, ctx, s, true, tok.ID)
	}},
	{"UseAssertionOnce", func(t *testing.T, ctx context.Context, s mint.Store) {
		must(t, "UseAssertion", s.UseAssertion(ctx, "client_1", "jti_1", at(5)))
		wantErr(t, "UseAssertion replayed", s.UseAssertion(ctx, "client_1", "jti_1", at(5)), mint.ErrConflict)
		wantErr(t, "UseAssertion replayed, later expiry", s.UseAssertion(ctx, "client_1", "jti_1", at(9)), mint.ErrConflict)
		// The jti is the client's: another client may use the same one.
		must(t, "UseAssertion by another client", s.UseAssertion(ctx, "client_2", "jti_1", at(5)))
		must(t, "UseAssertion, another jti", s.UseAssertion(ctx, "client_1", "jti_2", at(5)))
	}},
	{"AssertionsAndRevocationsAreSeparate", func(t *testing.T, ctx context.Context, s mint.Store) {
		must(t, "UseAssertion", s.UseAssertion(ctx, "client_1", "jti_1", at(5)))
		wantRevoked(t, ctx, s, false, "jti_1")
		must(t, "RevokeToken", s.RevokeToken(ctx, newRevoked(2, "client_1")))
		must(t, "UseAssertion", s.UseAssertion(ctx, "client_1", "jti_2", at(5)))
	}},
	{"RacingAssertionReplays", func(t *testing.T, ctx context.Context, s mint.Store) {
		const n = 10
		errs := concurrently(n, func(int) error { return s.UseAssertion(ctx, "client_1", "jti_1", at(5)) })
		used := 0
		for i, err := range errs {
			switch {
			case err == nil:
				used++
			case !errors.Is(err, mint.ErrConflict):
				t.Errorf("UseAssertion #%d: error = %v, want nil or ErrConflict", i, err)
			}
		}
		if used != 1 {
			t.Errorf("%d racing uses of one assertion succeeded, want exactly 1", used)
		}
	}},
	{"RacingAssertionUsesManyIDs", func(t *testing.T, ctx context.Context, s mint.Store) {
		// Uses arriving together are written together (one group, one
		// commit): each ID is still accepted exactly once, whether its
		// duplicates share its group or come in the next, and whether the
		// group expires soon (a DPoP proof's jti) or late.
		const ids, copies = 24, 4
		soon := time.Now().Add(time.Minute)
		errs := concurrently(ids*copies, func(i int) error {
			until := at(5)
			if i%ids%2 == 0 {
				until = soon
			}
			return s.UseAssertion(ctx, fmt.Sprintf("client_%d", i%3), fmt.Sprintf("jti_%d", i%ids), until)
		})
		used := make([]int, ids)
		for i, err := range errs {
			switch {
			case err == nil:
				used[i%ids]++
			case !errors.Is(err, mint.ErrConflict):
				t.Errorf("UseAssertion #%d: error = %v, want nil or ErrConflict", i, err)
			}
		}
		for id, n := range used {
			if n != 1 {
				t.Errorf("jti_%d: %d of %d racing uses succeeded, want exactly 1", id, n, copies)
			}
		}
		for i := range ids {
			wantErr(t, "UseAssertion replayed after the race", s.UseAssertion(ctx, fmt.Sprintf("client_%d", i%3), fmt.Sprintf("jti_%d", i), at(5)), mint.ErrConflict)
		}
	}},
	{"UseAssertionAfterClose", func(t *testing.T, ctx context.Context, s mint.Store) {
		// A store that cannot record a use must say so: an error that is
		// neither success nor a replay.
		must(t, "Close", s.Close())
		err := s.UseAssertion(ctx, "client_1", "jti_1", at(5))
		if err == nil || errors.Is(err, mint.ErrConflict) {
			t.Fatalf("UseAssertion on a closed store: error = %v, want a failure", err)
		}
	}},
	{"UseAssertionCancelled", func(t *testing.T, ctx context.Context, s mint.Store) {
		// A caller that gave up is not told its use was recorded; whether
		// it was is the store's business, and a retry is then a replay or
		// a success, never an error.
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.UseAssertion(cancelled, "client_1", "jti_1", at(5)); err == nil {
			t.Fatal("UseAssertion with a cancelled context: error = nil, want one")
		}
		if err := s.UseAssertion(ctx, "client_1", "jti_1", at(5)); err != nil && !errors.Is(err, mint.ErrConflict) {
			t.Fatalf("UseAssertion retried: error = %v, want nil or ErrConflict", err)
		}
	}},
	{"PruneExpired", func(t *testing.T, ctx context.Context, s mint.Store) {
		// Tokens jti_1 … jti_3 expire at(61) … at(63); assertions likewise.
		for n := 1; n <= 3; n++ {
			must(t, "RevokeToken", s.RevokeToken(ctx, newRevoked(n, "client_1")))
			must(t, "UseAssertion", s.UseAssertion(ctx, "client_1", fmt.Sprintf("a_%d", n), at(60+n)))
		}
		must(t, "PruneExpired", s.PruneExpired(ctx, at(62))) // before at(62): only the first
		wantRevoked(t, ctx, s, false, "jti_1")
		wantRevoked(t, ctx, s, true, "jti_2", "jti_3")
		must(t, "UseAssertion a_1 after pruning", s.UseAssertion(ctx, "client_1", "a_1", at(70)))
		for _, id := range []string{"a_2", "a_3"} {
			wantErr(t, "UseAssertion "+id+" after pruning", s.UseAssertion(ctx, "client_1", id, at(70)), mint.ErrConflict)
		}
		must(t, "PruneExpired nothing", s.PruneExpired(ctx, at(0)))
		wantRevoked(t, ctx, s, true, "jti_2", "jti_3")
	}},
	{"PruneEmpty", func(t *testing.T, ctx context.Context, s mint.Store) {
		must(t, "PruneExpired", s.PruneExpired(ctx, at(100)))
	}},
}
