package storecache_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mintauth/mint/internal/mint"
	"github.com/mintauth/mint/internal/storecache"
)

// TestFederatedRulesCachedAndInvalidated: a trust rule found by issuer and
// subject is answered from memory, and a rule added or deleted through
// another handle (another process, another replica) is seen within the
// notification bound, as every other kind is.
func TestFederatedRulesCachedAndInvalidated(t *testing.T) {
	const iss, sub = "https://token.actions.githubusercontent.com", "repo:acme/deploy:ref:refs/heads/main"
	for _, name := range backends {
		t.Run(name, func(t *testing.T) {
			writer, reader, changes := twoHandles(t, name)
			c := newCache(t, reader, storecache.Options{Changes: changes})
			ctx := t.Context()
			seed(t, writer, "cli_fed")
			w := writer.(mint.FederatedStore)
			rule := mint.FederatedCredential{ID: "fed_1", ClientID: "cli_fed", Issuer: iss, Subject: sub,
				Audience: "https://mint.example", CreatedAt: t0}
			if err := w.CreateFederatedCredential(ctx, rule); err != nil {
				t.Fatal(err)
			}
			heardAll(t, c, writer)
			find := func() int {
				got, err := c.FindFederatedCredentials(ctx, iss, sub)
				if err != nil {
					t.Fatal(err)
				}
				return len(got)
			}
			if n := find(); n != 1 {
				t.Fatalf("found %d rules, want 1", n)
			}
			before := c.Stats()
			if n := find(); n != 1 || c.Stats().Hits != before.Hits+1 {
				t.Fatalf("second find: %d rules, %d hits; want 1 rule from memory", n, c.Stats().Hits-before.Hits)
			}
			if got, _ := c.FindFederatedCredentials(ctx, iss, sub+"x"); len(got) != 0 {
				t.Fatalf("a near subject found %d rules", len(got))
			}
			second := rule
			second.ID, second.CreatedAt = "fed_2", t0.Add(time.Second)
			if err := w.CreateFederatedCredential(ctx, second); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 5*time.Second, "a rule added elsewhere", func() bool { return find() == 2 })
			for _, id := range []string{"fed_1", "fed_2"} {
				if err := w.DeleteFederatedCredential(ctx, "cli_fed", id); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, 5*time.Second, "rules deleted elsewhere", func() bool { return find() == 0 })
		})
	}
}

// TestFederatedWritesThroughFresh: a write through Fresh drops the kind at
// once, with no notification needed.
func TestFederatedWritesThroughFresh(t *testing.T) {
	b := openBackend(t, "sqlite")
	seed(t, b.Raw, "cli_fed")
	c := newCache(t, b.Raw, storecache.Options{})
	ctx := t.Context()
	fresh := c.Fresh().(mint.FederatedStore)
	if got, err := c.FindFederatedCredentials(ctx, "https://i", "s"); err != nil || len(got) != 0 {
		t.Fatalf("before: %v, %v", got, err)
	}
	rule := mint.FederatedCredential{ID: "fed_1", ClientID: "cli_fed", Issuer: "https://i", Subject: "s", Audience: "a", CreatedAt: t0}
	if err := fresh.CreateFederatedCredential(ctx, rule); err != nil {
		t.Fatal(err)
	}
	if got, err := c.FindFederatedCredentials(ctx, "https://i", "s"); err != nil || len(got) != 1 {
		t.Fatalf("after create through Fresh: %d rules, %v; want 1", len(got), err)
	}
	if err := fresh.DeleteFederatedCredential(ctx, "cli_fed", "fed_1"); err != nil {
		t.Fatal(err)
	}
	if got, err := c.FindFederatedCredentials(ctx, "https://i", "s"); err != nil || len(got) != 0 {
		t.Fatalf("after delete through Fresh: %d rules, %v; want 0", len(got), err)
	}
}

// TestFederatedStrangersKeptApart: lookups of issuers and subjects no rule
// names (a stranger's tokens) are kept as "not found", so they never push
// a partner's rules out of memory, and still answer no rules, no error.
func TestFederatedStrangersKeptApart(t *testing.T) {
	b := openBackend(t, "sqlite")
	seed(t, b.Raw, "cli_fed")
	c := newCache(t, b.Raw, storecache.Options{MaxEntries: 8})
	ctx := t.Context()
	rule := mint.FederatedCredential{ID: "fed_1", ClientID: "cli_fed", Issuer: "https://i", Subject: "s", Audience: "a", CreatedAt: t0}
	if err := c.Fresh().(mint.FederatedStore).CreateFederatedCredential(ctx, rule); err != nil {
		t.Fatal(err)
	}
	if got, err := c.FindFederatedCredentials(ctx, "https://i", "s"); err != nil || len(got) != 1 {
		t.Fatalf("partner's rule: %d, %v", len(got), err)
	}
	for i := range 100 {
		got, err := c.FindFederatedCredentials(ctx, "https://stranger", fmt.Sprint("s", i))
		if err != nil || len(got) != 0 {
			t.Fatalf("stranger %d: %v, %v", i, got, err)
		}
	}
	before := c.Stats()
	if got, err := c.FindFederatedCredentials(ctx, "https://i", "s"); err != nil || len(got) != 1 {
		t.Fatalf("partner's rule after the strangers: %d, %v", len(got), err)
	}
	if after := c.Stats(); after.Hits != before.Hits+1 {
		t.Errorf("the partner's rule was pushed out by strangers (%d loads)", after.Loads-before.Loads)
	}
}
