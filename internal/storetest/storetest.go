// Package storetest is the conformance suite of mint.Store: every storage
// backend runs Run in its tests, so that all backends keep the same contract
// (the one written on mint.Store) and callers cannot tell them apart.
//
// Where store.go leaves a choice open the suite pins it down:
//
//   - Update functions cannot change identity fields (IDs, an API's
//     audience, a grant's client and audience): the store keeps the stored
//     values and returns no error, and the returned value is what is stored.
//   - A list with nothing in it may be nil or empty; scopes likewise.
//   - Times come back in UTC, equal to what was stored to the millisecond.
//   - Zero times in "never" fields (Secret.ExpiresAt and LastUsedAt,
//     Client.TokensRevokedBefore, SigningKey.ActivateAt, RetiredAt and
//     RemoveAt) come back zero; a nil or empty Client.JWKS comes back nil or
//     empty.
//   - UpdateSigningKeys stores every field of a key its update returns but
//     the ID, which names the key; it refuses (ErrConflict) a result naming
//     one ID twice, and returns no keys with an error. Its update function
//     may change the slice it is given in place.
//   - RecordSecretUse ignores zero times.
//   - RevokeToken does not need the client to exist, and PruneExpired keeps
//     what expires at t exactly; an assertion ID pruned may be used again.
//   - ListGrants for a client that does not exist returns no grants and no
//     error (ErrNotFound is not documented for it).
//   - Paginated lists break creation-time ties by ID in byte order; a page
//     asked beyond MaxPageLimit holds MaxPageLimit rows; a cursor whose row
//     was deleted still places the next page right after where it was.
//
// The suite uses nothing but the mint.Store interface and the standard
// library, and every test starts from a fresh, empty store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// Run runs the conformance suite. open must return a fresh, empty store for
// each call and register its own cleanup (closing the store, removing its
// files) with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) mint.Store) {
	t.Run("APIs", func(t *testing.T) { runCases(t, open, apiCases) })
	t.Run("Clients", func(t *testing.T) { runCases(t, open, clientCases) })
	t.Run("Secrets", func(t *testing.T) { runCases(t, open, secretCases) })
	t.Run("SecretUse", func(t *testing.T) { runCases(t, open, recordUseCases) })
	t.Run("Grants", func(t *testing.T) { runCases(t, open, grantCases) })
	t.Run("SigningKeys", func(t *testing.T) { runCases(t, open, keyCases) })
	t.Run("Revocation", func(t *testing.T) { runCases(t, open, revocationCases) })
	t.Run("Limits", func(t *testing.T) { runCases(t, open, limitCases) })
	t.Run("Apply", func(t *testing.T) { runApplyCases(t, open) })
	t.Run("Pages", func(t *testing.T) { runCases(t, open, pageCases) })
	t.Run("TokenBinding", func(t *testing.T) { runCases(t, open, bindingCases) })
	t.Run("TLSAuth", func(t *testing.T) { runCases(t, open, tlsAuthCases) })
	t.Run("Import", func(t *testing.T) { runImportCases(t, open) })
	t.Run("Policies", func(t *testing.T) { runCases(t, open, policyCases) })
	t.Run("Federated", func(t *testing.T) { runCases(t, open, federatedCases) })
	t.Run("Ping", func(t *testing.T) {
		if err := open(t).Ping(testContext(t)); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})
}

// testCase is one named conformance test, run on a fresh store.
type testCase struct {
	name string
	run  func(t *testing.T, ctx context.Context, s mint.Store)
}

func runCases(t *testing.T, open func(t *testing.T) mint.Store, cases []testCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			tc.run(t, testContext(t), s)
		})
	}
}

// testTimeout bounds every test, so that a deadlocked backend fails instead
// of hanging the test binary.
const testTimeout = 30 * time.Second

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// errAbort is what update functions return to abort an update.
var errAbort = errors.New("storetest: update aborted on purpose")

// t0 is the time fixtures are created at: millisecond precision, UTC.
var t0 = time.Date(2025, time.March, 14, 15, 9, 26, 535_000_000, time.UTC)

// at returns t0 plus n minutes, for fixtures that must be ordered.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

// wantErr fails the test unless err wraps want.
func wantErr(t *testing.T, op string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error = %v, want one wrapping %v", op, err, want)
	}
}

// must fails the test if err is not nil.
func must(t *testing.T, op string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
}

// sameTime reports whether got is want, to the millisecond, in UTC. A zero
// want asks for a zero got.
func sameTime(got, want time.Time) bool {
	if want.IsZero() {
		return got.IsZero()
	}
	if got.Location() != time.UTC {
		return false
	}
	d := got.Sub(want)
	return d > -time.Millisecond && d < time.Millisecond
}

// sameScopes compares scopes in order; nil and empty are the same.
func sameScopes(got, want []string) bool {
	if len(got) == 0 && len(want) == 0 {
		return true
	}
	return slices.Equal(got, want)
}

// diff collects field mismatches into one message.
type diff []string

func (d *diff) str(field, got, want string) {
	if got != want {
		*d = append(*d, fmt.Sprintf("%s = %q, want %q", field, got, want))
	}
}

func (d *diff) time(field string, got, want time.Time) {
	if !sameTime(got, want) {
		*d = append(*d, fmt.Sprintf("%s = %v (%v), want %v in UTC", field, got, got.Location(), want))
	}
}

func (d *diff) scopes(field string, got, want []string) {
	if !sameScopes(got, want) {
		*d = append(*d, fmt.Sprintf("%s = %q, want %q", field, got, want))
	}
}

func (d diff) check(t *testing.T, what string) {
	t.Helper()
	if len(d) > 0 {
		t.Errorf("%s differs:\n  %s", what, strings.Join(d, "\n  "))
	}
}

// ids returns the IDs of items, in order, for comparing list orders.
func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

func wantIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !sameScopes(got, want) {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
}

// concurrently runs fn(0) … fn(n-1) in n goroutines started together and
// returns their errors.
func concurrently(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// count compares optional counts (a client's quotas): nil is unset.
func (d *diff) count(field string, got, want *int64) {
	show := func(n *int64) string {
		if n == nil {
			return "nil"
		}
		return fmt.Sprint(*n)
	}
	if show(got) != show(want) {
		*d = append(*d, fmt.Sprintf("%s = %s, want %s", field, show(got), show(want)))
	}
}
