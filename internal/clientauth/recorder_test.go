package clientauth

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/secret"
	"github.com/mintauth/mint/internal/storecache"
	"github.com/mintauth/mint/internal/testdb"
)

// useCounter counts the secret uses written to the store.
type useCounter struct {
	mint.Store
	written atomic.Int64
}

func (u *useCounter) RecordSecretUse(ctx context.Context, uses map[string]time.Time) error {
	u.written.Add(int64(len(uses)))
	return u.Store.RecordSecretUse(ctx, uses)
}

// A client authenticating every 5 s, with a flush after each, through the
// store cache as mint serve runs it: its secret's last use is written once
// per UsePrecision, not once per flush, and the stored value is never
// further behind the last use than the precision and a flush.
func TestSecretUseWrittenOncePerPrecision(t *testing.T) {
	const every = 5 * time.Second
	cases := []struct {
		name      string
		precision time.Duration
		run       time.Duration
		most      int64 // rows written at most
		behind    time.Duration
	}{
		// 0, 1 h, 2 h, 3 h; the cache's answer is 10 min stale at times.
		{"default precision, 3 hours", 0, 3 * time.Hour, 4, DefaultUsePrecision + every},
		{"precision 10 min, 1 hour", 10 * time.Minute, time.Hour, 7, 10*time.Minute + every},
		// Every use written: the behaviour before, one row a flush.
		{"every use, 10 min", -1, 10 * time.Minute, int64(10*time.Minute/every) + 1, every},
	}
	for _, backend := range testdb.Backends {
		for _, tc := range cases {
			t.Run(backend+"/"+tc.name, func(t *testing.T) {
				ctx := context.Background()
				raw := testdb.Open(t, backend)
				start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
				now := start
				clock := func() time.Time { return now }
				plain, digest := secret.New()
				must(t, raw.CreateClient(ctx, mint.Client{ID: "c", Name: "c", CreatedAt: start, UpdatedAt: start},
					mint.Secret{ID: "s1", ClientID: "c", Digest: digest, CreatedAt: start}))
				counter := &useCounter{Store: raw}
				cache := storecache.New(counter, storecache.Options{Now: clock})
				uses := &Recorder{Store: cache, UsePrecision: tc.precision, Now: clock}
				a := &Authenticator{Store: cache, Issuer: "https://mint.test", Uses: uses, Now: clock}
				flushes := 0
				for ; now.Sub(start) <= tc.run; now = now.Add(every) {
					if _, err := a.Authenticate(ctx, Credentials{Method: SecretPost, ClientID: "c", Secret: plain}); err != nil {
						t.Fatalf("at %v: %v", now.Sub(start), err)
					}
					must(t, uses.Flush(ctx))
					flushes++
					stored, err := raw.ListSecrets(ctx, "c")
					must(t, err)
					if lag := now.Sub(stored[0].LastUsedAt); lag > tc.behind {
						t.Fatalf("at %v the stored last use is %v behind; want at most %v", now.Sub(start), lag, tc.behind)
					}
				}
				if n := counter.written.Load(); n > tc.most || n == 0 {
					t.Errorf("%d uses written over %d flushes; want 1 to %d", n, flushes, tc.most)
				}
				t.Logf("%d uses written over %d flushes", counter.written.Load(), flushes)
			})
		}
	}
}

// A use the caller cannot date (a secret found by reading the database
// past the cache) is written; one within the precision of what the caller
// read is not; a failed flush keeps what it held.
func TestRecordUseTable(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name   string
		stored time.Time
		use    time.Time
		want   bool
	}{
		{"never used", time.Time{}, t0, true},
		{"stored a minute before", t0.Add(-time.Minute), t0, false},
		{"stored just under the precision before", t0.Add(-DefaultUsePrecision + time.Millisecond), t0, false},
		{"stored the precision before", t0.Add(-DefaultUsePrecision), t0, true},
		{"stored after the use (another replica)", t0.Add(time.Minute), t0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &Recorder{Now: func() time.Time { return t0 }}
			r.RecordUse("s", tc.stored, tc.use)
			_, got := r.pending["s"]
			if got != tc.want {
				t.Errorf("pending %v, want %v", got, tc.want)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Uses recorded from many goroutines while flushes run end, once flushed,
// with the latest use of each secret stored (run with -race).
func TestRecordUseRacingFlush(t *testing.T) {
	ctx := context.Background()
	raw := testdb.Open(t, "sqlite")
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const secrets, goroutines, uses = 4, 8, 200
	for i := range secrets {
		id := string(rune('a' + i))
		must(t, raw.CreateClient(ctx, mint.Client{ID: id, Name: id, CreatedAt: start, UpdatedAt: start},
			mint.Secret{ID: "s" + id, ClientID: id, Digest: []byte("d"), CreatedAt: start}))
	}
	r := &Recorder{Store: raw, UsePrecision: -1, Now: func() time.Time { return start }}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 20 {
			if err := r.Flush(ctx); err != nil {
				t.Error(err)
			}
		}
	}()
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for u := range uses {
				at := start.Add(time.Duration(g*uses+u+1) * time.Millisecond)
				r.RecordUse("s"+string(rune('a'+u%secrets)), time.Time{}, at)
			}
		})
	}
	wg.Wait()
	<-done
	must(t, r.Flush(ctx))
	latest := map[string]time.Time{}
	for g := range goroutines {
		for u := range uses {
			id := "s" + string(rune('a'+u%secrets))
			if at := start.Add(time.Duration(g*uses+u+1) * time.Millisecond); at.After(latest[id]) {
				latest[id] = at
			}
		}
	}
	for i := range secrets {
		id := string(rune('a' + i))
		got, err := raw.ListSecrets(ctx, id)
		must(t, err)
		if !got[0].LastUsedAt.Equal(latest["s"+id]) {
			t.Errorf("secret s%s: last use %v, want %v", id, got[0].LastUsedAt, latest["s"+id])
		}
	}
}
