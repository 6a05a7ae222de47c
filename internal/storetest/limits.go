package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
)

// limitCases check the fields of issue 7 (client quotas, API token reuse)
// and mint.TokenCounter, which every backend implements beside Store.
var limitCases = []testCase{
	{"quota fields round trip", func(t *testing.T, ctx context.Context, s mint.Store) {
		c := newClient(1)
		hour, day := int64(100), int64(0)
		c.TokensPerHour, c.TokensPerDay = &hour, &day
		createClients(t, ctx, s, c, newClient(2))
		checkStoredClient(t, ctx, s, c)
		checkStoredClient(t, ctx, s, newClient(2))
		updated, err := s.UpdateClient(ctx, c.ID, func(c mint.Client) (mint.Client, error) {
			c.TokensPerHour = nil
			return c, nil
		})
		must(t, "UpdateClient", err)
		c.TokensPerHour = nil
		checkClient(t, updated, c)
		checkStoredClient(t, ctx, s, c)
	}},
	{"token reuse round trip", func(t *testing.T, ctx context.Context, s mint.Store) {
		api := newAPI(1)
		api.TokenReuse = true
		must(t, "CreateAPI", s.CreateAPI(ctx, api))
		got, err := s.GetAPI(ctx, api.ID)
		must(t, "GetAPI", err)
		checkAPI(t, got, api)
		got, err = s.UpdateAPI(ctx, api.ID, func(a mint.API) (mint.API, error) {
			a.TokenReuse = false
			return a, nil
		})
		must(t, "UpdateAPI", err)
		api.TokenReuse = false
		checkAPI(t, got, api)
	}},
	{"counts add up per client and window", func(t *testing.T, ctx context.Context, s mint.Store) {
		tc := counter(t, s)
		hour := t0.Truncate(time.Hour)
		for _, step := range []struct {
			client, window string
			start          time.Time
			n, want        int
		}{
			{"a", "hour", hour, 3, 3},
			{"a", "hour", hour, 0, 3},
			{"a", "hour", hour, 2, 5},
			{"a", "day", hour, 1, 1},
			{"b", "hour", hour, 7, 7},
			{"a", "hour", hour.Add(time.Hour), 1, 1},
		} {
			got, err := tc.AddTokenCount(ctx, step.client, step.window, step.start, step.n)
			must(t, "AddTokenCount", err)
			if got != step.want {
				t.Errorf("AddTokenCount(%s, %s, %v, %d) = %d, want %d", step.client, step.window, step.start, step.n, got, step.want)
			}
		}
	}},
	{"concurrent additions are exact", func(t *testing.T, ctx context.Context, s mint.Store) {
		tc := counter(t, s)
		const writers, each = 8, 25
		for _, err := range concurrently(writers, func(int) error {
			for range each {
				if _, err := tc.AddTokenCount(ctx, "a", "hour", t0, 2); err != nil {
					return err
				}
			}
			return nil
		}) {
			must(t, "AddTokenCount", err)
		}
		got, err := tc.AddTokenCount(ctx, "a", "hour", t0, 0)
		must(t, "AddTokenCount", err)
		if want := writers * each * 2; got != want {
			t.Errorf("total = %d, want %d", got, want)
		}
	}},
	{"prune forgets older windows", func(t *testing.T, ctx context.Context, s mint.Store) {
		tc := counter(t, s)
		for i := range 3 {
			_, err := tc.AddTokenCount(ctx, "a", "hour", at(60*i), 5)
			must(t, "AddTokenCount", err)
		}
		must(t, "PruneTokenCounts", tc.PruneTokenCounts(ctx, at(60)))
		for i, want := range []int{0, 5, 5} {
			got, err := tc.AddTokenCount(ctx, "a", "hour", at(60*i), 0)
			must(t, "AddTokenCount", err)
			if got != want {
				t.Errorf("window %d after prune = %d, want %d", i, got, want)
			}
		}
	}},
}

func counter(t *testing.T, s mint.Store) mint.TokenCounter {
	t.Helper()
	tc, ok := s.(mint.TokenCounter)
	if !ok {
		t.Fatalf("%T does not implement mint.TokenCounter", s)
	}
	return tc
}
