package server

import (
	"log/slog"

	"github.com/mintauth/mint/internal/federation"
	"github.com/mintauth/mint/internal/mint"
)

// federation returns the checker of external tokens (issue 18: client
// assertions and the jwt-bearer grant under clients' trust rules), reading
// the rules through the store cache; nil when the store keeps none.
func (s *Server) federation(log *slog.Logger) *federation.Verifier {
	rules, ok := s.store.(mint.FederatedStore)
	if !ok {
		return nil
	}
	keys := &federation.KeyFetcher{AllowHTTP: s.cfg.FederationAllowHTTP, Now: s.now, Log: log}
	return &federation.Verifier{Rules: rules, Keys: keys, OwnIssuer: s.cfg.Issuer, Now: s.now}
}
