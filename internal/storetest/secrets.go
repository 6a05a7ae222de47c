package storetest

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// newSecret returns secret_N of a client, created at(N), that does not
// expire and was never used.
func newSecret(n int, clientID string) mint.Secret {
	digest := make([]byte, 32)
	for i := range digest {
		digest[i] = byte(n*31 + i*7) // zero and high bytes included
	}
	return mint.Secret{
		ID:        fmt.Sprintf("secret_%d", n),
		ClientID:  clientID,
		Digest:    digest,
		CreatedAt: at(n),
	}
}

func checkSecret(t *testing.T, got, want mint.Secret) {
	t.Helper()
	var d diff
	d.str("ID", got.ID, want.ID)
	d.str("ClientID", got.ClientID, want.ClientID)
	if !bytes.Equal(got.Digest, want.Digest) {
		d = append(d, "Digest differs") // never print digests
	}
	d.time("CreatedAt", got.CreatedAt, want.CreatedAt)
	d.time("ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	d.time("LastUsedAt", got.LastUsedAt, want.LastUsedAt)
	d.check(t, "secret "+want.ID)
}

// checkSecrets checks that ListSecrets returns exactly want, in order.
func checkSecrets(t *testing.T, ctx context.Context, s mint.Store, clientID string, want ...mint.Secret) {
	t.Helper()
	got, err := s.ListSecrets(ctx, clientID)
	must(t, "ListSecrets", err)
	secretID := func(s mint.Secret) string { return s.ID }
	wantIDs(t, "ListSecrets("+clientID+")", ids(got, secretID), ids(want, secretID))
	for i := range want {
		checkSecret(t, got[i], want[i])
	}
}

var secretCases = []testCase{
	{"RoundTrip", func(t *testing.T, ctx context.Context, s mint.Store) {
		for i, tc := range []struct {
			name                  string
			expiresAt, lastUsedAt time.Time
		}{
			{"NeverExpiresNeverUsed", time.Time{}, time.Time{}},
			{"ExpiresNeverUsed", at(100), time.Time{}},
			{"NeverExpiresUsed", time.Time{}, at(50)},
			{"ExpiresUsed", at(100).Add(123 * time.Millisecond), at(50).Add(7 * time.Millisecond)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c := newClient(i)
				sec := newSecret(i, c.ID)
				sec.ExpiresAt, sec.LastUsedAt = tc.expiresAt, tc.lastUsedAt
				must(t, "CreateClient", s.CreateClient(ctx, c, sec))
				checkSecrets(t, ctx, s, c.ID, sec)
			})
		}
	}},
	{"ListNotFound", func(t *testing.T, ctx context.Context, s mint.Store) {
		createClients(t, ctx, s, newClient(1))
		_, err := s.ListSecrets(ctx, "client_missing")
		wantErr(t, "ListSecrets", err, mint.ErrNotFound)
	}},
	{"ListOnlyTheClientsOldestFirstExpiredIncluded", func(t *testing.T, ctx context.Context, s mint.Store) {
		c, other := newClient(1), newClient(2)
		createClients(t, ctx, s, c, other)
		// Rotated in the order 3, 2: listed by creation time, 2 before 3.
		s3, s2 := newSecret(3, c.ID), newSecret(2, c.ID)
		must(t, "RotateSecret", s.RotateSecret(ctx, s3, at(4)))
		must(t, "RotateSecret", s.RotateSecret(ctx, s2, at(4)))
		first := firstSecret(c)
		first.ExpiresAt = at(4)
		s3.ExpiresAt = at(4)
		checkSecrets(t, ctx, s, c.ID, first, s2, s3)
		checkSecrets(t, ctx, s, other.ID, firstSecret(other))
	}},
	{"Rotate", func(t *testing.T, ctx context.Context, s mint.Store) {
		c, other := newClient(1), newClient(2)
		createClients(t, ctx, s, c, other)
		first := firstSecret(c)
		later := newSecret(2, c.ID)
		later.ExpiresAt = at(500)
		sooner := newSecret(3, c.ID)
		sooner.ExpiresAt = at(60)
		must(t, "RotateSecret", s.RotateSecret(ctx, later, at(2000)))
		must(t, "RotateSecret", s.RotateSecret(ctx, sooner, at(2000)))
		// Only the secret that never expired was capped, at at(2000).
		first.ExpiresAt = at(2000)
		checkSecrets(t, ctx, s, c.ID, first, later, sooner)

		limit := at(120).Add(456 * time.Millisecond)
		fresh := newSecret(4, c.ID)
		fresh.ExpiresAt = at(10_000) // the new secret keeps its own expiry
		must(t, "RotateSecret", s.RotateSecret(ctx, fresh, limit))
		// Expiring after the limit: capped. Expiring before it: kept.
		first.ExpiresAt, later.ExpiresAt = limit, limit
		checkSecrets(t, ctx, s, c.ID, first, later, sooner, fresh)
		// Other clients' secrets are untouched.
		checkSecrets(t, ctx, s, other.ID, firstSecret(other))
	}},
	{"RotateNewSecretNeverExpires", func(t *testing.T, ctx context.Context, s mint.Store) {
		c := newClient(1)
		createClients(t, ctx, s, c)
		fresh := newSecret(2, c.ID)
		must(t, "RotateSecret", s.RotateSecret(ctx, fresh, at(30)))
		old := firstSecret(c)
		old.ExpiresAt = at(30)
		checkSecrets(t, ctx, s, c.ID, old, fresh)
	}},
	{"RotateNotFound", func(t *testing.T, ctx context.Context, s mint.Store) {
		createClients(t, ctx, s, newClient(1))
		err := s.RotateSecret(ctx, newSecret(2, "client_missing"), at(30))
		wantErr(t, "RotateSecret", err, mint.ErrNotFound)
		_, err = s.ListSecrets(ctx, "client_missing")
		wantErr(t, "ListSecrets", err, mint.ErrNotFound)
		checkSecrets(t, ctx, s, "client_1", firstSecret(newClient(1)))
	}},
	{"Delete", func(t *testing.T, ctx context.Context, s mint.Store) {
		c := newClient(1)
		createClients(t, ctx, s, c)
		second := newSecret(2, c.ID)
		must(t, "RotateSecret", s.RotateSecret(ctx, second, at(1000)))
		must(t, "DeleteSecret", s.DeleteSecret(ctx, c.ID, firstSecret(c).ID))
		checkSecrets(t, ctx, s, c.ID, second)
		wantErr(t, "DeleteSecret again", s.DeleteSecret(ctx, c.ID, firstSecret(c).ID), mint.ErrNotFound)
		// The last secret can go too; the client stays, with no secrets.
		must(t, "DeleteSecret", s.DeleteSecret(ctx, c.ID, second.ID))
		checkSecrets(t, ctx, s, c.ID)
		checkStoredClient(t, ctx, s, c)
	}},
	{"DeleteNotFound", func(t *testing.T, ctx context.Context, s mint.Store) {
		c, other := newClient(1), newClient(2)
		createClients(t, ctx, s, c, other)
		for _, tc := range []struct{ name, clientID, secretID string }{
			{"UnknownSecret", c.ID, "secret_missing"},
			{"OtherClientsSecret", other.ID, firstSecret(c).ID},
			{"UnknownClient", "client_missing", firstSecret(c).ID},
		} {
			wantErr(t, tc.name+": DeleteSecret", s.DeleteSecret(ctx, tc.clientID, tc.secretID), mint.ErrNotFound)
		}
		checkSecrets(t, ctx, s, c.ID, firstSecret(c))
		checkSecrets(t, ctx, s, other.ID, firstSecret(other))
	}},
}

// recordUseCases test RecordSecretUse.
var recordUseCases = []testCase{
	{"RecordSecretUse", func(t *testing.T, ctx context.Context, s mint.Store) {
		c1, c2 := newClient(1), newClient(2)
		createClients(t, ctx, s, c1, c2)
		s1, s2 := firstSecret(c1), firstSecret(c2)
		later := newSecret(3, c1.ID)
		later.LastUsedAt = at(50)
		must(t, "RotateSecret", s.RotateSecret(ctx, later, time.Time{}))
		must(t, "RecordSecretUse", s.RecordSecretUse(ctx, map[string]time.Time{
			s1.ID:            at(20).Add(5 * time.Millisecond),
			s2.ID:            at(30),
			later.ID:         at(40), // earlier than stored: kept at(50)
			"secret_missing": at(40),
		}))
		s1.LastUsedAt, s2.LastUsedAt = at(20).Add(5*time.Millisecond), at(30)
		checkSecrets(t, ctx, s, c1.ID, s1, later)
		checkSecrets(t, ctx, s, c2.ID, s2)
	}},
	{"RecordSecretUseNeverGoesBack", func(t *testing.T, ctx context.Context, s mint.Store) {
		c := newClient(1)
		createClients(t, ctx, s, c)
		sec := firstSecret(c)
		for _, use := range []time.Time{at(10), at(30), at(20), time.Time{}, at(30)} {
			must(t, "RecordSecretUse", s.RecordSecretUse(ctx, map[string]time.Time{sec.ID: use}))
		}
		sec.LastUsedAt = at(30)
		checkSecrets(t, ctx, s, c.ID, sec)
	}},
	{"RecordSecretUseNothing", func(t *testing.T, ctx context.Context, s mint.Store) {
		must(t, "RecordSecretUse(nil)", s.RecordSecretUse(ctx, nil))
		must(t, "RecordSecretUse(unknown)", s.RecordSecretUse(ctx, map[string]time.Time{"secret_missing": at(1)}))
	}},
	{"RacingRecordSecretUse", func(t *testing.T, ctx context.Context, s mint.Store) {
		// Replicas flushing uses of the same secrets at once, in any order,
		// end with the latest use of each.
		c := newClient(1)
		createClients(t, ctx, s, c)
		a, b := firstSecret(c), newSecret(2, c.ID)
		must(t, "RotateSecret", s.RotateSecret(ctx, b, time.Time{}))
		const n = 10
		errs := concurrently(n, func(i int) error {
			return s.RecordSecretUse(ctx, map[string]time.Time{a.ID: at(10 + i), b.ID: at(10 + n - i)})
		})
		for i, err := range errs {
			must(t, fmt.Sprintf("RecordSecretUse #%d", i), err)
		}
		a.LastUsedAt, b.LastUsedAt = at(10+n-1), at(10+n)
		checkSecrets(t, ctx, s, c.ID, a, b)
	}},
}
