package server

import (
	"context"
	"net/http"

	"github.com/mintauth/mint/internal/console"
	"github.com/mintauth/mint/internal/metrics"
)

// ConsolePath is where the admin console is served; "/" redirects there.
const ConsolePath = "/console/"

// ConsoleURL is the console's address under issuer, for mint serve's
// start-up banner.
func ConsoleURL(issuer string) string { return endpointURL(issuer, ConsolePath) }

// console builds the admin console (package console), a client of the
// token endpoint and admin API that backend serves. Its session cookies
// are sealed under a key derived from the master key, so every replica
// opens every session.
func (s *Server) console(backend http.Handler) http.Handler {
	// The key ring opened with this key already, so the key is there.
	master, err := s.masterKey(context.Background())
	var c *console.Console
	if err == nil {
		c, err = console.New(console.Config{
			Backend: backend, TokenPath: s.cfg.TokenPaths[0],
			TokenURL:  endpointURL(s.cfg.Issuer, s.cfg.TokenPaths[0]),
			MasterKey: master, TokenRates: s.tokenRates, Dashboard: s.DashboardSnapshot, Now: s.now, Log: s.cfg.Log,
		})
	}
	if err != nil {
		s.cfg.Log.Error("the admin console is unavailable", "err", err)
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "the admin console is unavailable; the server log says why", http.StatusServiceUnavailable)
		})
	}
	return c.Handler()
}

// tokenRates reads mint_tokens_per_lifetime for the clients a console
// page shows, not only the ones the metrics export: through a per-client
// read when package metrics has one, so that a page costs the same at any
// number of clients; else by filtering every pair counted.
func (s *Server) tokenRates(clientIDs []string) []console.TokenRate {
	if s.metrics == nil {
		return nil
	}
	var rates []metrics.PairRate
	if m, ok := any(s.metrics).(clientRates); ok {
		for _, id := range clientIDs {
			rates = append(rates, m.ClientTokensPerLifetime(id)...)
		}
	} else {
		shown := make(map[string]bool, len(clientIDs))
		for _, id := range clientIDs {
			shown[id] = true
		}
		for _, r := range s.metrics.TokensPerLifetime() {
			if shown[r.ClientID] {
				rates = append(rates, r)
			}
		}
	}
	out := make([]console.TokenRate, len(rates))
	for i, r := range rates {
		out[i] = console.TokenRate{ClientID: r.ClientID, Audience: r.Audience, Tokens: r.Tokens, Window: r.Window, Lifetime: r.Lifetime}
	}
	return out
}

// clientRates is a per-client read of mint_tokens_per_lifetime.
type clientRates interface {
	ClientTokensPerLifetime(clientID string) []metrics.PairRate
}
