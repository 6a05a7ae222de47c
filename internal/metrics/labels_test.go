package metrics_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/mintauth/mint/internal/metrics"
	"github.com/mintauth/mint/internal/token"
	"github.com/mintauth/mint/oauth"
)

// TestLabelsBoundedAt100kClients: 100k clients taking tokens from 100k
// APIs make no more series than the label budget allows (by default 1000
// client ids and 1000 audiences, the rest "other"), and no count is lost:
// they only move under "other". Before, every client and audience was a
// series of its own, for ever.
func TestLabelsBoundedAt100kClients(t *testing.T) {
	const clients = 100_000
	m := metrics.New(metrics.Options{})
	ctx := context.Background()
	for i := range clients {
		o := token.Outcome{ClientID: fmt.Sprintf("client-%06d", i), Audience: fmt.Sprintf("https://api%d.test", i),
			Alg: "EdDSA", Lifetime: time.Hour}
		if i%10 == 0 {
			o.Err = oauth.ErrInvalidScope
		}
		m.ObserveToken(ctx, o)
	}
	mfs, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	budget := metrics.DefaultMaxClients
	for _, mf := range mfs {
		var total float64
		for _, s := range mf.GetMetric() {
			total += s.GetCounter().GetValue() + s.GetGauge().GetValue()
		}
		switch n := len(mf.GetMetric()); mf.GetName() {
		case "mint_token_requests_total":
			// Within budget: a series per pair and outcome; past it, the
			// pairs of "other" with itself or an admitted value.
			if n > 2*(budget+1) {
				t.Errorf("%s: %d series for %d clients, want at most %d", mf.GetName(), n, clients, 2*(budget+1))
			}
			if total != clients {
				t.Errorf("%s counts %v requests, want %d", mf.GetName(), total, clients)
			}
		case "mint_tokens_per_lifetime":
			if n != budget {
				t.Errorf("%s: %d series, want %d", mf.GetName(), n, budget)
			}
		}
	}
	if n := len(m.TokensPerLifetime()); n != metrics.DefaultTracked {
		t.Errorf("TokensPerLifetime has %d pairs, want the %d counted at most", n, metrics.DefaultTracked)
	}
	if got := m.ClientLabel("client-000001"); got != "client-000001" {
		t.Errorf("an admitted client: %q", got)
	}
	if got := m.ClientLabel("client-099999"); got != metrics.Other {
		t.Errorf("a client past the budget: %q, want %q", got, metrics.Other)
	}
}

// TestTokensPerLifetimeExportsTheHighest: past the budget the gauge
// exports the pairs with the most tokens, the ones an alert looks for.
func TestTokensPerLifetimeExportsTheHighest(t *testing.T) {
	m := metrics.New(metrics.Options{MaxClients: 3})
	ctx := context.Background()
	for i := range 10 {
		for range i + 1 {
			m.ObserveToken(ctx, token.Outcome{ClientID: fmt.Sprintf("c%d", i), Audience: "https://api.test", Alg: "EdDSA", Lifetime: time.Hour})
		}
	}
	reg := prometheus.Gatherers{m.Registry()}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "mint_tokens_per_lifetime" {
			continue
		}
		for _, s := range mf.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "client_id" {
					got[l.GetValue()] = s.GetGauge().GetValue()
				}
			}
		}
	}
	want := map[string]float64{"c9": 10, "c8": 9, "c7": 8}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("exported %v, want %v", got, want)
	}
}

// TestLabelBudgetConcurrent: callers racing on overlapping values never
// admit more than the budget, and an admitted value stays admitted.
func TestLabelBudgetConcurrent(t *testing.T) {
	const budget = 100
	m := metrics.New(metrics.Options{MaxClients: budget})
	var mu sync.Mutex
	admitted := map[string]bool{}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				v := fmt.Sprintf("c%d", (i*7+g)%500)
				if got := m.ClientLabel(v); got == v {
					mu.Lock()
					admitted[v] = true
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if len(admitted) != budget {
		t.Errorf("%d values admitted, want %d", len(admitted), budget)
	}
	for v := range admitted {
		if m.ClientLabel(v) != v {
			t.Errorf("%s admitted, then not", v)
		}
	}
}
